"""Budget control: campaign_budget_spend, the contract tracking and payouts code against."""

import pytest
from django.db import transaction

from billing import ledger, services
from billing.audit import ledger_audit
from billing.models import AdvertiserSpend, CampaignBudgetAllocation, PlatformFee, Transaction
from campaigns.models import CampaignStatus, StatusReason
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from tests.support.funding import fund_with_card as fund

pytestmark = pytest.mark.django_db


def spend(campaign, promoter, cents, key, destination="pending"):
    with transaction.atomic():
        return services.campaign_budget_spend(
            campaign=campaign, promoter=promoter, amount_cents=cents, idempotency_key=key, destination=destination
        )


@pytest.fixture
def funded_salesman(card_for):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=10_000)
    return campaign


def test_spend_moves_budget_to_the_promoter_and_recognises_the_fee(funded_salesman, promoter):
    result = spend(funded_salesman, promoter, 2_500, "sale-1")

    assert result == services.SpendResult(spent_cents=2_500, fee_cents=250)
    assert ledger.promoter_pending(promoter).balance == 2_500
    assert ledger.platform_revenue().balance == 250
    assert ledger.campaign_fee_held(funded_salesman).balance == 750
    assert services.campaign_budget_remaining(funded_salesman) == 7_500
    fee = PlatformFee.objects.get(kind="recognised")
    assert fee.amount == 250 and fee.transaction.idempotency_key == "spend-fee:sale-1"
    assert AdvertiserSpend.objects.get(campaign=funded_salesman).amount_spent == 2_500
    assert ledger_audit().clean


def test_same_idempotency_key_spends_once_and_returns_the_same_result(funded_salesman, promoter):
    first = spend(funded_salesman, promoter, 1_234, "view-batch-7")
    second = spend(funded_salesman, promoter, 1_234, "view-batch-7")

    assert first == second == services.SpendResult(1_234, 123)
    assert services.campaign_budget_remaining(funded_salesman) == 10_000 - 1_234
    assert AdvertiserSpend.objects.get().spend_count == 1
    assert ledger_audit().clean


def test_overspend_is_refused_whole_with_the_remaining_amount(funded_salesman, promoter):
    spend(funded_salesman, promoter, 9_000, "a")
    before = Transaction.objects.count()

    with pytest.raises(services.BudgetExhausted) as refused:
        spend(funded_salesman, promoter, 1_001, "b")

    assert refused.value.remaining_cents == 1_000
    assert Transaction.objects.count() == before
    assert services.campaign_budget_remaining(funded_salesman) == 1_000
    assert ledger_audit().clean


def test_fee_is_recognised_cumulatively_so_no_cent_is_lost(card_for, promoter):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=2_005)  # fee 201: not a round 10 %
    fees = [spend(campaign, promoter, 7, f"s{i}").fee_cents for i in range(286)]  # 2002 cents
    fees.append(spend(campaign, promoter, 3, "last").fee_cents)

    assert sum(fees) == 201
    assert ledger.campaign_fee_held(campaign).balance == 0
    assert ledger.platform_revenue().balance == 201
    assert ledger_audit().clean


def test_spending_the_last_cent_pauses_salesman_and_visibility_campaigns(funded_salesman, promoter):
    spend(funded_salesman, promoter, 10_000, "all")

    funded_salesman.refresh_from_db()
    assert funded_salesman.status == CampaignStatus.PAUSED
    assert funded_salesman.status_changes.first().reason_code == StatusReason.BUDGET_USED_UP
    with pytest.raises(services.BudgetExhausted) as refused:
        spend(funded_salesman, promoter, 1, "more")
    assert refused.value.remaining_cents == 0


def test_a_top_up_resumes_a_campaign_paused_for_budget(funded_salesman, promoter):
    spend(funded_salesman, promoter, 10_000, "all")
    fund(funded_salesman, budget_cents=2_000)

    assert funded_salesman.status == CampaignStatus.ACTIVE
    assert services.campaign_budget_remaining(funded_salesman) == 2_000


def test_allocations_are_spent_oldest_first(funded_salesman, promoter):
    fund(funded_salesman, budget_cents=5_000)
    spend(funded_salesman, promoter, 12_000, "big")

    first, second = CampaignBudgetAllocation.objects.filter(campaign=funded_salesman).order_by("pk")
    assert (first.spent_amount, second.spent_amount) == (10_000, 2_000)
    assert ledger_audit().clean


def test_consultant_milestone_goes_to_direct_and_does_not_pause(card_for):
    participation = PromoterCampaignFactory(
        campaign=CampaignFactory(consultant=True, awaiting_funding=True, has_selected_promoter=True),
        agreed_amount=30_000,
    )
    campaign = participation.campaign
    card_for(campaign.advertiser)
    fund(campaign)

    spend(campaign, participation.promoter, 30_000, "work-1", destination="direct")

    campaign.refresh_from_db()
    participation.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert ledger.promoter_direct(participation.promoter).balance == 30_000
    assert (participation.budget_held, participation.spent_budget) == (30_000, 30_000)
    assert ledger_audit().clean


def test_spend_outside_a_transaction_or_of_bad_amounts_is_refused(funded_salesman, promoter):
    with pytest.raises(ValueError), transaction.atomic():
        services.campaign_budget_spend(campaign=funded_salesman, promoter=promoter, amount_cents=0, idempotency_key="z")
    with pytest.raises(ValueError), transaction.atomic():
        services.campaign_budget_spend(
            campaign=funded_salesman, promoter=promoter, amount_cents=1.5, idempotency_key="z"
        )


def test_unfunded_campaign_has_nothing_to_spend(promoter):
    campaign = CampaignFactory(salesman=True, active=True)
    with pytest.raises(services.BudgetExhausted) as refused:
        spend(campaign, promoter, 1, "x")
    assert refused.value.remaining_cents == 0


def test_funding_without_stripe_helper_for_other_apps(promoter):
    from tests.support.funding import fund_without_stripe

    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    fund_without_stripe(campaign)

    assert campaign.status == CampaignStatus.ACTIVE
    assert spend(campaign, promoter, 60, "views-1") == services.SpendResult(60, 6)
    assert ledger_audit().clean


def reverse(campaign, promoter, spend_key, key):
    with transaction.atomic():
        return services.campaign_budget_spend_reverse(
            campaign=campaign, promoter=promoter, spend_idempotency_key=spend_key, idempotency_key=key
        )


def test_reversing_a_spend_returns_the_earning_and_its_fee_to_the_campaign(funded_salesman, promoter):
    spend(funded_salesman, promoter, 2_500, "sale-1")
    spend(funded_salesman, promoter, 1_000, "sale-2")

    result = reverse(funded_salesman, promoter, "sale-1", "refund-1")
    again = reverse(funded_salesman, promoter, "sale-1", "refund-1")

    assert result == again == services.SpendResult(spent_cents=-2_500, fee_cents=-250)
    assert ledger.promoter_pending(promoter).balance == 1_000
    assert ledger.platform_revenue().balance == 100
    assert ledger.campaign_fee_held(funded_salesman).balance == 900
    assert services.campaign_budget_remaining(funded_salesman) == 9_000
    assert CampaignBudgetAllocation.objects.get(campaign=funded_salesman).spent_amount == 1_000
    assert AdvertiserSpend.objects.get(campaign=funded_salesman).amount_spent == 1_000
    assert ledger_audit().clean


def test_fee_after_a_reversal_still_adds_up_to_the_cent(funded_salesman, promoter):
    """Spend, reverse, spend the whole budget: revenue ends at exactly the fee funded."""
    spend(funded_salesman, promoter, 333, "a")
    reverse(funded_salesman, promoter, "a", "undo-a")
    spend(funded_salesman, promoter, 10_000, "all")

    assert ledger.platform_revenue().balance == 1_000
    assert ledger.campaign_fee_held(funded_salesman).balance == 0
    assert ledger_audit().clean


def test_reversal_refuses_when_the_earning_has_left_pending(funded_salesman, promoter):
    spend(funded_salesman, promoter, 2_500, "sale-1")
    with transaction.atomic():
        ledger.ledger_post(
            kind="release",
            legs=[ledger.Leg(ledger.promoter_pending(promoter), ledger.promoter_available(promoter), 2_500)],
            idempotency_key="release-test",
        )

    with pytest.raises(ledger.InsufficientFunds):
        reverse(funded_salesman, promoter, "sale-1", "refund-1")

    assert services.campaign_budget_remaining(funded_salesman) == 7_500
    assert ledger_audit().clean


def test_reversal_of_an_unknown_spend_is_refused(funded_salesman, promoter):
    with pytest.raises(ValueError):
        reverse(funded_salesman, promoter, "never-spent", "refund-x")
