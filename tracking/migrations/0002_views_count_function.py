"""The view-counting function, `tracking_views_count`, from its versioned SQL file.

A later version is a new file (tracking/sql/views_count_v2.sql) and a new migration loading it,
whose reverse loads this version again.
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]

    operations = [
        migrations.RunSQL(
            (SQL / "views_count_v1.sql").read_text(),
            "DROP FUNCTION IF EXISTS tracking_views_count(jsonb, integer, boolean)",
        )
    ]
