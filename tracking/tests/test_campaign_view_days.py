"""campaign_view_days, the advertiser dashboard's chart source: always the sum of the campaign's
view_stats rows per day, whoever writes them (the counting statement, a cascade, a plain insert)."""

import datetime

import pytest
from django.db.models import Sum
from django.utils import timezone

from campaigns.models import PromoterCampaign
from tests.support.tracking import join, visibility_campaign
from tracking import services
from tracking.models import CampaignViewDay, ViewStat

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _rolled_up() -> dict:
    return {
        (row.campaign_id, row.day): (row.requests, row.unique_views, row.paid_views)
        for row in CampaignViewDay.objects.all()
    }


def _summed() -> dict:
    return {
        (row["campaign_id"], row["day"]): (row["requests"], row["unique"], row["paid"])
        for row in ViewStat.objects.values("campaign_id", "day")
        .annotate(requests=Sum("requests"), unique=Sum("unique_views"), paid=Sum("paid_views"))
        .order_by()
    }


def _click(participation, ip, *, day_offset=0):
    link = services.link_lookup(participation.tracking_code)
    now = timezone.now() - datetime.timedelta(days=day_offset)
    return services.view_track(link=link, ip=ip, user_agent=UA, user_id=None, prefetch=False, now=now)


def test_counted_clicks_add_up_per_campaign_and_day_including_refused_ones():
    campaign = visibility_campaign(max_views=3)
    first, second = join(campaign), join(campaign)
    other = join(visibility_campaign())
    for n in range(4):  # the fourth paid view is over the cap
        _click(first if n % 2 else second, f"198.51.100.{n}")
    _click(first, "198.51.100.1")  # a repeat: not unique, not paid
    _click(other, "198.51.100.9", day_offset=1)  # yesterday, another campaign

    rolled = _rolled_up()
    assert rolled == _summed()
    today = timezone.now().astimezone(datetime.UTC).date()
    assert rolled[(campaign.pk, today)] == (5, 4, 3)
    assert rolled[(other.campaign_id, today - datetime.timedelta(days=1))] == (1, 1, 1)


def test_rows_written_or_deleted_outside_the_counting_statement_stay_in_step():
    campaign = visibility_campaign()
    first, second = join(campaign), join(campaign)
    day = datetime.date(2026, 11, 3)
    ViewStat.objects.bulk_create(
        [
            ViewStat(participation=first, campaign=campaign, day=day, requests=10, unique_views=8, paid_views=5),
            ViewStat(participation=second, campaign=campaign, day=day, requests=4, unique_views=4, paid_views=4),
        ]
    )
    assert _rolled_up() == {(campaign.pk, day): (14, 12, 9)}

    ViewStat.objects.filter(participation=first).update(requests=11)
    assert _rolled_up() == {(campaign.pk, day): (15, 12, 9)}

    ViewStat.objects.filter(participation=second).delete()
    assert _rolled_up() == {(campaign.pk, day): (11, 8, 5)} == _summed()
    assert PromoterCampaign.objects.filter(pk=second.pk).exists()
