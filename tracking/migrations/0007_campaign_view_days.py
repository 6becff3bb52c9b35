"""Each campaign's daily view totals (campaign_view_days), kept by triggers on view_stats and
filled from it here, so the advertiser's dashboard reads a few dozen rows per chart.

view_stats is locked against writes (the counting function waits) between the backfill and the
triggers' creation, so no batch is counted in neither or in both."""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models


SQL = Path(__file__).resolve().parent.parent / "sql"
DROP = """
DROP TRIGGER IF EXISTS view_stats_roll_up_inserts ON view_stats;
DROP TRIGGER IF EXISTS view_stats_roll_up_updates ON view_stats;
DROP TRIGGER IF EXISTS view_stats_roll_up_deletes ON view_stats;
DROP FUNCTION IF EXISTS campaign_view_days_apply();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_suspend_permission"),
        ("tracking", "0006_rate_limit_window_minute_first"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignViewDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("requests", models.BigIntegerField(default=0)),
                ("unique_views", models.BigIntegerField(default=0)),
                ("paid_views", models.BigIntegerField(default=0)),
                (
                    "campaign",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="view_days",
                        to="campaigns.campaign",
                    ),
                ),
            ],
            options={
                "db_table": "campaign_view_days",
                "constraints": [models.UniqueConstraint(fields=("campaign", "day"), name="campaign_view_day_once")],
            },
        ),
        migrations.RunSQL(
            "LOCK TABLE view_stats IN SHARE ROW EXCLUSIVE MODE;\n" + (SQL / "campaign_view_days_v1.sql").read_text(),
            DROP,
        ),
    ]
