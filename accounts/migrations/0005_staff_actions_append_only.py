"""The staff audit log refuses UPDATE and DELETE (accounts/sql/, versioned)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "staff_actions_append_only_v1.sql"
DROP = """
DROP TRIGGER IF EXISTS staff_actions_no_update_or_delete ON staff_actions;
DROP FUNCTION IF EXISTS staff_actions_are_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_staff_action_log_and_verify_permission")]

    operations = [migrations.RunSQL(SQL.read_text(), DROP)]
