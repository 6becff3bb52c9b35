"""Money under concurrency (PostgreSQL: real row locks)."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from billing import ledger, services
from billing.audit import ledger_audit
from billing.models import AdvertiserCharge, CampaignBudgetAllocation, FeePlan, StripeWebhookEvent
from campaigns import services as campaign_services
from campaigns.models import CampaignDeliverable, CampaignStatus
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from tests.support.funding import fund_with_card as fund
from tests.support.funding import fund_without_stripe
from tests.support.stripe import deliver, events_of

pytestmark = [pytest.mark.django_db(transaction=True)]


def run_at_once(count, work):
    """Run `work(i)` in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # collected and asserted by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    close_old_connections()
    return results


def test_32_threads_spending_the_last_dollars_never_overspend(card_for, promoter):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=2_000)
    with transaction.atomic():
        services.campaign_budget_spend(campaign=campaign, promoter=promoter, amount_cents=1_700, idempotency_key="warm")

    def spend(index):
        with transaction.atomic():
            return services.campaign_budget_spend(
                campaign=campaign, promoter=promoter, amount_cents=30, idempotency_key=f"sale-{index}"
            )

    results = run_at_once(32, spend)

    succeeded = [r for r in results if isinstance(r, services.SpendResult)]
    refused = [r for r in results if isinstance(r, services.BudgetExhausted)]
    assert len(succeeded) == 10 and len(refused) == 22, results
    assert services.campaign_budget_remaining(campaign) == 0
    assert ledger.promoter_pending(promoter).balance == 2_000
    assert ledger.platform_revenue().balance == 200
    assert CampaignBudgetAllocation.objects.get(campaign=campaign).spent_amount == 2_000
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert ledger_audit().clean


def test_32_threads_replaying_one_key_spend_once(card_for, promoter):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)

    def spend(index):
        with transaction.atomic():
            return services.campaign_budget_spend(
                campaign=campaign, promoter=promoter, amount_cents=777, idempotency_key="same-order"
            )

    results = run_at_once(32, spend)

    assert set(results) == {services.SpendResult(777, 77)}, results
    assert services.campaign_budget_remaining(campaign) == 5_000 - 777
    assert ledger_audit().clean


def test_refund_twice_at_once_refunds_once(card_for, stripe_client, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 3  # the second caller meets Stripe's 409 for the in-flight key
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=4_000)
    services.campaign_budget_remaining(campaign)
    from campaigns import services as campaign_services

    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    results = run_at_once(2, lambda index: services.campaign_refund_unused(campaign=campaign, actor=None))

    assert not [r for r in results if isinstance(r, Exception)], results
    services.refunds_retry_pending(older_than_seconds=0)
    refund = AdvertiserCharge.objects.get(kind="refund")
    assert refund.status == "succeeded" and refund.amount == 4_400
    assert len(stripe_client.v1.refunds.list().data) == 1
    assert ledger_audit().clean


def test_same_webhook_delivered_concurrently_is_stored_and_applied_once(client, stripe_settings, stripe_sim):
    from django.test import Client

    campaign = CampaignFactory(awaiting_funding=True)
    quote = services.funding_quote(campaign=campaign)
    intent = services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)
    (event,) = events_of(stripe_sim, "payment_intent.succeeded")

    results = run_at_once(8, lambda index: deliver(Client(), stripe_sim, event).status_code)

    assert results == [200] * 8
    assert StripeWebhookEvent.objects.count() == 1
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert ledger_audit().clean


def test_two_milestones_planned_at_once_cannot_both_use_the_room_for_one_fee():
    FeePlan.objects.create(name="Projects", campaign_type="consultant", percent_bp=1000, fixed_cents=50)
    participation = PromoterCampaignFactory(
        campaign=CampaignFactory(consultant=True, awaiting_funding=True, has_selected_promoter=True),
        agreed_amount=30_000,
    )
    fund_without_stripe(participation.campaign, 30_000)  # + the fee of one milestone, none planned yet

    def plan(index):
        return campaign_services.deliverable_create(
            promoter_campaign=participation,
            actor=participation.campaign.advertiser,
            title=f"Half {index}",
            description="",
            amount_cents=15_000,
        )

    results = run_at_once(2, plan)

    planned = [r for r in results if isinstance(r, CampaignDeliverable)]
    refused = [r for r in results if isinstance(r, campaign_services.BudgetExceeded)]
    assert len(planned) == 1 and len(refused) == 1, results
    assert "plan at most $149.50" in str(refused[0])
    assert CampaignDeliverable.objects.filter(promoter_campaign=participation).count() == 1
    assert ledger_audit().clean
