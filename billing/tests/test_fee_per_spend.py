"""A fixed fee per sale (Salesman) or per milestone payment (Consultant, Seller): their count is
not known at funding, so each spend takes its fixed fee from the campaign budget, in the same
ledger transaction as the earning; a reversed spend gives it back; unused budget and the
percentage on what promoters did not earn are refunded when the campaign ends."""

import pytest
from django.db import transaction
from django.urls import reverse

from billing import ledger, services
from billing.models import (
    AdvertiserCharge,
    AdvertiserSpend,
    CampaignBudgetAllocation,
    ChargeKind,
    FeePlan,
    PlatformFee,
    Transaction,
)
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus, StatusReason
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_card as fund

pytestmark = pytest.mark.django_db


def spend(campaign, promoter, cents, key, destination="pending"):
    with transaction.atomic():
        return services.campaign_budget_spend(
            campaign=campaign, promoter=promoter, amount_cents=cents, idempotency_key=key, destination=destination
        )


def reverse_spend(campaign, promoter, key):
    with transaction.atomic():
        return services.campaign_budget_spend_reverse(
            campaign=campaign, promoter=promoter, spend_idempotency_key=key, idempotency_key=f"rev-{key}"
        )


@pytest.fixture
def per_sale(card_for):
    """A Salesman campaign under 10% + $0.50 per sale, funded with $100.00 (charged $110.00)."""
    FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=1000, fixed_cents=50)
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=10_000)
    return campaign


def test_the_fixed_fee_per_sale_is_not_charged_at_funding(per_sale):
    charge = AdvertiserCharge.objects.get(campaign=per_sale, kind=ChargeKind.CHARGE)
    assert (charge.budget_amount, charge.fee_amount, charge.amount) == (10_000, 1_000, 11_000)
    assert services.campaign_budget_remaining(per_sale) == 10_000


def test_each_sale_takes_its_fixed_fee_from_the_budget_with_the_commission(per_sale, promoter):
    result = spend(per_sale, promoter, 2_500, "sale-1")

    assert result == services.SpendResult(spent_cents=2_500, fee_cents=250 + 50, fixed_fee_cents=50)
    assert ledger.promoter_pending(promoter).balance == 2_500
    assert services.campaign_budget_remaining(per_sale) == 10_000 - 2_500 - 50
    assert ledger.campaign_fee_held(per_sale).balance == 750
    assert ledger.platform_revenue().balance == 300
    # One batch per key, all in the spend's transaction: the fixed fee goes budget -> revenue.
    fixed = Transaction.objects.get(idempotency_key="spend-fixed-fee:sale-1")
    assert (fixed.source.kind, fixed.destination.kind, fixed.amount) == ("campaign_budget", "platform_revenue", 50)
    assert sorted(PlatformFee.objects.filter(kind="recognised").values_list("amount", flat=True)) == [50, 250]
    allocation = CampaignBudgetAllocation.objects.get(campaign=per_sale)
    assert (allocation.spent_amount, allocation.fee_taken_amount, allocation.remaining_amount) == (2_500, 50, 7_450)
    day = AdvertiserSpend.objects.get(campaign=per_sale)
    assert (day.amount_spent, day.fee_amount, day.spend_count) == (2_500, 300, 1)
    assert_books_clean()


def test_a_replayed_spend_takes_the_fixed_fee_once(per_sale, promoter):
    first = spend(per_sale, promoter, 1_000, "sale-1")
    again = spend(per_sale, promoter, 1_000, "sale-1")

    assert first == again == services.SpendResult(1_000, 150, 50)
    assert services.campaign_budget_remaining(per_sale) == 10_000 - 1_050
    assert_books_clean()


def test_a_budget_that_covers_the_commission_but_not_its_fee_refuses_the_whole_spend(per_sale, promoter):
    spend(per_sale, promoter, 9_500, "sale-1")  # 9,550 of 10,000: 450 left
    before = Transaction.objects.count()

    with pytest.raises(services.BudgetExhausted) as refused:
        spend(per_sale, promoter, 450, "sale-2")  # 450 + 50 > 450

    assert refused.value.remaining_cents == 450
    assert Transaction.objects.count() == before
    assert services.campaign_budget_remaining(per_sale) == 450
    per_sale.refresh_from_db()
    assert per_sale.status == CampaignStatus.ACTIVE
    assert_books_clean()

    spend(per_sale, promoter, 400, "sale-3")  # 400 + 50: the last cent, never below zero

    per_sale.refresh_from_db()
    assert services.campaign_budget_remaining(per_sale) == 0
    assert per_sale.status == CampaignStatus.PAUSED
    assert per_sale.status_changes.first().reason_code == StatusReason.BUDGET_USED_UP
    assert_books_clean()


def test_a_reversed_sale_gives_its_fixed_fee_back_to_the_budget(per_sale, promoter):
    spend(per_sale, promoter, 2_500, "sale-1")

    result = reverse_spend(per_sale, promoter, "sale-1")

    assert result == services.SpendResult(spent_cents=-2_500, fee_cents=-300, fixed_fee_cents=-50)
    assert services.campaign_budget_remaining(per_sale) == 10_000
    assert ledger.campaign_fee_held(per_sale).balance == 1_000
    assert ledger.platform_revenue().balance == 0
    assert sorted(PlatformFee.objects.filter(kind="reversed").values_list("amount", flat=True)) == [50, 250]
    allocation = CampaignBudgetAllocation.objects.get(campaign=per_sale)
    assert (allocation.spent_amount, allocation.fee_taken_amount) == (0, 0)
    assert AdvertiserSpend.objects.get(campaign=per_sale).fee_amount == 0
    assert reverse_spend(per_sale, promoter, "sale-1") == result  # replayed: gives back once
    assert_books_clean()


def test_ending_refunds_the_rest_to_the_cent(per_sale, promoter, stripe_client):
    for number in range(3):
        spend(per_sale, promoter, 2_000, f"sale-{number}")  # 3 x (2,000 + 0.50)

    campaign_services.campaign_complete(campaign=per_sale, actor=per_sale.advertiser)

    refund = AdvertiserCharge.objects.get(campaign=per_sale, kind=ChargeKind.REFUND)
    # Budget: 10,000 - 6,000 - 150. Fee: 10% of what promoters earned is the platform's.
    assert (refund.budget_amount, refund.fee_amount, refund.status) == (3_850, 400, "succeeded")
    assert ledger.platform_revenue().balance == 600 + 150
    assert 6_000 + 600 + 150 + refund.amount == 11_000
    assert services.campaign_budget_remaining(per_sale) == 0
    assert ledger.campaign_fee_held(per_sale).balance == 0
    remote = stripe_client.v1.charges.retrieve(refund.stripe_charge_id)
    assert remote.amount_refunded == 4_250
    assert_books_clean()


def test_a_budget_used_up_by_sales_and_their_fees_refunds_the_percentage_on_the_fees(card_for, promoter):
    FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=1000, fixed_cents=50)
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=2_000)  # charged 2,200

    spend(campaign, promoter, 1_950, "sale-1")  # 1,950 + 50: the whole budget
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert ledger.platform_revenue().balance == 195 + 50  # the percentage of what promoters earned
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    refund = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    assert (refund.budget_amount, refund.fee_amount) == (0, 5)
    assert 2_200 == 1_950 + 195 + 50 + 5
    assert_books_clean()


def test_top_ups_pay_fixed_fees_across_payments_oldest_first(per_sale, promoter):
    fund(per_sale, budget_cents=2_000)

    spend(per_sale, promoter, 9_990, "big")  # 9,990 + 50: the first payment's 10,000 and 40 of the top-up

    first, second = CampaignBudgetAllocation.objects.filter(campaign=per_sale).order_by("pk")
    assert (first.spent_amount, first.fee_taken_amount, first.remaining_amount) == (9_990, 10, 0)
    assert (second.spent_amount, second.fee_taken_amount, second.remaining_amount) == (0, 40, 1_960)
    assert_books_clean()


def test_a_milestone_payment_takes_the_fixed_fee_per_milestone(card_for):
    FeePlan.objects.create(name="Projects", campaign_type="consultant", percent_bp=1000, fixed_cents=500)
    participation = PromoterCampaignFactory(
        campaign=CampaignFactory(consultant=True, awaiting_funding=True, has_selected_promoter=True),
        agreed_amount=30_000,
    )
    campaign = participation.campaign
    card_for(campaign.advertiser)
    fund(campaign)  # 30,000 + 3,000 + 500 reserved for the fee of one milestone (none planned yet)

    result = spend(campaign, participation.promoter, 10_000, "work-1", destination="direct")

    assert result == services.SpendResult(10_000, 1_000 + 500, 500)
    assert ledger.promoter_direct(participation.promoter).balance == 10_000
    assert services.campaign_budget_remaining(campaign) == 30_500 - 10_500
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert_books_clean()


def test_a_visibility_fixed_fee_stays_charged_on_top_at_funding(card_for, promoter):
    FeePlan.objects.create(name="Views", campaign_type="visibility", percent_bp=0, fixed_cents=50)
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2_000)
    card_for(campaign.advertiser)
    fund(campaign)  # 6,000 + 20 x 50

    result = spend(campaign, promoter, 1_500, "views-1")

    assert result == services.SpendResult(1_500, 250, 0)
    assert services.campaign_budget_remaining(campaign) == 4_500
    assert_books_clean()


def test_the_campaign_page_and_billing_page_show_the_fees_taken_from_the_budget(client, per_sale, promoter):
    spend(per_sale, promoter, 2_000, "sale-1")
    spend(per_sale, promoter, 1_000, "sale-2")
    client.force_login(per_sale.advertiser)

    page = client.get(reverse("campaigns:advertiser_detail", args=[per_sale.public_id])).text
    billing = client.get(reverse("billing:overview")).text

    assert "Fee plan" in page and "10% + $0.50 per sale" in page
    assert "Platform fee per sale, taken from the budget" in page and "$1.00" in page
    assert "$30.00" in page  # spent on promoters
    assert "$69.00" in page  # left: 100.00 - 30.00 - 1.00
    assert "$1.00 taken from the budget" in billing and "$69.00" in billing


def test_the_audit_catches_fixed_fees_the_allocations_do_not_count(per_sale, promoter):
    from billing.audit import ledger_audit

    spend(per_sale, promoter, 2_000, "sale-1")
    CampaignBudgetAllocation.objects.filter(campaign=per_sale).update(fee_taken_amount=0)

    differences = ledger_audit().differences

    assert f"campaign {per_sale.pk}: allocations leave 8000, budget account holds 7950" in differences
    assert f"campaign {per_sale.pk}: allocations took 0 of fixed fees, ledger 50" in differences
