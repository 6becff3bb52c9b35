"""Property: whatever fee plan (a percentage, a fixed amount per 100 views, per sale or per
milestone payment, both, none) and whatever sequence of funding, spending, top-ups, ending,
spends reversed (refunded sales, before or after the end) and disputes opened and closed won
or lost (their webhooks replayed), every cent is accounted for, an ended campaign keeps no
money once its refunds settle, and the simulator's platform balance moves exactly as the
ledger's outside world. A Consultant campaign's spends are its milestones, planned before
funding to add up to the agreed amount: each is paid in full while the campaign is live and
undisputed, whatever fixed fee per milestone payment applies, so the promoter gets the agreed
amount."""

import pytest
from django.db import transaction
from django.db.models import Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import fees, ledger, services
from billing.audit import ledger_audit
from billing.disputes import dispute_sync
from billing.models import (
    AdvertiserCharge,
    CampaignBudgetAllocation,
    Dispute,
    DisputeStatus,
    FeePlan,
    PlatformFee,
    StripePaymentIntent,
    Transaction,
)
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus, CampaignType
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from tests.support.funding import fund_with_card as fund
from tests.support.stripe import add_card

pytestmark = pytest.mark.django_db

steps = st.lists(
    st.one_of(
        st.tuples(st.just("spend"), st.integers(min_value=1, max_value=4_000)),
        st.tuples(st.just("top_up"), st.integers(min_value=2_000, max_value=6_000)),
        st.tuples(st.just("end"), st.sampled_from(["complete", "cancel"])),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=11)),
        st.tuples(st.just("sweep"), st.just(0)),
        st.tuples(st.just("dispute"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("close_dispute"), st.sampled_from(["won", "lost"])),
    ),
    min_size=1,
    max_size=12,
)


def check_books(campaign):
    report = ledger_audit()
    assert report.clean, report.differences
    allocations = CampaignBudgetAllocation.objects.filter(campaign=campaign).aggregate(
        budget=Sum("allocated_amount"), fee=Sum("fee_amount")
    )
    funded = (allocations["budget"] or 0) + (allocations["fee"] or 0)
    budget, fee_held = ledger.campaign_budget(campaign), ledger.campaign_fee_held(campaign)

    def moved(**lookup):
        return Transaction.objects.filter(**lookup).aggregate(total=Sum("amount"))["total"] or 0

    # Net of the spends reversed (refunded sales give the earning, its fee share and its fixed
    # fee back). A fixed fee per sale or milestone goes from the budget straight to revenue.
    spent = moved(source=budget, kind="spend") - moved(
        destination=budget, kind="spend_reversal", source__kind__startswith="promoter_"
    )
    fees = (
        moved(source=fee_held, kind="fee_recognised")
        - moved(destination=fee_held, kind="spend_reversal")
        + moved(source=budget, kind="fee_recognised")
        - moved(destination=budget, kind="spend_reversal", source__kind="platform_revenue")
    )
    disputed = sum(moved(source=account, kind="dispute") for account in (budget, fee_held)) - sum(
        moved(destination=account, kind="dispute_reinstated") for account in (budget, fee_held)
    )
    refunded = (
        AdvertiserCharge.objects.filter(campaign=campaign, kind="refund", status="succeeded").aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    assert budget.balance >= 0 and fee_held.balance >= 0
    assert funded == spent + (fees or 0) + refunded + disputed + budget.balance + fee_held.balance


def open_disputes(campaign) -> bool:
    return Dispute.objects.filter(campaign=campaign, status=DisputeStatus.OPEN).exists()


def _platform_available(stripe_client) -> int:
    return next(b.amount for b in stripe_client.v1.balance.retrieve().available if b.currency == "usd")


# Fee plans of each kind: (percentage in basis points, fixed cents per unit): per 100 views
# (Visibility, charged on top at funding), per sale (Salesman) or per milestone payment
# (Consultant), the last two taken from the budget at each spend.
fee_plans = st.sampled_from([None, (1000, 0), (0, 40), (750, 25), (2_500, 0), (0, 0), (1000, 333)])


def _fee_plan_set(campaign_type, plan) -> None:
    if plan is None:
        return  # the settings' percentage
    percent_bp, fixed = plan
    FeePlan.objects.create(
        name="property",
        campaign_type=campaign_type,
        percent_bp=percent_bp,
        fixed_cents=fixed,
    )


def _fees_charged_as_quoted(campaign, spends_standing: int, milestones: int = 0) -> None:
    """Each payment's fee is what the campaign's fixed terms give for what it bought (with the
    fee of each milestone planned reserved), no more of it is recognised than was charged, and
    each spend standing (not reversed) took the fixed fee per sale or milestone from the budget,
    once."""
    terms = fees.campaign_fee_terms(campaign)
    for intent in StripePaymentIntent.objects.filter(campaign=campaign, status="succeeded"):
        quoted = fees.fee_quote(budget_cents=intent.budget_amount, terms=terms, views=intent.views_funded)
        assert intent.fee_amount == quoted.fee_cents
        assert intent.fee_reserve_amount == terms.fee_reserve_cents(milestones)
    charged = CampaignBudgetAllocation.objects.filter(campaign=campaign).aggregate(fee=Sum("fee_amount"))["fee"] or 0

    def net(account_kind):
        touching = Q(transaction__source__kind=account_kind) | Q(transaction__destination__kind=account_kind)
        rows = PlatformFee.objects.filter(touching, campaign=campaign)
        return sum(rows.filter(kind="recognised").values_list("amount", flat=True)) - sum(
            rows.filter(kind="reversed").values_list("amount", flat=True)
        )

    assert 0 <= net("campaign_fee_held") <= charged
    fixed = net("campaign_budget")
    assert fixed == terms.fixed_per_spend_cents * spends_standing


AGREED = 5_000


def _campaign_funded(campaign_type, promoter, stripe_client, milestones: int):
    """(campaign, the promoter its spends pay, the milestones' amounts): a Salesman or
    Visibility campaign funded with 5,000 of budget, or a Consultant one funded with the 5,000
    agreed with its promoter, planned as `milestones` milestones adding up to it (whose
    payments the spends are)."""
    amounts = []
    if campaign_type == CampaignType.CONSULTANT:
        participation = PromoterCampaignFactory(
            campaign=CampaignFactory(consultant=True, awaiting_funding=True, has_selected_promoter=True),
            agreed_amount=AGREED,
        )
        campaign, promoter = participation.campaign, participation.promoter
        amounts = [AGREED // milestones] * (milestones - 1) + [AGREED - AGREED // milestones * (milestones - 1)]
        for number, amount in enumerate(amounts):
            campaign_services.deliverable_create(
                promoter_campaign=participation,
                actor=campaign.advertiser,
                title=f"Part {number}",
                description="",
                amount_cents=amount,
            )
    else:
        campaign = CampaignFactory(
            campaign_type=campaign_type,
            awaiting_funding=True,
            cpv=250 if campaign_type == "visibility" else None,
            max_views=1_000 if campaign_type == "visibility" else None,
        )
    add_card(campaign.advertiser, stripe_client)
    fund(campaign, budget_cents=5_000)
    return campaign, promoter, amounts


def _milestone_pay(campaign, promoter, unpaid: list[int], *, key: str, ended: bool) -> bool:
    """Pay the next milestone from the budget; whether it was paid. A live campaign nobody
    disputed always can, its fixed fee included (the reserve); an ended or disputed one may not
    (its budget went back)."""
    before = services.campaign_budget_remaining(campaign)
    try:
        with transaction.atomic():
            result = services.campaign_budget_spend(
                campaign=campaign, promoter=promoter, amount_cents=unpaid[0], idempotency_key=key, destination="direct"
            )
    except services.BudgetExhausted:
        assert ended or Dispute.objects.filter(campaign=campaign).exists()
        return False
    assert result.spent_cents == unpaid[0] and unpaid[0] + result.fixed_fee_cents <= before
    unpaid.pop(0)
    return True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    campaign_type=st.sampled_from([CampaignType.SALESMAN, CampaignType.VISIBILITY, CampaignType.CONSULTANT]),
    fee_plan=fee_plans,
    milestones=st.integers(min_value=1, max_value=3),
    steps=steps,
)
def test_every_cent_is_accounted_for_after_every_step(
    stripe_settings,
    stripe_client,
    stripe_sim,
    promoter,
    django_capture_on_commit_callbacks,
    campaign_type,
    fee_plan,
    milestones,
    steps,
):
    # Long on purpose: one scenario interpreting the drawn steps, with the checks after each.
    stripe_start, ledger_start = _platform_available(stripe_client), ledger.external().balance
    _fee_plan_set(campaign_type, fee_plan)
    campaign, promoter, unpaid = _campaign_funded(campaign_type, promoter, stripe_client, milestones)
    consultant = campaign_type == CampaignType.CONSULTANT
    check_books(campaign)
    _fee_plan_set(campaign_type, (300, 10))  # a later change: this campaign keeps its terms
    spends, reversed_keys = [], set()
    for number, (action, value) in enumerate(steps):
        campaign.refresh_from_db()
        ended = campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
        if action == "spend" and consultant:
            if unpaid and _milestone_pay(campaign, promoter, unpaid, key=f"{campaign.pk}-{number}", ended=ended):
                spends.append(f"{campaign.pk}-{number}")
        elif action == "spend":
            before = services.campaign_budget_remaining(campaign)
            try:
                with transaction.atomic():
                    result = services.campaign_budget_spend(
                        campaign=campaign,
                        promoter=promoter,
                        amount_cents=value,
                        idempotency_key=f"{campaign.pk}-{number}",
                        destination="pending",
                    )
                assert result.spent_cents == value and value + result.fixed_fee_cents <= before
                assert result.fixed_fee_cents == fees.campaign_fee_terms(campaign).fixed_per_spend_cents
                spends.append(f"{campaign.pk}-{number}")
            except services.BudgetExhausted as refused:
                fixed = fees.campaign_fee_terms(campaign).fixed_per_spend_cents
                assert value + fixed > before and refused.remaining_cents == before
        elif action == "top_up" and not ended and campaign_type != CampaignType.CONSULTANT:
            if campaign.is_visibility:
                fund(campaign, views=value)
            else:
                fund(campaign, budget_cents=value)
        elif action == "end" and not ended:
            if value == "complete":
                campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
            else:
                campaign_services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="property test")
        elif action == "reverse" and spends and campaign_type != CampaignType.CONSULTANT:
            key = spends[value % len(spends)]
            # A refunded sale: its commission comes back (the task that refunds an ended
            # campaign runs after commit); reversing it again posts nothing more.
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                services.campaign_budget_spend_reverse(
                    campaign=campaign, promoter=promoter, spend_idempotency_key=key, idempotency_key=f"rev-{key}"
                )
            reversed_keys.add(key)
        elif action == "sweep":
            services.ended_campaigns_refund_leftovers()
        elif action == "dispute":
            charges = list(AdvertiserCharge.objects.filter(campaign=campaign, kind="charge").order_by("pk"))
            charge = charges[value % len(charges)]
            if not Dispute.objects.filter(charge=charge).exists():
                remote = stripe_client.v1.charges.retrieve(charge.stripe_charge_id)
                if remote.amount_refunded < remote.amount:
                    opened = stripe_sim.open_dispute(charge.stripe_charge_id)
                    dispute_sync(stripe_dispute_id=opened["id"])
                    dispute_sync(stripe_dispute_id=opened["id"])  # a replayed event
        elif action == "close_dispute":
            dispute = Dispute.objects.filter(campaign=campaign, status=DisputeStatus.OPEN).first()
            if dispute is not None:
                stripe_sim.close_dispute(dispute.stripe_dispute_id, won=value == "won")
                dispute_sync(stripe_dispute_id=dispute.stripe_dispute_id)
                dispute_sync(stripe_dispute_id=dispute.stripe_dispute_id)
        campaign.refresh_from_db()
        if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED) and not open_disputes(campaign):
            # Stripe refuses to refund a payment in dispute: only its share waits for the end.
            assert services.campaign_budget_remaining(campaign) == 0
            assert ledger.campaign_fee_held(campaign).balance == 0
        check_books(campaign)
        _fees_charged_as_quoted(
            campaign, spends_standing=len(spends) - len(reversed_keys), milestones=milestones if consultant else 0
        )
        if consultant and not unpaid:
            assert ledger.promoter_direct(promoter).balance == AGREED  # the whole agreed amount
        # Stripe's side: what the platform balance gained is what the ledger's outside world paid.
        assert _platform_available(stripe_client) - stripe_start == ledger_start - ledger.external().balance
