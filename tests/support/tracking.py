"""Tracking in tests: campaigns funded without Stripe, promoters joined through campaigns'
service, clicks through Django's test client."""

from tests.support.books import assert_books_clean
from tests.support.funding import fund_without_stripe

BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)


def visibility_campaign(*, cpv=300, max_views=2000, **kwargs):
    """An active Visibility campaign, funded for all its views."""
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(awaiting_funding=True, cpv=cpv, max_views=max_views, **kwargs)
    fund_without_stripe(campaign)
    assert campaign.status == "active"
    return campaign


def salesman_campaign(*, budget_cents=10_000, **kwargs):
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(salesman=True, awaiting_funding=True, **kwargs)
    fund_without_stripe(campaign, budget_cents=budget_cents)
    assert campaign.status == "active"
    return campaign


def join(campaign, promoter=None):
    from accounts.tests.factories import PromoterFactory
    from campaigns.services import campaign_join

    return campaign_join(campaign=campaign, promoter=promoter or PromoterFactory())


def participation_near_cap(*, room: int, max_views: int = 100):
    """A promoter in an active Visibility campaign with `room` paid views left before its cap."""
    from campaigns.models import Campaign

    campaign = visibility_campaign(cpv=300, max_views=max_views)
    participation = join(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(paid_views=max_views - room)
    return campaign, participation


def assert_capped_exactly(campaign, participation, *, requests: int, paid: int):
    """The race ended at the cap: `paid` views paid to the participation and no more, every other
    request refused as capped (or inactive, once the campaign completed), the campaign complete
    and the books clean."""
    from campaigns.models import CampaignStatus, PromoterCampaign
    from tracking.models import ViewStat

    campaign.refresh_from_db()
    assert campaign.paid_views == campaign.max_views
    row = ViewStat.objects.get(participation=participation)
    assert (row.requests, row.paid_views) == (requests, paid)
    assert row.rejected_cap + row.rejected_inactive == requests - paid
    assert PromoterCampaign.objects.get(pk=participation.pk).views_generated == paid
    assert campaign.status == CampaignStatus.COMPLETED
    assert_books_clean()


def visit(client, participation, *, ip="203.0.113.7", ua=BROWSER_UA, method="get", **headers):
    return getattr(client, method)(f"/v/{participation.tracking_code}", HTTP_USER_AGENT=ua, REMOTE_ADDR=ip, **headers)
