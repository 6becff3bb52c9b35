"""Tracking test helpers: campaigns funded through billing's funding service, promoters joined
through campaigns' service, requests through Django's test client."""

import itertools

import pytest
from django.core.cache import cache

from billing.audit import ledger_audit

_ids = itertools.count(1)
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)


def fund(campaign, budget_cents=None):
    """Fund `campaign` through billing (as if Stripe had confirmed the payment; no network).

    Activates a campaign awaiting funding. Test setup only: production funding goes through
    Stripe Checkout or a saved card."""
    from billing import gateway
    from billing.models import IntentMethod, IntentPurpose, StripePaymentIntent
    from billing.services import funding_record_success, platform_fee_cents

    if budget_cents is None:
        budget_cents = campaign.funding_budget_cents()
    fee = platform_fee_cents(budget_cents)
    n = next(_ids)
    intent = StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=campaign.advertiser,
        purpose=IntentPurpose.FUNDING,
        method=IntentMethod.SAVED_CARD,
        budget_amount=budget_cents,
        fee_amount=fee,
        amount=budget_cents + fee,
        currency=campaign.currency,
        views_funded=campaign.max_views if campaign.is_visibility else None,
        rate_per_100_views=campaign.cpv if campaign.is_visibility else None,
        commission_rate=campaign.commission_per_sale if campaign.is_salesman else None,
    )
    pi = gateway.PaymentIntent(
        id=f"pi_track_{n}",
        status="succeeded",
        amount=budget_cents + fee,
        currency=campaign.currency,
        customer_id="cus_test",
        payment_method_id="pm_card_visa",
        latest_charge_id=f"ch_track_{n}",
        metadata={"intent_row_id": str(intent.pk)},
    )
    charge = gateway.Charge(
        id=f"ch_track_{n}",
        status="succeeded",
        amount=budget_cents + fee,
        amount_refunded=0,
        currency=campaign.currency,
        payment_intent_id=pi.id,
        payment_method_id="pm_card_visa",
        card_brand="visa",
        card_last4="4242",
        receipt_url="",
        stripe_fee=0,
    )
    funding_record_success(intent=intent, pi=pi, charge=charge)
    campaign.refresh_from_db()
    return intent


def visibility_campaign(*, cpv=300, max_views=2000, **kwargs):
    """An active Visibility campaign, funded for all its views."""
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(awaiting_funding=True, cpv=cpv, max_views=max_views, **kwargs)
    fund(campaign)
    assert campaign.status == "active"
    return campaign


def salesman_campaign(*, budget_cents=10_000, **kwargs):
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(salesman=True, awaiting_funding=True, **kwargs)
    fund(campaign, budget_cents)
    assert campaign.status == "active"
    return campaign


def join(campaign, promoter=None):
    from accounts.tests.factories import PromoterFactory
    from campaigns.services import campaign_join

    return campaign_join(campaign=campaign, promoter=promoter or PromoterFactory())


def visit(client, participation, *, ip="203.0.113.7", ua=BROWSER_UA, method="get", **headers):
    return getattr(client, method)(f"/v/{participation.tracking_code}", HTTP_USER_AGENT=ua, REMOTE_ADDR=ip, **headers)


def assert_books_clean():
    report = ledger_audit()
    assert report.clean, report.differences


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    cache.clear()
    # Tests change campaign states between clicks; the lookup cache has its own test.
    settings.TRACKING_LINK_CACHE_SECONDS = 0
    from tracking import services

    services._link_cache.clear()
