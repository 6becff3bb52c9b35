"""Leave room on each page of the rows the close rewrites, so PostgreSQL can update them in
place (HOT: no new index entries). A wallet is rewritten by every posting to its promoter and
three times per promoter by the close; a payout record once or twice after its insert. Only
pages written from now on get the room; existing tables keep theirs until rewritten."""

from django.db import migrations

TABLES = {"wallets": 70, "payout_records": 80}


def set_fillfactor(apps, schema_editor):
    for table, percent in TABLES.items():
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = {percent})")


def reset_fillfactor(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("payouts", "0003_connect_payout_failure")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
