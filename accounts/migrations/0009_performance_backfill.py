"""Fill promoters' track record from the history recorded before it was counted."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "performance_backfill_v1.sql").read_text()


def backfill(apps, schema_editor):
    schema_editor.execute(SQL)


class Migration(migrations.Migration):
    # Reads the tables of campaigns and tracking (never writes them): their tables must exist.
    dependencies = [
        ("accounts", "0008_promoter_performance"),
        ("campaigns", "0005_suspend_permission"),
        ("tracking", "0005_staff_action_permissions"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
