-- campaigns.skill_ids and campaigns.language_ids: copies of the campaign's rows in
-- campaigns_skills and campaigns_languages, so the best-match score reads one row per campaign.
--
-- The database derives them; the application never writes them:
-- * a change to a link table (Django's .set/.add/.remove/.clear, raw SQL, cascades) touches the
--   columns of the campaigns it changed, once per statement;
-- * any INSERT, or an UPDATE naming the columns (a Django save() of a stale instance does),
--   recomputes them from the link tables, so a stale copy can never be written back. The
--   recomputation runs after the row lock is taken and reads with a fresh snapshot (READ
--   COMMITTED), so two transactions changing one campaign's skills at once both count.
-- An UPDATE that does not name them (tracking's paid_views) does not run the trigger.

CREATE FUNCTION campaigns_matching_ids_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.skill_ids := ARRAY(
        SELECT skill_id FROM campaigns_skills WHERE campaign_id = NEW.id ORDER BY skill_id
    );
    NEW.language_ids := ARRAY(
        SELECT language_id FROM campaigns_languages WHERE campaign_id = NEW.id ORDER BY language_id
    );
    RETURN NEW;
END
$$;

CREATE TRIGGER campaigns_matching_ids
BEFORE INSERT OR UPDATE OF skill_ids, language_ids ON campaigns
FOR EACH ROW EXECUTE FUNCTION campaigns_matching_ids_derive();

-- Statement level with transition tables: a bulk insert of links touches each campaign once.
-- `changed` holds the rows inserted or deleted; an UPDATE also has `changed_before`.
CREATE FUNCTION campaigns_matching_ids_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE campaigns SET skill_ids = skill_ids
        WHERE id IN (SELECT campaign_id FROM changed UNION SELECT campaign_id FROM changed_before);
    ELSE
        UPDATE campaigns SET skill_ids = skill_ids WHERE id IN (SELECT campaign_id FROM changed);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER campaigns_skills_added AFTER INSERT ON campaigns_skills
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_matching_ids_touch();
CREATE TRIGGER campaigns_skills_removed AFTER DELETE ON campaigns_skills
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_matching_ids_touch();
CREATE TRIGGER campaigns_skills_changed AFTER UPDATE ON campaigns_skills
REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION campaigns_matching_ids_touch();

CREATE TRIGGER campaigns_languages_added AFTER INSERT ON campaigns_languages
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_matching_ids_touch();
CREATE TRIGGER campaigns_languages_removed AFTER DELETE ON campaigns_languages
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_matching_ids_touch();
CREATE TRIGGER campaigns_languages_changed AFTER UPDATE ON campaigns_languages
REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION campaigns_matching_ids_touch();

-- Existing campaigns.
UPDATE campaigns SET skill_ids = skill_ids;
