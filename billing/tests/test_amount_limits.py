"""Stripe's per-payment limits are enforced before Stripe is called: a budget whose payment
would exceed the maximum is refused with a message saying how much can be funded at once."""

import datetime

import pytest
from django.urls import reverse

from billing import gateway, services
from campaignplatform import payment_limits as limits
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_largest_budget_for_one_payment_fills_it_exactly(settings):
    settings.PLATFORM_FEE_PERCENT = 10
    budget = limits.largest_budget_in_one_payment()
    assert budget == 90_909_090
    assert budget + services.platform_fee_cents(budget) == limits.MAXIMUM_AMOUNT == 99_999_999
    assert budget + 1 + services.platform_fee_cents(budget + 1) > limits.MAXIMUM_AMOUNT


def test_salesman_budget_above_one_payment_is_refused_with_what_can_be_funded(settings):
    settings.PLATFORM_FEE_PERCENT = 10
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    with pytest.raises(services.FundingNotAllowed) as refusal:
        services.funding_quote(campaign=campaign, budget_cents=100_000_000)
    assert "$999,999.99" in str(refusal.value) and "$909,090.90" in str(refusal.value)
    assert services.funding_quote(campaign=campaign, budget_cents=90_909_090).total_cents == 99_999_999


def test_the_fund_page_shows_the_limit(client, stripe_settings):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    client.force_login(campaign.advertiser)
    page = client.get(reverse("billing:fund", args=[campaign.public_id]), {"budget_dollars": "1000000"})
    assert page.status_code == 200 and "$909,090.90" in page.content.decode()


def test_visibility_top_up_above_one_payment_is_refused(settings):
    settings.PLATFORM_FEE_PERCENT = 10
    campaign = CampaignFactory(active=True, cpv=10_000, max_views=1_000)
    with pytest.raises(services.FundingNotAllowed, match=r"\$999,999\.99"):
        services.funding_quote(campaign=campaign, views=1_000_000)


@pytest.mark.parametrize(
    ("campaign_type", "fields"),
    [
        ("visibility", {"cpv_dollars": "1000", "max_views": "100000"}),  # $1,000,000 of views
        ("consultant", {"max_budget_dollars": "950000"}),
    ],
)
def test_campaign_forms_refuse_a_budget_no_single_payment_can_fund(client, advertiser, campaign_type, fields):
    today = datetime.date.today()
    data = {
        "campaign_type": campaign_type,
        "title": "Big launch",
        "description": "Launch",
        "target_url": "https://example.com",
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=30)).isoformat(),
        "cpv_dollars": "3.00",
        "max_views": "2000",
        "min_budget_dollars": "100",
        "max_budget_dollars": "500",
        "deliverables": "Two videos",
        "timeline": "4 weeks",
        **fields,
    }
    client.force_login(advertiser)
    response = client.post(reverse("campaigns:create"), data)
    assert response.status_code == 200
    assert "$909,090.90 per payment" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda: gateway.refund_create(charge_id="ch_x", amount=10**8, metadata={}, idempotency_key="k"),
            "amount_too_large",
        ),
        (
            lambda: gateway.transfer_create(
                amount=10**8,
                currency="usd",
                destination="acct_x",
                transfer_group="",
                source_transaction=None,
                idempotency_key="k",
                metadata={},
            ),
            "amount_too_large",
        ),
        (
            lambda: gateway.payment_intent_create(
                amount=49,
                currency="usd",
                customer_id="cus_x",
                payment_method_id="pm_x",
                description="",
                transfer_group="",
                metadata={},
                return_url="https://example.test",
                idempotency_key="k",
            ),
            "amount_too_small",
        ),
        (
            lambda: gateway.checkout_payment_session_create(
                customer_id="cus_x",
                amount=1_000,
                currency="xyz",
                description="",
                success_url="https://example.test",
                cancel_url="https://example.test",
                transfer_group="",
                metadata={},
                idempotency_key="k",
            ),
            "currency_not_supported",
        ),
    ],
)
def test_the_gateway_refuses_what_stripe_would_before_calling_it(monkeypatch, call, code):
    def no_stripe():
        raise AssertionError("Stripe was called")

    monkeypatch.setattr(gateway.core, "client", no_stripe)
    with pytest.raises(gateway.GatewayError) as refusal:
        call()
    assert refusal.value.code == code and not isinstance(refusal.value, gateway.GatewayUnavailable)
