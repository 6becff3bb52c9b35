"""The ledger refuses UPDATE and DELETE at the database, whatever the client.

TRUNCATE is left to the database owner (test runs use it to empty tables between tests).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION transactions_are_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger transactions are immutable: post a correcting transaction instead'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER transactions_no_update_or_delete
    BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_are_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS transactions_no_update_or_delete ON transactions;
DROP FUNCTION IF EXISTS transactions_are_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
