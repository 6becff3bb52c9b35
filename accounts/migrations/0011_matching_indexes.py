"""Indexes for ranking promoters for a campaign (campaigns.ranking): who holds a skill or speaks a
language, read from the index alone; and the track records that no bound holds for."""

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_roles_for_pricing_and_disputes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterField(
            model_name="promoterlanguage",
            name="language",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, to="accounts.language"
            ),
        ),
        migrations.AlterField(
            model_name="promoterskill",
            name="skill",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, to="accounts.skill"),
        ),
        migrations.AddIndex(
            model_name="promoterlanguage",
            index=models.Index(fields=["language", "promoter"], name="promoter_languages_by_language"),
        ),
        migrations.AddIndex(
            model_name="promoterskill",
            index=models.Index(fields=["skill", "promoter"], name="promoter_skills_by_skill"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(
                    (
                        "works_approved_on_time__gt",
                        django.db.models.expressions.CombinedExpression(
                            models.F("works_approved"), "+", models.F("works_rejected")
                        ),
                    ),
                    ("link_real_views__gt", models.F("link_requests")),
                    ("link_requests__lt", 0),
                    _connector="OR",
                ),
                fields=["id"],
                name="users_track_over_whole",
            ),
        ),
    ]
