"""An index of the listed campaigns, newest first: a marketplace page counts them from it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0011_campaign_matching_ids")]

    operations = [
        migrations.AddIndex(
            model_name="campaign",
            index=models.Index(
                models.OrderBy(models.F("published_at"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(
                    models.Q(("campaign_type__in", ("visibility", "salesman")), ("status", "active")),
                    models.Q(
                        ("campaign_type__in", ("consultant", "seller")),
                        ("has_selected_promoter", False),
                        ("status__in", ["awaiting_funding", "active"]),
                    ),
                    _connector="OR",
                ),
                name="campaigns_listed_newest_idx",
            ),
        ),
    ]
