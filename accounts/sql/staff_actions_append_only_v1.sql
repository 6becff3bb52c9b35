-- The staff audit log refuses UPDATE and DELETE at the database, whatever the client.
-- TRUNCATE is left to the database owner (test runs use it to empty tables between tests).
CREATE OR REPLACE FUNCTION staff_actions_are_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the staff audit log is append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS staff_actions_no_update_or_delete ON staff_actions;
CREATE TRIGGER staff_actions_no_update_or_delete
    BEFORE UPDATE OR DELETE ON staff_actions
    FOR EACH ROW EXECUTE FUNCTION staff_actions_are_append_only();
