"""The milestone fee reserve: a Consultant/Seller budget is the agreed amount and its milestones
add up to it, so a fixed fee per milestone payment is paid for apart. Funding adds the fee of
each milestone planned by then (at least one) to the payment, into the campaign budget; each
milestone payment takes its fee from it, the promoter is paid the whole agreed amount, and what
the fees did not use is refunded with the rest when the campaign ends. A milestone planned after
funding must fit, with its fee, in what the budget still holds."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from billing import ledger
from billing import services as billing_services
from billing.models import AdvertiserCharge, CampaignBudgetAllocation, ChargeKind, FeePlan, Transaction
from campaigns import services as campaign_services
from campaigns.models import CampaignDeliverable, WorkReviewReason
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from payouts import services, statements
from payouts.models import BillingPeriodSummary, StripeTransfer, TransferStatus, Wallet
from payouts.reconciliation import statements_reconcile
from stripe_simulator.errors import StripeError
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_card, fund_with_charge
from tests.support.payouts import connect_ready
from tests.support.statements import CLOSE_DAY, JAN, MID_JAN

pytestmark = pytest.mark.django_db

AGREED = 30_000
FEE = 50  # $0.50 per milestone payment, with 10% of the agreed amount


def _project(stripe_sim, *, campaign_type="consultant"):
    """A Consultant (or Seller) campaign under 10% + $0.50 per milestone payment, awaiting the
    funding of the $300.00 agreed with its promoter, whose Connect account is ready."""
    stripe_sim.add_balance(1_000_000)
    FeePlan.objects.create(name="Projects", campaign_type=campaign_type, percent_bp=1000, fixed_cents=FEE)
    participation = PromoterCampaignFactory(
        campaign=CampaignFactory(campaign_type=campaign_type, awaiting_funding=True, has_selected_promoter=True),
        agreed_amount=AGREED,
    )
    connect_ready(stripe_sim, participation.promoter)
    return participation


@pytest.fixture
def project(stripe_sim, card_for):
    participation = _project(stripe_sim)
    card_for(participation.campaign.advertiser)
    return participation


def plan(participation, amount, title="Milestone"):
    return campaign_services.deliverable_create(
        promoter_campaign=participation,
        actor=participation.campaign.advertiser,
        title=title,
        description="",
        amount_cents=amount,
    )


def deliver(participation, deliverable, capture):
    """The promoter submits the milestone's work and the advertiser approves it (paid at once)."""
    work = campaign_services.work_submit(deliverable=deliverable, actor=participation.promoter, text="Done")
    with capture(execute=True):
        assert campaign_services.work_approve(work=work, actor=participation.campaign.advertiser)
    return work


def _fixed_fees_posted(campaign) -> list[int]:
    return sorted(
        Transaction.objects.filter(
            kind="fee_recognised",
            source=ledger.campaign_budget(campaign),
            idempotency_key__startswith="spend-fixed-fee:",
        ).values_list("amount", flat=True)
    )


@pytest.mark.parametrize("campaign_type", ["consultant", "seller"])
def test_milestones_adding_up_to_the_agreed_amount_are_all_paid_in_full(
    stripe_sim, card_for, django_capture_on_commit_callbacks, campaign_type
):
    participation = _project(stripe_sim, campaign_type=campaign_type)
    campaign, promoter = participation.campaign, participation.promoter
    card_for(campaign.advertiser)
    milestones = [plan(participation, 10_000, f"Part {number}") for number in range(3)]

    fund_with_card(campaign)

    charge = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.CHARGE)
    assert (charge.budget_amount, charge.fee_amount, charge.fee_reserve_amount) == (AGREED, 3_000, 3 * FEE)
    assert charge.amount == AGREED + 3_000 + 3 * FEE
    assert billing_services.campaign_budget_remaining(campaign) == AGREED + 3 * FEE
    for milestone in milestones:
        deliver(participation, milestone, django_capture_on_commit_callbacks)

    transfers = StripeTransfer.objects.filter(promoter=promoter)
    assert sorted(transfers.values_list("status", "amount")) == [(TransferStatus.SUCCEEDED, 10_000)] * 3
    assert Wallet.objects.get(user=promoter).direct_paid_total == AGREED  # the whole agreed amount
    assert _fixed_fees_posted(campaign) == [FEE] * 3
    assert billing_services.campaign_budget_remaining(campaign) == 0  # nothing stranded
    assert ledger.campaign_fee_held(campaign).balance == 0  # all of the percentage recognised
    assert ledger.platform_revenue().balance == 3_000 + 3 * FEE
    assert_books_clean()


def test_funding_before_any_milestone_is_planned_reserves_one_fee(project):
    fund_with_card(project.campaign)

    charge = AdvertiserCharge.objects.get(campaign=project.campaign, kind=ChargeKind.CHARGE)
    assert (charge.budget_amount, charge.fee_amount, charge.fee_reserve_amount) == (AGREED, 3_000, FEE)
    allocation = CampaignBudgetAllocation.objects.get(campaign=project.campaign)
    assert (allocation.allocated_amount, allocation.fee_reserve_amount) == (AGREED + FEE, FEE)
    project.refresh_from_db()
    assert project.budget_held == AGREED  # the promoter's money; the reserve is the fees'
    assert_books_clean()


def test_the_fund_page_and_receipt_itemise_the_milestone_fees(client, project):
    plan(project, 10_000)
    plan(project, 10_000)
    plan(project, 10_000)
    client.force_login(project.campaign.advertiser)

    page = client.get(reverse("billing:fund", args=[project.campaign.public_id])).text
    fund_with_card(project.campaign)
    charge = AdvertiserCharge.objects.get(campaign=project.campaign, kind=ChargeKind.CHARGE)
    receipt = client.get(reverse("billing:receipt", args=[charge.public_id])).text

    for html in (page, receipt):
        assert "Milestone fees: 3 x $0.50, taken as each milestone is paid; what is not used is refunded" in html
        assert "$1.50" in html and "$331.50" in html
        assert "Platform fee (10%)" in html and "$30.00" in html


def test_the_campaign_form_preview_says_milestone_fees_are_reserved(client, advertiser):
    FeePlan.objects.create(name="Projects", campaign_type="consultant", percent_bp=1000, fixed_cents=FEE)
    client.force_login(advertiser)

    preview = client.get(
        reverse("billing:cost_preview"),
        {"campaign_type": "consultant", "min_budget_dollars": "100", "max_budget_dollars": "500"},
    ).text

    assert "Milestone fees: $0.50 for each milestone you plan (at least one), added when you fund" in preview
    assert "what is not used is refunded" in preview


def test_a_milestone_planned_after_funding_must_fit_with_its_fee(project, django_capture_on_commit_callbacks):
    first, second = plan(project, 10_000), plan(project, 10_000)
    fund_with_card(project.campaign)  # 30,000 + the fees of 2 milestones
    before = (Transaction.objects.count(), CampaignDeliverable.objects.count())

    with pytest.raises(campaign_services.BudgetExceeded) as refused:
        plan(project, 10_000)

    message = str(refused.value)
    assert "Each milestone payment takes a $0.50 platform fee from the budget" in message
    assert "room for 2 milestones" in message
    assert "make this one part of an existing milestone, or plan at most $99.50" in message
    assert (Transaction.objects.count(), CampaignDeliverable.objects.count()) == before
    assert billing_services.campaign_budget_remaining(project.campaign) == AGREED + 2 * FEE

    third = plan(project, 9_950)  # 20,000 + 9,950 + 3 fees: exactly what the budget holds
    for milestone in (first, second, third):
        deliver(project, milestone, django_capture_on_commit_callbacks)

    assert Wallet.objects.get(user=project.promoter).direct_paid_total == 29_950
    assert _fixed_fees_posted(project.campaign) == [FEE] * 3
    assert billing_services.campaign_budget_remaining(project.campaign) == 0
    assert_books_clean()


def test_a_milestone_the_reserve_leaves_no_room_for_is_refused_with_the_form_message(client, project):
    plan(project, 10_000)
    fund_with_card(project.campaign)  # 30,000 + the fee of 1 milestone
    client.force_login(project.campaign.advertiser)

    response = client.post(
        reverse("campaigns:deliverable_create", args=[project.public_id]),
        {"title": "Rest", "description": "", "amount": "200.00"},
    )

    assert response.status_code == 200
    assert "Each milestone payment takes a $0.50 platform fee from the budget" in response.text
    assert "plan at most $199.50" in response.text
    assert CampaignDeliverable.objects.filter(promoter_campaign=project).count() == 1


def test_planning_after_funding_without_a_fixed_fee_is_unchanged(stripe_sim, card_for):
    participation = PromoterCampaignFactory(
        campaign=CampaignFactory(consultant=True, awaiting_funding=True, has_selected_promoter=True),
        agreed_amount=AGREED,
    )
    card_for(participation.campaign.advertiser)
    plan(participation, 10_000)
    fund_with_card(participation.campaign)

    plan(participation, 20_000)  # up to the agreed amount, as before

    charge = AdvertiserCharge.objects.get(campaign=participation.campaign, kind=ChargeKind.CHARGE)
    assert (charge.amount, charge.fee_reserve_amount) == (33_000, 0)


def test_ending_refunds_the_unused_reserve_to_the_cent(
    client, project, django_capture_on_commit_callbacks, stripe_client
):
    milestones = [plan(project, 10_000) for _ in range(3)]
    fund_with_card(project.campaign)  # 30,000 + 3,000 + 150
    deliver(project, milestones[0], django_capture_on_commit_callbacks)

    campaign_services.campaign_complete(campaign=project.campaign, actor=project.campaign.advertiser)

    refund = AdvertiserCharge.objects.get(campaign=project.campaign, kind=ChargeKind.REFUND)
    assert (refund.budget_amount, refund.fee_amount, refund.fee_reserve_amount) == (20_000, 2_000, 2 * FEE)
    assert (refund.amount, refund.status) == (22_100, "succeeded")
    assert 10_000 + 1_000 + FEE + refund.amount == 33_150
    assert stripe_client.v1.charges.retrieve(refund.stripe_charge_id).amount_refunded == 22_100
    assert billing_services.campaign_budget_remaining(project.campaign) == 0
    assert ledger.campaign_fee_held(project.campaign).balance == 0
    assert_books_clean()
    client.force_login(project.campaign.advertiser)
    receipt = client.get(reverse("billing:receipt", args=[refund.public_id])).text
    assert "Unused milestone fees" in receipt and "$1.00" in receipt and "$221.00" in receipt


def test_an_ended_campaign_keeps_the_fee_of_waiting_work_and_refunds_it_if_rejected(
    project, django_capture_on_commit_callbacks
):
    plan(project, 10_000)
    second = plan(project, 20_000)
    fund_with_card(project.campaign)  # 30,000 + 3,000 + 100
    work = campaign_services.work_submit(deliverable=second, actor=project.promoter, text="Done")

    campaign_services.campaign_cancel(campaign=project.campaign, actor=project.campaign.advertiser, reason="stop")

    kept = AdvertiserCharge.objects.get(campaign=project.campaign, kind=ChargeKind.REFUND)
    # The first milestone's 10,000 and its fee go back; the waiting one keeps 20,000 + its fee.
    assert (kept.budget_amount, kept.fee_reserve_amount) == (10_000, FEE)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.work_reject(
            work=work, actor=project.campaign.advertiser, code=WorkReviewReason.OTHER, note="Late"
        )

    last = AdvertiserCharge.objects.filter(campaign=project.campaign, kind=ChargeKind.REFUND).exclude(pk=kept.pk).get()
    assert (last.budget_amount, last.fee_amount, last.fee_reserve_amount) == (20_000, 2_000, FEE)
    assert kept.amount + last.amount == 33_100  # everything: no milestone was paid
    assert billing_services.campaign_budget_remaining(project.campaign) == 0
    assert_books_clean()


def test_the_statement_itemises_the_reserve_and_its_unused_part(stripe_sim, client):
    with time_machine.travel(MID_JAN, tick=False):
        participation = _project(stripe_sim)
        campaign = participation.campaign
        milestones = [plan(participation, 10_000) for _ in range(3)]
        fund_with_charge(campaign, AGREED)  # 30,000 + 3,000 + 150
        work = campaign_services.work_submit(deliverable=milestones[0], actor=participation.promoter, text="Done")
        assert campaign_services.work_approve(work=work, actor=campaign.advertiser)
        campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    assert_books_clean()
    advertiser = campaign.advertiser
    summary = BillingPeriodSummary.objects.get(user=advertiser, period=JAN)
    assert (summary.funded, summary.spent, summary.fees, summary.refunded) == (33_150, 10_000, 1_050, 22_100)
    statement = statements.statement_get(user=advertiser, period=JAN)
    for name, (lines, expected) in statement.totals_check().items():
        assert lines == expected, name
    assert statements_reconcile(summaries=BillingPeriodSummary.objects.filter(user=advertiser)) == (1, [])

    client.force_login(advertiser)
    with time_machine.travel(CLOSE_DAY, tick=False):
        html = client.get(reverse("payouts:statement_detail", args=["2026-01"])).text
        response = client.get(reverse("payouts:statement_csv", args=["2026-01"]))

    assert "$1.50 milestone fees (3 x $0.50)" in html and "$1.00 unused milestone fees" in html
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    refunds = [(row["item"], row["amount"]) for row in body if row["section"] == "refund"]
    assert refunds == [("Unused budget refunded", "220.00"), ("Unused milestone fees refunded", "1.00")]
    funding = [(row["item"], row["amount"]) for row in body if row["section"] == "funding"]
    assert funding == [("Payment Visa •••• 4242", "331.50")]


BANK_ACCOUNT_THAT_PAYS = "000123456789"


def _payment_page(campaign):
    quote = billing_services.funding_quote(campaign=campaign)
    return billing_services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )


def test_a_milestone_planned_while_the_bank_payment_processes_must_fit_what_it_brings(
    stripe_sim, stripe_settings, django_capture_on_commit_callbacks
):
    """A bank debit takes days. Its reserve was fixed for the milestones planned when it was made,
    so a milestone planned meanwhile must fit, with its fee, in what that payment will bring."""
    participation = _project(stripe_sim)
    first, second = plan(participation, 10_000), plan(participation, 10_000)
    page = _payment_page(participation.campaign)  # 30,000 + 10% + the fees of 2 milestones
    stripe_sim.pay_checkout_session(page.stripe_checkout_session_id, account_number=BANK_ACCOUNT_THAT_PAYS)
    assert billing_services.funding_sync(intent=page).status == "processing"

    with pytest.raises(campaign_services.BudgetExceeded, match=r"room for 2 milestones .* plan at most \$99.50"):
        plan(participation, 10_000)  # within the agreed amount, but its fee is in no reserve

    assert CampaignDeliverable.objects.filter(promoter_campaign=participation).count() == 2
    third = plan(participation, 9_950)
    stripe_sim.settle_bank_debits()
    billing_services.funding_sync(intent=page)
    for milestone in (first, second, third):
        deliver(participation, milestone, django_capture_on_commit_callbacks)
    assert Wallet.objects.get(user=participation.promoter).direct_paid_total == 29_950
    assert _fixed_fees_posted(participation.campaign) == [FEE] * 3
    assert billing_services.campaign_budget_remaining(participation.campaign) == 0
    assert_books_clean()


def test_a_milestone_that_fits_what_the_processing_payment_brings_is_planned(stripe_sim, stripe_settings):
    participation = _project(stripe_sim)
    plan(participation, 20_000)
    page = _payment_page(participation.campaign)  # one milestone's fee reserved
    stripe_sim.pay_checkout_session(page.stripe_checkout_session_id, account_number=BANK_ACCOUNT_THAT_PAYS)
    billing_services.funding_sync(intent=page)

    plan(participation, 9_950)  # 20,000 + 9,950 + 2 fees = 30,050: what the payment brings

    assert CampaignDeliverable.objects.filter(promoter_campaign=participation).count() == 2


def test_planning_a_milestone_closes_a_payment_page_quoted_without_it(
    stripe_sim, stripe_settings, django_capture_on_commit_callbacks
):
    """Paid after the milestones changed, the page's reserve would leave a fee unpaid: Stripe is
    asked to expire it, and the next page's total counts every milestone."""
    participation = _project(stripe_sim)
    plan(participation, 15_000)
    stale = _payment_page(participation.campaign)

    with django_capture_on_commit_callbacks(execute=True):
        plan(participation, 15_000)

    stale.refresh_from_db()
    assert stale.status == "canceled" and "milestones changed" in stale.failure_reason
    with pytest.raises(StripeError, match="Checkout Session is expired"):
        stripe_sim.pay_checkout_session(stale.stripe_checkout_session_id)
    fresh = _payment_page(participation.campaign)
    assert fresh.fee_reserve_amount == 2 * FEE and fresh.amount == AGREED + 3_000 + 2 * FEE


def test_planning_leaves_a_page_that_already_reserves_enough_open(
    stripe_sim, stripe_settings, django_capture_on_commit_callbacks
):
    participation = _project(stripe_sim)
    page = _payment_page(participation.campaign)  # at least one fee is always reserved

    with django_capture_on_commit_callbacks(execute=True):
        plan(participation, AGREED)

    page.refresh_from_db()
    assert page.status == "open"


def test_a_quote_made_before_a_milestone_was_planned_is_not_paid(stripe_sim, stripe_settings):
    participation = _project(stripe_sim)
    plan(participation, 10_000)
    quote = billing_services.funding_quote(campaign=participation.campaign)  # one milestone's fee
    plan(participation, 10_000)

    with pytest.raises(billing_services.BillingError, match="milestones changed"):
        billing_services.funding_checkout_start(
            campaign=participation.campaign,
            actor=participation.campaign.advertiser,
            quote=quote,
            return_url="http://testserver/back/",
        )

    assert not participation.campaign.payment_intents.exists()
    assert _payment_page(participation.campaign).fee_reserve_amount == 2 * FEE


def test_a_failure_to_close_a_page_does_not_fail_the_planned_milestone(
    stripe_sim, stripe_settings, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    participation = _project(stripe_sim)
    _payment_page(participation.campaign)

    def stripe_trouble(**_kwargs):
        raise RuntimeError("no answer")

    monkeypatch.setattr("billing.services.funding.stale_payment_pages_close", stripe_trouble)
    with django_capture_on_commit_callbacks(execute=True):
        milestone = plan(participation, 10_000)

    assert CampaignDeliverable.objects.filter(pk=milestone.pk).exists()
    assert "no answer" in caplog.text
