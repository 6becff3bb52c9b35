"""Money that comes back to an ended campaign (a sale refunded after its Salesman campaign ended)
goes back to the advertiser as another partial refund of the funding payment."""

import pytest
from django.db import transaction

from billing import ledger, services
from billing.audit import ledger_audit
from billing.models import AdvertiserCharge, CampaignBudgetAllocation, ChargeKind, TransactionKind
from campaigns import services as campaign_services
from campaigns.services import campaign_join
from campaigns.tests.factories import CampaignFactory
from tests.support.funding import fund_with_card as fund
from tracking import services as tracking_services
from tracking.models import SaleSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended_with_a_verified_sale(card_for, promoter):
    """Fund $50 (charged $55), record and verify a $100 sale (1,250 to the promoter), end the
    campaign (4,125 refunded)."""
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)
    participation = campaign_join(campaign=campaign, promoter=promoter)
    sale, _ = tracking_services.sale_record(
        campaign=campaign,
        order_id="o-1",
        amount_cents=10_000,
        currency="usd",
        ref_code=participation.tracking_code,
        source=SaleSource.MANUAL,
    )
    tracking_services.sale_verify(sale=sale, actor=campaign.advertiser)
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    assert _refunds(campaign) == [(3_750, 375)]
    return campaign, sale


def _refunds(campaign):
    return list(
        AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND, status="succeeded")
        .order_by("pk")
        .values_list("budget_amount", "fee_amount")
    )


def _assert_nothing_left(campaign):
    assert services.campaign_budget_remaining(campaign) == 0
    assert ledger.campaign_fee_held(campaign).balance == 0
    allocation = CampaignBudgetAllocation.objects.get(campaign=campaign)
    assert allocation.remaining_amount == 0
    assert ledger_audit().clean


def test_a_sale_refunded_after_the_end_refunds_its_commission_and_fee(
    ended_with_a_verified_sale, stripe_client, django_capture_on_commit_callbacks
):
    campaign, sale = ended_with_a_verified_sale
    with django_capture_on_commit_callbacks(execute=True):
        tracking_services.sale_refund(sale=sale, actor=campaign.advertiser)
    assert _refunds(campaign) == [(3_750, 375), (1_250, 125)]
    charge = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.CHARGE)
    assert stripe_client.v1.charges.retrieve(charge.stripe_charge_id).amount_refunded == 5_500
    _assert_nothing_left(campaign)


def test_the_reconcile_task_refunds_money_an_ended_campaign_got_back(ended_with_a_verified_sale):
    campaign, sale = ended_with_a_verified_sale
    tracking_services.sale_refund(sale=sale, actor=campaign.advertiser)  # its queued task lost
    assert services.campaign_budget_remaining(campaign) == 1_250
    services.ended_campaigns_refund_leftovers()
    services.ended_campaigns_refund_leftovers()
    assert _refunds(campaign) == [(3_750, 375), (1_250, 125)]
    _assert_nothing_left(campaign)


def test_a_commission_deducted_after_the_end_is_refunded(
    ended_with_a_verified_sale, django_capture_on_commit_callbacks
):
    from payouts.services import deductions_apply

    campaign, sale = ended_with_a_verified_sale
    promoter = sale.participation.promoter
    with transaction.atomic():  # the month closed: the commission moved on towards a payout
        ledger.ledger_post(
            kind=TransactionKind.RELEASE,
            legs=[ledger.Leg(ledger.promoter_pending(promoter), ledger.promoter_available(promoter), 1_250)],
            idempotency_key="test-release",
        )
    tracking_services.sale_refund(sale=sale, actor=campaign.advertiser)
    assert services.campaign_budget_remaining(campaign) == 0
    with transaction.atomic():  # the promoter earns again; the next close deducts the commission
        ledger.ledger_post(
            kind=TransactionKind.ADJUSTMENT,
            legs=[ledger.Leg(ledger.external(), ledger.promoter_pending(promoter), 2_000)],
            idempotency_key="test-later-earnings",
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert deductions_apply() == (1, 1_250)
    assert _refunds(campaign) == [(3_750, 375), (1_250, 125)]
    _assert_nothing_left(campaign)


def test_a_refund_stripe_refuses_for_good_is_not_tried_again_at_every_sweep(card_for, monkeypatch):
    """Stripe refuses the refund for good (here: the payment was charged back before its webhook
    arrived): the money stays with the campaign for staff, and the sweep does not try again."""
    from billing import gateway
    from billing.models import ChargeStatus

    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5_000)

    def refused(**kwargs):
        raise gateway.GatewayError("Charge has been charged back; cannot issue a refund.", code="charge_disputed")

    monkeypatch.setattr(gateway, "refund_create", refused)
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    refund = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    assert refund.status == ChargeStatus.FAILED and "charged back" in refund.failure_reason
    assert refund.failure_reason_code == "charge_disputed"

    assert services.ended_campaigns_refund_leftovers() == 1
    assert services.ended_campaigns_refund_leftovers() == 1
    assert AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND).count() == 1
    assert services.campaign_budget_remaining(campaign) == 5_000  # kept for staff to settle
    assert ledger_audit().clean
