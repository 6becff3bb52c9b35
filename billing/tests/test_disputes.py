"""Disputes of funding payments: the campaign pauses and its unspent budget and fee cover the
withdrawal; what promoters already earned is a recorded platform loss; won, it all comes back
and the campaign resumes; lost, it stays. The books and Stripe's balance agree throughout."""

import pytest
from django.db import transaction

from accounts.models import Notification, NotificationKind
from billing import ledger, services
from billing.audit import ledger_audit
from billing.disputes import dispute_sync
from billing.models import AdvertiserCharge, ChargeKind, ChargeStatus, Dispute, DisputeStatus
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from reporting.finance import finance_overview
from tests.support.funding import fund_with_card as fund
from tests.support.stripe import deliver, events_of

pytestmark = pytest.mark.django_db

DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
)


def _platform_available(stripe_client):
    return next(b.amount for b in stripe_client.v1.balance.retrieve().available if b.currency == "usd")


def _external():
    return ledger.external().balance


@pytest.fixture
def spent_campaign(card_for, promoter):
    """$50 funded ($55 charged), $20 earned by a promoter ($2 fee recognised)."""
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)
    with transaction.atomic():
        services.campaign_budget_spend(campaign=campaign, promoter=promoter, amount_cents=2_000, idempotency_key="s1")
    charge = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.CHARGE)
    return campaign, charge


def _deliver_dispute_events(client, stripe_sim, *, reverse=False):
    events = [event for event in stripe_sim.events if event["type"] in DISPUTE_EVENTS]
    for event in reversed(events) if reverse else events:
        assert deliver(client, stripe_sim, event).status_code == 200
        assert deliver(client, stripe_sim, event).status_code == 200  # a replay


def test_an_open_dispute_pauses_the_campaign_and_its_unspent_money_covers_it(
    spent_campaign, stripe_sim, stripe_client, client
):
    campaign, charge = spent_campaign
    stripe_before, ledger_before = _platform_available(stripe_client), _external()
    stripe_sim.open_dispute(charge.stripe_charge_id)
    _deliver_dispute_events(client, stripe_sim)

    dispute = Dispute.objects.get()
    assert (dispute.amount, dispute.budget_covered, dispute.fee_covered, dispute.loss) == (5_500, 3_000, 300, 2_200)
    assert dispute.stripe_fee == 1_500 and dispute.status == DisputeStatus.OPEN
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert services.campaign_budget_remaining(campaign) == 0 and ledger.campaign_fee_held(campaign).balance == 0
    assert ledger.platform_losses().balance == -2_200
    # Stripe took 5,500 + its 1,500 fee; the ledger's outside world received the same.
    assert stripe_before - _platform_available(stripe_client) == _external() - ledger_before == 7_000
    assert Notification.objects.filter(user=campaign.advertiser, kind=NotificationKind.PAYMENT_DISPUTED).count() == 1
    overview = finance_overview()
    assert overview["disputes"]["open"] == 1 and overview["disputes"]["at_risk"] == 5_500
    assert overview["disputes"]["losses"] == 2_200
    assert ledger_audit().clean, ledger_audit().differences


def test_a_won_dispute_gives_everything_back_and_resumes_the_campaign(
    spent_campaign, stripe_sim, stripe_client, client
):
    campaign, charge = spent_campaign
    stripe_before, ledger_before = _platform_available(stripe_client), _external()
    opened = stripe_sim.open_dispute(charge.stripe_charge_id)
    stripe_sim.close_dispute(opened["id"], won=True)
    _deliver_dispute_events(client, stripe_sim, reverse=True)  # closed first: the state is re-read

    dispute = Dispute.objects.get()
    assert dispute.status == DisputeStatus.WON
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert services.campaign_budget_remaining(campaign) == 3_000 and ledger.campaign_fee_held(campaign).balance == 300
    assert ledger.platform_losses().balance == 0
    assert stripe_before - _platform_available(stripe_client) == _external() - ledger_before == 1_500  # the fee
    assert ledger_audit().clean, ledger_audit().differences
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)  # the rest can still be refunded
    assert services.campaign_budget_remaining(campaign) == 0
    assert ledger_audit().clean, ledger_audit().differences


def test_a_lost_dispute_keeps_the_loss_and_the_campaign_paused(spent_campaign, stripe_sim):
    campaign, charge = spent_campaign
    opened = stripe_sim.open_dispute(charge.stripe_charge_id)
    dispute_sync(stripe_dispute_id=opened["id"])
    stripe_sim.close_dispute(opened["id"], won=False)
    dispute_sync(stripe_dispute_id=opened["id"])
    dispute_sync(stripe_dispute_id=opened["id"])

    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.loss) == (DisputeStatus.LOST, 2_200)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert ledger.platform_losses().balance == -2_200
    titles = Notification.objects.filter(user=campaign.advertiser, kind=NotificationKind.PAYMENT_DISPUTED)
    assert titles.count() == 2
    assert ledger_audit().clean, ledger_audit().differences


def test_the_dispute_test_card_is_disputed_after_paying(card_for, stripe_sim, client):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser, "pm_card_createDispute")
    fund(campaign, budget_cents=5_000)
    assert events_of(stripe_sim, "charge.dispute.funds_withdrawn")
    _deliver_dispute_events(client, stripe_sim)
    dispute = Dispute.objects.get()
    assert (dispute.budget_covered, dispute.fee_covered, dispute.loss) == (5_000, 500, 0)
    assert ledger_audit().clean, ledger_audit().differences


def _refunded_at_stripe(stripe_client, charge):
    return stripe_client.v1.charges.retrieve(charge.stripe_charge_id).amount_refunded


def test_a_won_dispute_puts_back_exactly_what_its_hold_took_from_each_payment(
    card_for, promoter, stripe_sim, stripe_client
):
    """Two payments; the hold of a dispute on the older one lands on the newer one (the older is
    spent). Money returned after the end is refunded; when the dispute is won, each payment gets
    back what the hold took from it, not what its refunds happen to show, so no payment is
    refunded twice."""
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=2_000)
    fund(campaign, budget_cents=5_000)
    older, newer = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.CHARGE).order_by("pk")
    with transaction.atomic():
        services.campaign_budget_spend(campaign=campaign, promoter=promoter, amount_cents=2_000, idempotency_key="s1")
    opened = stripe_sim.open_dispute(older.stripe_charge_id)
    dispute_sync(stripe_dispute_id=opened["id"])
    campaign.refresh_from_db()
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    with transaction.atomic():  # the sale is refunded after the end: its 2,000 come back
        services.campaign_budget_spend_reverse(
            campaign=campaign, promoter=promoter, spend_idempotency_key="s1", idempotency_key="r1"
        )
    services.refund_unused_safely(campaign=campaign)

    stripe_sim.close_dispute(opened["id"], won=True)
    dispute_sync(stripe_dispute_id=opened["id"])

    assert services.campaign_budget_remaining(campaign) == 0 and ledger.campaign_fee_held(campaign).balance == 0
    refunds = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND)
    assert not refunds.filter(status=ChargeStatus.FAILED).exists()
    for charge in (older, newer):
        succeeded = refunds.filter(payment_intent=charge.payment_intent, status=ChargeStatus.SUCCEEDED)
        ours = sum(row.amount for row in succeeded)
        assert ours == _refunded_at_stripe(stripe_client, charge) <= charge.amount
        allocation = charge.payment_intent.allocation
        allocation.refresh_from_db()
        assert allocation.refunded_amount + allocation.fee_refunded_amount == ours
    assert ledger_audit().clean, ledger_audit().differences


def test_ending_a_campaign_refunds_only_payments_not_in_dispute(card_for, promoter, stripe_sim, stripe_client):
    """Stripe refuses to refund a charged-back payment (`charge_disputed`): the refund is taken
    from the campaign's other payments, and what only the disputed one could give back waits
    for the dispute's end instead of being refused for good."""
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)
    fund(campaign, budget_cents=2_000)
    older, newer = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.CHARGE).order_by("pk")
    opened = stripe_sim.open_dispute(newer.stripe_charge_id)  # 2,200 held: 2,000 budget + 200 fee
    dispute_sync(stripe_dispute_id=opened["id"])
    campaign.refresh_from_db()
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    refunds = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND)
    assert not refunds.filter(status=ChargeStatus.FAILED).exists()
    assert set(refunds.values_list("payment_intent_id", flat=True)) == {older.payment_intent_id}
    # The hold took the disputed payment's own 2,000 of budget and 200 of fee, so the older
    # payment is refunded whole and nothing is left waiting for a payment Stripe will not refund.
    assert _refunded_at_stripe(stripe_client, older) == 5_000 + 500
    assert services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0

    stripe_sim.close_dispute(opened["id"], won=True)
    dispute_sync(stripe_dispute_id=opened["id"])
    # Won: the held money comes back and is refunded to the payments it came from.
    assert (_refunded_at_stripe(stripe_client, older), _refunded_at_stripe(stripe_client, newer)) == (5_500, 2_200)
    assert services.campaign_budget_remaining(campaign) == 0 and ledger.campaign_fee_held(campaign).balance == 0
    assert ledger_audit().clean, ledger_audit().differences


def test_money_back_after_a_lost_dispute_recovers_the_loss_not_stuck_in_the_campaign(
    spent_campaign, promoter, stripe_sim
):
    """$50 funded, $20 earned, the whole payment charged back and lost (a 2,200 loss). The sale
    is then refunded after the end: its 2,000 + 200 fee cannot go back to the card (Stripe
    refuses, the card holder has it), so they recover the platform's loss."""
    campaign, charge = spent_campaign
    opened = stripe_sim.open_dispute(charge.stripe_charge_id)
    dispute_sync(stripe_dispute_id=opened["id"])
    stripe_sim.close_dispute(opened["id"], won=False)
    dispute_sync(stripe_dispute_id=opened["id"])
    campaign.refresh_from_db()
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    with transaction.atomic():
        services.campaign_budget_spend_reverse(
            campaign=campaign, promoter=promoter, spend_idempotency_key="s1", idempotency_key="r1"
        )
    services.refund_unused_safely(campaign=campaign)
    services.refund_unused_safely(campaign=campaign)

    assert services.campaign_budget_remaining(campaign) == 0 and ledger.campaign_fee_held(campaign).balance == 0
    assert not AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND).exists()
    dispute = Dispute.objects.get()
    assert (dispute.loss, dispute.loss_recovered) == (2_200, 2_200)
    assert ledger.platform_losses().balance == 0
    assert ledger_audit().clean, ledger_audit().differences


def test_a_dispute_held_before_holds_were_stored_is_still_given_back_when_won(spent_campaign, stripe_sim):
    from billing.models import CampaignBudgetAllocation, DisputeHold

    campaign, charge = spent_campaign
    opened = stripe_sim.open_dispute(charge.stripe_charge_id)
    dispute_sync(stripe_dispute_id=opened["id"])
    DisputeHold.objects.all().delete()  # as a hold made before migration 0009
    stripe_sim.close_dispute(opened["id"], won=True)
    dispute_sync(stripe_dispute_id=opened["id"])

    allocation = CampaignBudgetAllocation.objects.get(campaign=campaign)
    assert (allocation.refunded_amount, allocation.fee_refunded_amount) == (0, 0)
    assert allocation.remaining_amount == services.campaign_budget_remaining(campaign) == 3_000
    assert ledger_audit().clean, ledger_audit().differences


def test_a_lost_dispute_on_the_first_payment_leaves_no_fee_stuck_in_an_ended_campaign(
    card_for, promoter, stripe_sim, stripe_client
):
    """Found by the property test: the hold took other payments' budget before the disputed
    payment's own fee, so once the dispute was lost that fee stayed in the cancelled campaign
    with only the refused payment to go back through."""
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)
    fund(campaign, budget_cents=3_203)
    first = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.CHARGE).order_by("pk").first()
    opened = stripe_sim.open_dispute(first.stripe_charge_id)
    dispute_sync(stripe_dispute_id=opened["id"])
    campaign.refresh_from_db()
    campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="Changed plans")
    stripe_sim.close_dispute(opened["id"], won=False)
    dispute_sync(stripe_dispute_id=opened["id"])

    assert services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0
    assert ledger_audit().clean, ledger_audit().differences
