"""Budget control: the contract tracking and payouts code against when they spend a campaign's budget."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_q.tasks import async_task

from billing import forecasts, ledger
from billing.models import (
    AccountKind,
    AdvertiserSpend,
    CampaignBudgetAllocation,
    LedgerAccount,
    PlatformFee,
    PlatformFeeKind,
    Transaction,
    TransactionKind,
)
from billing.services.base import ENDED, SELF_PAUSING_TYPES, BudgetExhausted
from campaigns import services as campaign_services
from campaigns.models import (
    Campaign,
    CampaignStatus,
    PromoterCampaign,
    StatusReason,
)


@dataclass(frozen=True)
class SpendResult:
    spent_cents: int
    fee_cents: int


def campaign_budget_remaining(campaign) -> int:
    """Cents left to spend in the campaign's budget (what its ledger account holds)."""
    balance = (
        LedgerAccount.objects.filter(kind=AccountKind.CAMPAIGN_BUDGET, campaign_id=campaign.pk)
        .values_list("balance", flat=True)
        .first()
    )
    return balance or 0


def _fee_recognised(fee_account, revenue_account) -> int:
    """Fee recognised so far: moved to revenue, less what reversed spends gave back."""

    def moved(source, destination):
        rows = Transaction.objects.filter(source=source, destination=destination)
        return rows.aggregate(total=Sum("amount"))["total"] or 0

    return moved(fee_account, revenue_account) - moved(revenue_account, fee_account)


def campaign_budget_spend(
    *,
    campaign,
    promoter,
    amount_cents: int,
    idempotency_key: str,
    destination: str = "pending",
    memo: str = "",
) -> SpendResult:
    # Long on purpose: one transaction whose lock order (campaign, allocations, ledger) and checks
    # must read in sequence.
    """Move `amount_cents` of the campaign's budget to the promoter, and its fee share to revenue.

    Call inside the caller's `transaction.atomic()`. All or nothing: raises BudgetExhausted
    (`.remaining_cents`) when the budget cannot cover the whole amount. The same
    `idempotency_key` again returns the first call's result and moves nothing.
    `destination`: "pending" (promoter_pending: views, sales) or "direct" (promoter_direct:
    Consultant/Seller milestones). The fee recognised after a spend is
    floor(total spent x total fee funded / total budget funded), all of what is held once the
    budget is used up, so no cent is lost to rounding.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("campaign_budget_spend must run inside the caller's transaction.atomic().")
    if type(amount_cents) is not int or amount_cents <= 0:
        raise ValueError(f"A spend is a positive integer number of cents, not {amount_cents!r}.")
    if destination not in ("pending", "direct"):
        raise ValueError("destination is 'pending' or 'direct'.")
    spend_key, fee_key = f"spend:{idempotency_key}", f"spend-fee:{idempotency_key}"

    locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    replay = list(Transaction.objects.filter(idempotency_key__in=[spend_key, fee_key]))
    if replay:
        return SpendResult(
            spent_cents=sum(row.amount for row in replay if row.idempotency_key == spend_key),
            fee_cents=sum(row.amount for row in replay if row.idempotency_key == fee_key),
        )

    currency = locked_campaign.currency
    budget = ledger.campaign_budget(locked_campaign)
    fee_held = ledger.campaign_fee_held(locked_campaign)
    revenue = ledger.platform_revenue(currency)
    target = (ledger.promoter_pending if destination == "pending" else ledger.promoter_direct)(promoter, currency)
    allocations = list(
        CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked_campaign).order_by("pk")
    )
    locked = ledger.accounts_lock(budget, fee_held, revenue, target)
    available = locked[budget.pk].balance
    if available < amount_cents:
        raise BudgetExhausted(available)

    total_budget = sum(a.allocated_amount for a in allocations)
    total_fee = sum(a.fee_amount for a in allocations)
    spent_after = sum(a.spent_amount for a in allocations) + amount_cents
    fee_held_now = locked[fee_held.pk].balance
    if available == amount_cents:
        fee_share = fee_held_now
    else:
        due = spent_after * total_fee // total_budget if total_budget else 0
        fee_share = max(0, min(due - _fee_recognised(fee_held, revenue), fee_held_now))

    # Oldest allocation first; the CHECK constraint backs spent <= allocated.
    left = amount_cents
    for allocation in allocations:
        take = min(allocation.remaining_amount, left)
        if take > 0:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(spent_amount=F("spent_amount") + take)
            left -= take
        if not left:
            break
    if left:
        raise RuntimeError(f"Campaign {campaign.pk}: allocations hold less than its budget account; run audit_ledger.")

    try:
        ledger.ledger_post(
            kind=TransactionKind.SPEND,
            legs=[ledger.Leg(budget, target, amount_cents)],
            idempotency_key=spend_key,
            memo=memo,
        )
        fee_rows = ledger.ledger_post(
            kind=TransactionKind.FEE_RECOGNISED,
            legs=[ledger.Leg(fee_held, revenue, fee_share)],
            idempotency_key=fee_key,
            memo=memo,
        )
    except ledger.InsufficientFunds as error:
        raise BudgetExhausted(campaign_budget_remaining(locked_campaign)) from error
    if fee_rows:
        PlatformFee.objects.create(
            kind=PlatformFeeKind.RECOGNISED,
            campaign=locked_campaign,
            transaction=fee_rows[0],
            amount=fee_share,
            currency=currency,
        )
    _advertiser_spend_add(locked_campaign, amount_cents, fee_share)
    forecasts.campaign_forecast_refresh(campaign=locked_campaign)
    PromoterCampaign.objects.filter(campaign=locked_campaign, promoter=promoter).update(
        spent_budget=F("spent_budget") + amount_cents
    )
    if (
        available == amount_cents
        and locked_campaign.campaign_type in SELF_PAUSING_TYPES
        and locked_campaign.status == CampaignStatus.ACTIVE
    ):
        campaign_services.campaign_pause(campaign=locked_campaign, code=StatusReason.BUDGET_USED_UP)
    campaign.status = locked_campaign.status
    return SpendResult(spent_cents=amount_cents, fee_cents=fee_share)


def campaign_budget_spend_reverse(
    *, campaign, promoter, spend_idempotency_key: str, idempotency_key: str, memo: str = ""
) -> SpendResult:
    # Long on purpose: one transaction, the mirror of campaign_budget_spend, in the same lock order.
    """Undo one earlier spend (a sale refunded before payout): the earning goes back from the
    promoter to the campaign budget, and its fee share from revenue back to the fee held.

    Call inside the caller's `transaction.atomic()`. Posts once per `idempotency_key` (a replay
    returns the first result). Raises `ledger.InsufficientFunds` when the promoter's balance no
    longer holds the earning (it was released or paid out: record a deduction instead), and
    ValueError when there is no such spend. The allocations give back newest first (spends
    take oldest first), and the day's `advertiser_spends` row of the original spend shrinks.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("campaign_budget_spend_reverse must run inside the caller's transaction.atomic().")
    reverse_key, reverse_fee_key = f"spend-reverse:{idempotency_key}", f"spend-reverse-fee:{idempotency_key}"
    locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    replay = list(Transaction.objects.filter(idempotency_key__in=[reverse_key, reverse_fee_key]))
    if replay:
        return SpendResult(
            spent_cents=-sum(row.amount for row in replay if row.idempotency_key == reverse_key),
            fee_cents=-sum(row.amount for row in replay if row.idempotency_key == reverse_fee_key),
        )
    spend = Transaction.objects.filter(idempotency_key=f"spend:{spend_idempotency_key}").select_related(
        "source", "destination"
    )
    spend = spend.first()
    if spend is None or spend.source.campaign_id != locked_campaign.pk or spend.destination.user_id != promoter.pk:
        raise ValueError(f"No spend {spend_idempotency_key!r} of this campaign to this promoter.")
    fee = Transaction.objects.filter(idempotency_key=f"spend-fee:{spend_idempotency_key}").first()
    fee_amount = fee.amount if fee else 0

    allocations = list(
        CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked_campaign).order_by("-pk")
    )
    budget, fee_held = ledger.campaign_budget(locked_campaign), ledger.campaign_fee_held(locked_campaign)
    revenue = ledger.platform_revenue(locked_campaign.currency)
    ledger.accounts_lock(budget, fee_held, revenue, spend.destination)
    ledger.ledger_post(
        kind=TransactionKind.SPEND_REVERSAL,
        legs=[ledger.Leg(spend.destination, budget, spend.amount)],
        idempotency_key=reverse_key,
        memo=memo,
    )
    fee_rows = ledger.ledger_post(
        kind=TransactionKind.SPEND_REVERSAL,
        legs=[ledger.Leg(revenue, fee_held, fee_amount)],
        idempotency_key=reverse_fee_key,
        memo=memo,
    )
    if fee_rows:
        PlatformFee.objects.create(
            kind=PlatformFeeKind.REVERSED,
            campaign=locked_campaign,
            transaction=fee_rows[0],
            amount=fee_amount,
            currency=locked_campaign.currency,
        )
    left = spend.amount
    for allocation in allocations:
        give_back = min(allocation.spent_amount, left)
        if give_back > 0:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(spent_amount=F("spent_amount") - give_back)
            left -= give_back
        if not left:
            break
    day = timezone.localdate(spend.created_at)
    AdvertiserSpend.objects.filter(
        advertiser_id=locked_campaign.advertiser_id, campaign=locked_campaign, date=day
    ).update(amount_spent=F("amount_spent") - spend.amount, fee_amount=F("fee_amount") - fee_amount)
    PromoterCampaign.objects.filter(campaign=locked_campaign, promoter=promoter).update(
        spent_budget=F("spent_budget") - spend.amount
    )
    if locked_campaign.status in ENDED:
        # Nobody can spend it any more: it goes back to the advertiser.
        transaction.on_commit(lambda: async_task("billing.tasks.campaign_refund_unused", locked_campaign.pk))
    return SpendResult(spent_cents=-spend.amount, fee_cents=-fee_amount)


def _advertiser_spend_add(campaign, amount: int, fee: int) -> None:
    """Upsert-increment today's row; the UPDATE with F() never loses a concurrent increment."""
    lookup = {"advertiser_id": campaign.advertiser_id, "campaign": campaign, "date": timezone.localdate()}
    increment = {
        "amount_spent": F("amount_spent") + amount,
        "fee_amount": F("fee_amount") + fee,
        "spend_count": F("spend_count") + 1,
    }
    if AdvertiserSpend.objects.filter(**lookup).update(**increment):
        return
    try:
        with transaction.atomic():
            AdvertiserSpend.objects.create(
                amount_spent=amount, fee_amount=fee, spend_count=1, currency=campaign.currency, **lookup
            )
    except IntegrityError:
        AdvertiserSpend.objects.filter(**lookup).update(**increment)
