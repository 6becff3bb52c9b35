"""Each campaign's skill and language ids on its row, derived by triggers (campaigns/sql/,
versioned), so the best-match score needs no join."""

from pathlib import Path

import django.contrib.postgres.fields
from django.db import migrations, models

SQL = Path(__file__).resolve().parent.parent / "sql" / "campaign_matching_ids_v1.sql"
DROP = """
DROP TRIGGER IF EXISTS campaigns_languages_changed ON campaigns_languages;
DROP TRIGGER IF EXISTS campaigns_languages_removed ON campaigns_languages;
DROP TRIGGER IF EXISTS campaigns_languages_added ON campaigns_languages;
DROP TRIGGER IF EXISTS campaigns_skills_changed ON campaigns_skills;
DROP TRIGGER IF EXISTS campaigns_skills_removed ON campaigns_skills;
DROP TRIGGER IF EXISTS campaigns_skills_added ON campaigns_skills;
DROP FUNCTION IF EXISTS campaigns_matching_ids_touch();
DROP TRIGGER IF EXISTS campaigns_matching_ids ON campaigns;
DROP FUNCTION IF EXISTS campaigns_matching_ids_derive();
"""


def _ids_field():
    return django.contrib.postgres.fields.ArrayField(
        base_field=models.BigIntegerField(), default=list, editable=False, size=None
    )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0010_reason_code_constraints")]

    operations = [
        migrations.AddField(model_name="campaign", name="skill_ids", field=_ids_field()),
        migrations.AddField(model_name="campaign", name="language_ids", field=_ids_field()),
        migrations.RunSQL(SQL.read_text(), DROP),
    ]
