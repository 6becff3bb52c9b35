"""A bank payment's settlement told three times at once (PostgreSQL: real row locks)."""

import pytest

from billing import services
from billing.audit import ledger_audit
from billing.models import AdvertiserCharge, CampaignBudgetAllocation, IntentStatus, StripePaymentIntent
from billing.tests.test_bank_funding import SUCCEEDS
from billing.tests.test_concurrency import run_at_once
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from tests.support.stripe import deliver, events_of

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_settled_bank_payments_events_racing_fund_the_campaign_once(client, stripe_settings, stripe_sim):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    quote = services.funding_quote(campaign=campaign)
    intent = services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id, account_number=SUCCEEDS)
    stripe_sim.settle_bank_debits()
    racing = [
        *events_of(stripe_sim, "payment_intent.succeeded"),
        *events_of(stripe_sim, "checkout.session.async_payment_succeeded"),
        *events_of(stripe_sim, "charge.succeeded"),
        *events_of(stripe_sim, "payment_intent.processing"),
    ]
    assert len(racing) == 4

    statuses = run_at_once(len(racing), lambda index: deliver(client, stripe_sim, racing[index]).status_code)

    assert statuses == [200] * 4, statuses
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert StripePaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.SUCCEEDED
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert AdvertiserCharge.objects.filter(campaign=campaign).count() == 1
    assert services.campaign_budget_remaining(campaign) == 6000
    assert ledger_audit().clean
