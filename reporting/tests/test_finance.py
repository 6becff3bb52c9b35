"""The staff finance overview: every figure read from the ledger, and the books seen to balance."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from accounts.tests.factories import PromoterFactory
from billing import services
from billing.models import AccountKind, StripeWebhookEvent, WebhookStatus
from campaigns.tests.factories import CampaignFactory
from reporting.finance import finance_overview
from tests.support.funding import fund_without_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def books():
    """A $200 Visibility budget ($20 fee) with a $3 Stripe fee, $60 of it earned by a promoter."""
    campaign = CampaignFactory(awaiting_funding=True)
    fund_without_stripe(campaign, budget_cents=20_000, stripe_fee=300)
    with transaction.atomic():
        services.campaign_budget_spend(
            campaign=campaign, promoter=PromoterFactory(), amount_cents=6_000, idempotency_key="views"
        )
    return campaign


def test_figures_come_from_the_ledger_and_add_up(books):
    figures = finance_overview()
    assert figures["budgets"] == 14_000
    assert figures["owed_to_promoters"] == 6_000
    assert figures["revenue"] == 600  # 10% of what was spent
    assert figures["stripe_fees"] == 300
    held = {row.kind: row.balance for row in figures["held"]}
    assert held[AccountKind.CAMPAIGN_FEE_HELD] == 1_400
    # $220 charged less Stripe's $3 is what Stripe holds for us, and exactly what the ledger holds.
    assert figures["received_net"] == 21_700
    assert sum(held.values()) == figures["held_total"] == figures["received_net"]
    this_month = {line["label"]: line["this"] for line in figures["month_lines"]}
    assert this_month["Funded by advertisers"] == 22_000
    assert this_month["Spent on promoters"] == 6_000


def test_staff_see_the_page_with_links_to_act(client, books, admin_user):
    StripeWebhookEvent.objects.create(
        stripe_event_id="evt_1", type="charge.refunded", payload={}, status=WebhookStatus.FAILED
    )
    client.force_login(admin_user)
    page = client.get(reverse("finance_overview")).content.decode()
    assert "$140.00" in page and "$60.00" in page and "$6.00" in page
    assert "the books balance" in page and "audit_ledger" not in page
    assert "Failed webhook events" in page and "status__exact=failed" in page
    assert reverse("admin:payouts_payoutrecord_changelist") in page
    assert reverse("finance_overview") in client.get(reverse("admin:index")).content.decode()


def test_non_staff_cannot_see_it(advertiser_client):
    response = advertiser_client.get(reverse("finance_overview"))
    assert response.status_code == 302 and reverse("admin:login") in response.url


def test_an_empty_platform_shows_zeros(admin_client):
    response = admin_client.get(reverse("finance_overview"))
    assert response.status_code == 200 and "$0.00" in response.content.decode()


def test_this_month_is_compared_with_the_same_days_of_last_month():
    def funded_on(day):
        with time_machine.travel(day, tick=False):
            fund_without_stripe(CampaignFactory(salesman=True, awaiting_funding=True), budget_cents=10_000)

    funded_on(datetime.datetime(2026, 10, 2, 12, tzinfo=datetime.UTC))
    funded_on(datetime.datetime(2026, 10, 20, 12, tzinfo=datetime.UTC))
    funded_on(datetime.datetime(2026, 11, 3, 12, tzinfo=datetime.UTC))

    lines = finance_overview(now=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC))["month_lines"]
    funding = next(line for line in lines if line["label"] == "Funded by advertisers")
    assert (funding["last"], funding["last_to_date"], funding["this"]) == (22_000, 11_000, 11_000)
    assert funding["change"] == 0


def test_staff_without_the_permission_are_refused(client, books):
    from accounts.tests.factories import StaffFactory

    client.force_login(StaffFactory())
    response = client.get(reverse("finance_overview"))
    assert response.status_code == 403
    assert "$140.00" not in response.content.decode()
