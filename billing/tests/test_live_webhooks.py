"""End to end: the simulator delivers its own signed webhooks to a live server (duplicated and
out of order), and the campaign ends up funded exactly once."""

import time

import pytest

from billing import services
from billing.audit import ledger_audit
from billing.models import CampaignBudgetAllocation, StripeWebhookEvent
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_simulator_webhooks_fund_the_campaign_once(live_server, stripe_settings, stripe_sim):
    stripe_sim.configure(webhook_url=f"{live_server.url}/billing/stripe/webhook/")
    campaign = CampaignFactory(awaiting_funding=True)
    quote = services.funding_quote(campaign=campaign)
    intent = services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url=f"{live_server.url}/back/"
    )
    stripe_sim.hold_events()
    stripe_sim.duplicate_next_events(20)
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)

    stripe_sim.release_events(reverse=True)
    assert stripe_sim.wait_for_webhooks(timeout=20)
    time.sleep(0.2)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert all(delivery["delivered"] for delivery in stripe_sim.deliveries)
    assert StripeWebhookEvent.objects.filter(status="failed").count() == 0
    assert StripeWebhookEvent.objects.count() == len({event["id"] for event in stripe_sim.events})
    assert ledger_audit().clean
