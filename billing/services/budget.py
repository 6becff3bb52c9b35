"""Budget control: the contract tracking and payouts code against when they spend a campaign's budget."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_q.tasks import async_task

from billing import fees, forecasts, ledger, signals
from billing.models import (
    AccountKind,
    AdvertiserSpend,
    CampaignBudgetAllocation,
    IntentStatus,
    LedgerAccount,
    PlatformFee,
    PlatformFeeKind,
    StripePaymentIntent,
    Transaction,
    TransactionKind,
)
from billing.services.base import ENDED, SELF_PAUSING_TYPES, BudgetExhausted
from campaigns import services as campaign_services
from campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignStatusChange,
    PromoterCampaign,
    StatusReason,
)


@dataclass(frozen=True)
class SpendResult:
    spent_cents: int
    fee_cents: int  # all the platform fee the spend recognised: its percentage share and fixed fee
    fixed_fee_cents: int = 0  # of which taken from the budget (a fixed fee per sale or milestone)


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


def _keys(idempotency_key: str, prefix: str = "spend") -> tuple[str, str, str]:
    """The ledger keys of a spend's (or reversal's) three postings: earning, fee share, fixed fee."""
    return f"{prefix}:{idempotency_key}", f"{prefix}-fee:{idempotency_key}", f"{prefix}-fixed-fee:{idempotency_key}"


def _result_of(rows, keys, sign: int = 1) -> SpendResult:
    """The SpendResult an earlier call posted (a replay), from its ledger rows."""
    spend_key, fee_key, fixed_key = keys

    def total(*wanted):
        return sign * sum(row.amount for row in rows if row.idempotency_key in wanted)

    return SpendResult(
        spent_cents=total(spend_key), fee_cents=total(fee_key, fixed_key), fixed_fee_cents=total(fixed_key)
    )


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
    """Move `amount_cents` of the campaign's budget to the promoter, its fee share to revenue,
    and, for a sale or milestone payment under a fixed fee per spend, that fee from the budget
    to revenue.

    Call inside the caller's `transaction.atomic()`. All or nothing: raises BudgetExhausted
    (`.remaining_cents`) when the budget cannot cover the whole amount and its fixed fee. The
    same `idempotency_key` again returns the first call's result and moves nothing.
    `destination`: "pending" (promoter_pending: views, sales) or "direct" (promoter_direct:
    Consultant/Seller milestones). Every spend of a Salesman campaign is a sale and every spend
    of a Consultant/Seller campaign a milestone payment, so the fixed fee of the campaign's fee
    terms applies to each (`fees.campaign_fixed_fee_per_spend`); a Consultant/Seller budget holds
    a milestone fee reserve for them (funded on top of the agreed amount). The percentage
    recognised after a spend is floor(total spent x total fee funded / total budget funded, less
    any reserve), all of what is held once the budget is used up without fixed fees, so no cent
    is lost to rounding; a Salesman budget's fixed fees leave the percentage on them held, to be
    refunded with the unused budget.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("campaign_budget_spend must run inside the caller's transaction.atomic().")
    if type(amount_cents) is not int or amount_cents <= 0:
        raise ValueError(f"A spend is a positive integer number of cents, not {amount_cents!r}.")
    if destination not in ("pending", "direct"):
        raise ValueError("destination is 'pending' or 'direct'.")
    keys = spend_key, fee_key, fixed_key = _keys(idempotency_key)

    locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    replay = list(Transaction.objects.filter(idempotency_key__in=keys))
    if replay:
        return _result_of(replay, keys)

    currency = locked_campaign.currency
    fixed_fee = fees.campaign_fixed_fee_per_spend(locked_campaign)
    budget = ledger.campaign_budget(locked_campaign)
    fee_held = ledger.campaign_fee_held(locked_campaign)
    revenue = ledger.platform_revenue(currency)
    target = (ledger.promoter_pending if destination == "pending" else ledger.promoter_direct)(promoter, currency)
    allocations = list(
        CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked_campaign).order_by("pk")
    )
    locked = ledger.accounts_lock(budget, fee_held, revenue, target)
    available = locked[budget.pk].balance
    if available < amount_cents + fixed_fee:
        raise BudgetExhausted(available, fixed_fee_cents=fixed_fee)
    used_up = available == amount_cents + fixed_fee
    if used_up and not fixed_fee:
        fee_share = locked[fee_held.pk].balance  # all of it: no cent is left behind by rounding
    else:
        fee_share = _fee_share_due(
            allocations, amount_cents, held=locked[fee_held.pk].balance, recognised=_fee_recognised(fee_held, revenue)
        )
    # Oldest allocation first; the CHECK constraint backs spent + fee taken <= allocated.
    _allocations_take(allocations, "spent_amount", amount_cents, campaign_pk=campaign.pk)
    _allocations_take(allocations, "fee_taken_amount", fixed_fee, campaign_pk=campaign.pk)

    try:
        ledger.ledger_post(
            kind=TransactionKind.SPEND,
            legs=[ledger.Leg(budget, target, amount_cents)],
            idempotency_key=spend_key,
            memo=memo,
        )
        share_rows = ledger.ledger_post(
            kind=TransactionKind.FEE_RECOGNISED,
            legs=[ledger.Leg(fee_held, revenue, fee_share)],
            idempotency_key=fee_key,
            memo=memo,
        )
        fixed_rows = ledger.ledger_post(
            kind=TransactionKind.FEE_RECOGNISED,
            legs=[ledger.Leg(budget, revenue, fixed_fee)],
            idempotency_key=fixed_key,
            memo=f"Fixed fee: {memo}"[:300] if memo else "Fixed platform fee",
        )
    except ledger.InsufficientFunds as error:
        raise BudgetExhausted(campaign_budget_remaining(locked_campaign), fixed_fee_cents=fixed_fee) from error
    _platform_fees_record(locked_campaign, PlatformFeeKind.RECOGNISED, share_rows + fixed_rows)
    _advertiser_spend_add(locked_campaign, amount_cents, fee_share + fixed_fee)
    forecasts.campaign_forecast_refresh(campaign=locked_campaign)
    PromoterCampaign.objects.filter(campaign=locked_campaign, promoter=promoter).update(
        spent_budget=F("spent_budget") + amount_cents
    )
    if (
        used_up
        and locked_campaign.campaign_type in SELF_PAUSING_TYPES
        and locked_campaign.status == CampaignStatus.ACTIVE
    ):
        campaign_services.campaign_pause(campaign=locked_campaign, code=StatusReason.BUDGET_USED_UP)
    campaign.status = locked_campaign.status
    return SpendResult(spent_cents=amount_cents, fee_cents=fee_share + fixed_fee, fixed_fee_cents=fixed_fee)


def _fee_share_due(allocations, amount_cents: int, *, held: int, recognised: int) -> int:
    """The percentage fee a spend of `amount_cents` recognises: what is due on the total spent
    after it, less what was recognised, within what is held. The percentage was charged on the
    budget less any milestone fee reserve, so it is all due once promoters earned that."""
    total_budget = sum(a.percent_base_amount for a in allocations)
    total_fee = sum(a.fee_amount for a in allocations)
    spent_after = sum(a.spent_amount for a in allocations) + amount_cents
    due = spent_after * total_fee // total_budget if total_budget else 0
    return max(0, min(due - recognised, held))


def _allocations_take(allocations, field: str, cents: int, *, campaign_pk: int) -> None:
    """Count `cents` of spend (`spent_amount`) or fixed fee (`fee_taken_amount`) against the
    allocations, oldest first, keeping the in-memory rows current for the next call."""
    left = cents
    for allocation in allocations:
        take = min(allocation.remaining_amount, left)
        if take > 0:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(**{field: F(field) + take})
            setattr(allocation, field, getattr(allocation, field) + take)
            left -= take
        if not left:
            return
    if left:
        raise RuntimeError(f"Campaign {campaign_pk}: allocations hold less than its budget account; run audit_ledger.")


def _allocations_give_back(allocations, field: str, cents: int) -> None:
    """Undo `cents` of `field` on the allocations, newest first (the mirror of taking)."""
    left = cents
    for allocation in allocations:
        give_back = min(getattr(allocation, field), left)
        if give_back > 0:
            CampaignBudgetAllocation.objects.filter(pk=allocation.pk).update(**{field: F(field) - give_back})
            left -= give_back
        if not left:
            return


def _platform_fees_record(campaign, kind: str, rows) -> None:
    """One platform_fees row per fee posting (the fee share, the fixed fee), pointing at it."""
    for row in rows:
        PlatformFee.objects.create(
            kind=kind, campaign=campaign, transaction=row, amount=row.amount, currency=campaign.currency
        )


def campaign_budget_spend_reverse(
    *, campaign, promoter, spend_idempotency_key: str, idempotency_key: str, memo: str = ""
) -> SpendResult:
    # Long on purpose: one transaction, the mirror of campaign_budget_spend, in the same lock order.
    """Undo one earlier spend (a sale refunded before payout): the earning goes back from the
    promoter to the campaign budget, its fee share from revenue back to the fee held, and its
    fixed fee (per sale) from revenue back to the budget: the spend is undone whole.

    Call inside the caller's `transaction.atomic()`. Posts once per `idempotency_key` (a replay
    returns the first result). Raises `ledger.InsufficientFunds` when the promoter's balance no
    longer holds the earning (it was released or paid out: record a deduction instead), and
    ValueError when there is no such spend. The allocations give back newest first (spends
    take oldest first), and the day's `advertiser_spends` row of the original spend shrinks.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("campaign_budget_spend_reverse must run inside the caller's transaction.atomic().")
    keys = reverse_key, reverse_fee_key, reverse_fixed_key = _keys(idempotency_key, prefix="spend-reverse")
    locked_campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    replay = list(Transaction.objects.filter(idempotency_key__in=keys))
    if replay:
        return _result_of(replay, keys, sign=-1)
    spend_key, fee_key, fixed_key = _keys(spend_idempotency_key)
    spend = Transaction.objects.filter(idempotency_key=spend_key).select_related("source", "destination").first()
    if spend is None or spend.source.campaign_id != locked_campaign.pk or spend.destination.user_id != promoter.pk:
        raise ValueError(f"No spend {spend_idempotency_key!r} of this campaign to this promoter.")
    posted = dict(
        Transaction.objects.filter(idempotency_key__in=[fee_key, fixed_key]).values_list("idempotency_key", "amount")
    )
    fee_amount, fixed_fee = posted.get(fee_key, 0), posted.get(fixed_key, 0)

    allocations = list(
        CampaignBudgetAllocation.objects.select_for_update().filter(campaign=locked_campaign).order_by("-pk")
    )
    budget, fee_held = ledger.campaign_budget(locked_campaign), ledger.campaign_fee_held(locked_campaign)
    revenue = ledger.platform_revenue(locked_campaign.currency)
    ledger.accounts_lock(budget, fee_held, revenue, spend.destination)
    for key, leg in (
        (reverse_key, ledger.Leg(spend.destination, budget, spend.amount)),
        (reverse_fee_key, ledger.Leg(revenue, fee_held, fee_amount)),
        (reverse_fixed_key, ledger.Leg(revenue, budget, fixed_fee)),
    ):
        rows = ledger.ledger_post(kind=TransactionKind.SPEND_REVERSAL, legs=[leg], idempotency_key=key, memo=memo)
        if key != reverse_key:
            _platform_fees_record(locked_campaign, PlatformFeeKind.REVERSED, rows)
    _allocations_give_back(allocations, "spent_amount", spend.amount)
    _allocations_give_back(allocations, "fee_taken_amount", fixed_fee)
    day = timezone.localdate(spend.created_at)
    AdvertiserSpend.objects.filter(
        advertiser_id=locked_campaign.advertiser_id, campaign=locked_campaign, date=day
    ).update(amount_spent=F("amount_spent") - spend.amount, fee_amount=F("fee_amount") - fee_amount - fixed_fee)
    PromoterCampaign.objects.filter(campaign=locked_campaign, promoter=promoter).update(
        spent_budget=F("spent_budget") - spend.amount
    )
    if locked_campaign.status in ENDED:
        # Nobody can spend it any more: it goes back to the advertiser.
        transaction.on_commit(lambda: async_task("billing.tasks.campaign_refund_unused", locked_campaign.pk))
    return SpendResult(spent_cents=-spend.amount, fee_cents=-fee_amount - fixed_fee, fixed_fee_cents=-fixed_fee)


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


def campaign_budget_returned(*, campaign, code: str) -> None:
    """Budget came back to a live campaign (a top-up, or the commission of a sale refunded before
    payout): resume it if it was paused only because its budget ran out, and pay the Salesman
    sales that were verified meanwhile and wait as "awaiting budget" (tracking, `budget_returned`).
    Call inside the transaction that returned the budget, with the campaign row locked."""
    if campaign.status == CampaignStatus.PAUSED and paused_for(campaign, StatusReason.BUDGET_USED_UP):
        campaign_services.campaign_resume(campaign=campaign, code=code)
    if campaign.status not in ENDED:
        signals.budget_returned.send(sender=Campaign, campaign=campaign)


def paused_for(campaign, code: str) -> bool:
    """Whether the campaign's last status change paused it for `code` (a StatusReason)."""
    last = CampaignStatusChange.objects.filter(campaign=campaign).order_by("-created_at", "-id").first()
    return last is not None and last.to_status == CampaignStatus.PAUSED and last.reason_code == code


def bank_payment_processing(campaign) -> StripePaymentIntent | None:
    """The campaign's bank payment still processing, if any: its money is not there yet, and
    what it will put in the budget was fixed when it was made (milestone planning reads it)."""
    return campaign.payment_intents.filter(status=IntentStatus.PROCESSING).order_by("-pk").first()
