-- campaign_view_days: each campaign's daily totals of view_stats, kept by statement triggers.
--
-- Loaded by tracking/migrations/0007_campaign_view_days.py (same versioning rule as
-- views_count_v1.sql). Every statement that inserts, updates or deletes view_stats rows (the
-- counting function's upsert, a cascade, a test or a benchmark inserting history) adds its net
-- change per (campaign, day) in the same transaction, so a campaign_view_days row always equals
-- the sum of its view_stats rows. The rows are upserted in (campaign, day) order, as the
-- counting function locks campaigns in id order, so two batches never wait on each other in
-- opposite orders.
--
-- One statement-level call per statement (with transition tables), not one per row: a batch of
-- clicks costs one small grouped upsert.

CREATE OR REPLACE FUNCTION campaign_view_days_apply() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_view_days (campaign_id, day, requests, unique_views, paid_views)
        SELECT campaign_id, day, sum(requests), sum(unique_views), sum(paid_views)
        FROM new_rows GROUP BY campaign_id, day ORDER BY campaign_id, day
        ON CONFLICT (campaign_id, day) DO UPDATE SET
            requests = campaign_view_days.requests + excluded.requests,
            unique_views = campaign_view_days.unique_views + excluded.unique_views,
            paid_views = campaign_view_days.paid_views + excluded.paid_views;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_view_days (campaign_id, day, requests, unique_views, paid_views)
        SELECT campaign_id, day, sum(requests), sum(unique_views), sum(paid_views)
        FROM (
            SELECT campaign_id, day, requests, unique_views, paid_views FROM new_rows
            UNION ALL
            SELECT campaign_id, day, -requests, -unique_views, -paid_views FROM old_rows
        ) AS change
        GROUP BY campaign_id, day ORDER BY campaign_id, day
        ON CONFLICT (campaign_id, day) DO UPDATE SET
            requests = campaign_view_days.requests + excluded.requests,
            unique_views = campaign_view_days.unique_views + excluded.unique_views,
            paid_views = campaign_view_days.paid_views + excluded.paid_views;
    ELSE
        UPDATE campaign_view_days d SET
            requests = d.requests - g.requests,
            unique_views = d.unique_views - g.unique_views,
            paid_views = d.paid_views - g.paid_views
        FROM (
            SELECT campaign_id, day, sum(requests) AS requests, sum(unique_views) AS unique_views,
                   sum(paid_views) AS paid_views
            FROM old_rows GROUP BY campaign_id, day
        ) AS g
        WHERE d.campaign_id = g.campaign_id AND d.day = g.day;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER view_stats_roll_up_inserts AFTER INSERT ON view_stats
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_view_days_apply();
CREATE TRIGGER view_stats_roll_up_updates AFTER UPDATE ON view_stats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION campaign_view_days_apply();
CREATE TRIGGER view_stats_roll_up_deletes AFTER DELETE ON view_stats
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_view_days_apply();

-- The days counted before the triggers existed (view_stats is locked meanwhile: see the migration).
INSERT INTO campaign_view_days (campaign_id, day, requests, unique_views, paid_views)
SELECT campaign_id, day, sum(requests), sum(unique_views), sum(paid_views)
FROM view_stats GROUP BY campaign_id, day;
