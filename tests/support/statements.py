"""A month of both roles' activity, closed by the real monthly close: what statement tests read."""

import contextlib
import datetime

import time_machine

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from campaigns import services as campaign_services
from campaigns.tests.factories import CampaignFactory, DeliverableFactory, WorkFactory
from payouts import services
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import connect_ready, earn

JAN = datetime.date(2026, 1, 1)
MID_JAN = datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC)
CLOSE_DAY = datetime.datetime(2026, 2, 1, 6, 0, tzinfo=datetime.UTC)
# A campaign title a spreadsheet would run as a formula: CSV exports must neutralise it.
INJECTED_TITLE = '=HYPERLINK("http://evil.example","x")'


def close_a_month_of_activity(stripe_sim, *, capture_on_commit=None):
    """January 2026 closed by the real close: one advertiser with a Visibility campaign (spent
    in full), a Salesman one (ended, unused budget refunded) and a Consultant one (a milestone
    paid on approval); a promoter paid monthly and directly, another below the threshold.
    Returns the users. (Also used by the end-to-end test.)"""
    stripe_sim.add_balance(1_000_000)
    with time_machine.travel(MID_JAN, tick=False):
        advertiser = AdvertiserFactory(full_name="Ada Advertiser", details__company_name="Acme Trail Co")
        promoter = PromoterFactory(full_name="Pat Promoter", details__display_name="patpromotes")
        small = PromoterFactory()

        views = CampaignFactory(advertiser=advertiser, awaiting_funding=True, title="Trail shoe views")
        fund(views, 6_000)  # charged 6,600
        earn(views, promoter, 6_000, "views-1")  # the whole budget: the whole 600 fee

        sales = CampaignFactory(advertiser=advertiser, salesman=True, awaiting_funding=True, title=INJECTED_TITLE)
        fund(sales, 10_000)  # charged 11,000
        earn(sales, promoter, 2_500, "sale-1")  # fee 250
        earn(sales, small, 1_500, "sale-2")  # fee 150
        campaign_services.campaign_complete(campaign=sales, actor=advertiser)  # refunds 6,000 + 600

        deliverable = DeliverableFactory(
            status="submitted",
            amount=10_000,
            title="Launch plan",
            promoter_campaign__funded=False,
            promoter_campaign__promoter=promoter,
            promoter_campaign__campaign__advertiser=advertiser,
            promoter_campaign__campaign__title="Launch strategy",
        )
        consultant = deliverable.promoter_campaign.campaign
        fund(consultant, 30_000)  # charged 33,000
        work = WorkFactory(deliverable=deliverable)
        connect_ready(stripe_sim, promoter)
        # Outside a test transaction (end to end), on_commit callbacks run at once.
        with capture_on_commit(execute=True) if capture_on_commit else contextlib.nullcontext():
            assert campaign_services.work_approve(work=work, actor=None)  # 10,000 direct, fee 1,000
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    assert_books_clean()
    return {"advertiser": advertiser, "promoter": promoter, "small": small}
