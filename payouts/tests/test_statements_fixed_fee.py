"""The advertiser statement itemises a fixed fee per sale apart from the percentage: on the page,
in the CSV, and adding up to the month's summary and balance."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from billing.models import FeePlan
from campaigns import services as campaign_services
from campaigns.tests.factories import CampaignFactory
from payouts import services, statements
from payouts.models import BillingPeriodSummary
from payouts.reconciliation import statements_reconcile
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import earn
from tests.support.statements import CLOSE_DAY, JAN, MID_JAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_month(stripe_sim):
    """January: a Salesman campaign under 10% + $0.50 per sale, funded $100.00 (+$10.00), two
    sales' commissions paid ($25.00, $15.00), then ended and the rest refunded."""
    stripe_sim.add_balance(100_000)
    with time_machine.travel(MID_JAN, tick=False):
        FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=1000, fixed_cents=50)
        advertiser = AdvertiserFactory()
        campaign = CampaignFactory(advertiser=advertiser, salesman=True, awaiting_funding=True, title="Boots")
        fund(campaign, 10_000)
        earn(campaign, PromoterFactory(), 2_500, "sale-1")
        earn(campaign, PromoterFactory(), 1_500, "sale-2")
        campaign_services.campaign_complete(campaign=campaign, actor=advertiser)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    assert_books_clean()
    return advertiser


def test_the_statement_itemises_the_fee_per_sale_and_adds_up(closed_month):
    summary = BillingPeriodSummary.objects.get(user=closed_month, period=JAN)
    # Fees: 10% of 4,000 earned, and 2 x 50 taken from the budget. Refunded: 5,900 + 600.
    assert (summary.funded, summary.spent, summary.fees, summary.refunded) == (11_000, 4_000, 500, 6_500)

    statement = statements.statement_get(user=closed_month, period=JAN)

    (activity,) = statement.campaigns
    assert (activity.fees, activity.percent_fees, activity.fixed_fees) == (500, 400, 100)
    for name, (lines, expected) in statement.totals_check().items():
        assert lines == expected, name
    assert statements_reconcile(summaries=BillingPeriodSummary.objects.filter(user=closed_month)) == (1, [])


def test_the_page_and_csv_show_the_fee_per_sale_apart(client, closed_month):
    client.force_login(closed_month)
    with time_machine.travel(CLOSE_DAY, tick=False):
        html = client.get(reverse("payouts:statement_detail", args=["2026-01"])).text
        response = client.get(reverse("payouts:statement_csv", args=["2026-01"]))

    assert "$4.00 at 10%" in html and "$1.00 at $0.50 per sale, taken from the budget" in html
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    fees = [(row["item"], row["amount"]) for row in body if row["section"] == "platform_fee"]
    assert fees == [("Platform fee (10%)", "4.00"), ("Platform fee ($0.50 per sale, taken from the budget)", "1.00")]
    totals = {row["item"]: row["amount"] for row in body if row["section"] == "total"}
    assert totals["Platform fees"] == "5.00"
