"""Monthly statements: advertiser and promoter period summaries and balance snapshots."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Case, F, Q, Sum, When

from billing.models import AccountKind, LedgerAccount, Transaction, TransactionKind
from campaignplatform.bulk import AnyOf, bulk_insert
from campaignplatform.money import dollars
from campaignplatform.reasons import reason_text
from payouts.models import (
    BillingPeriodSummary,
    PayoutHoldReason,
    PayoutRecord,
    PromoterBalance,
    SummaryRole,
    Wallet,
)
from payouts.services.base import BATCH_SIZE
from payouts.services.deductions import deductions_outstanding
from payouts.services.periods import period_bounds


def period_summaries_write(*, period: datetime.date) -> int:
    """Advertiser and promoter statements and balance snapshots for `period` (insert-once)."""
    start, end = period_bounds(period)
    in_period = Transaction.objects.filter(created_at__gte=start, created_at__lt=end)
    written = _advertiser_summaries_write(period, in_period)
    withheld = deductions_outstanding()
    last_pk = 0
    while True:
        wallets = _wallets_after(last_pk)
        if not wallets:
            return written
        last_pk = wallets[-1]["pk"]
        written += _promoter_summaries_write(period, in_period, wallets, withheld)


def _advertiser_summaries_write(period: datetime.date, in_period) -> int:
    """Advertisers: the period's ledger rows of their campaigns, summed by kind."""
    advertiser = defaultdict(lambda: defaultdict(int))
    campaign_rows = (
        in_period.filter(Q(source__campaign__isnull=False) | Q(destination__campaign__isnull=False))
        .annotate(
            advertiser_id=Case(
                When(source__campaign__isnull=False, then=F("source__campaign__advertiser_id")),
                default=F("destination__campaign__advertiser_id"),
            )
        )
        .values("advertiser_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in campaign_rows:
        advertiser[row["advertiser_id"]][row["kind"]] += row["total"]
    summaries = [
        BillingPeriodSummary(
            user_id=user_id,
            role=SummaryRole.ADVERTISER,
            period=period,
            funded=kinds[TransactionKind.FUNDING],
            spent=kinds[TransactionKind.SPEND],
            fees=kinds[TransactionKind.FEE_RECOGNISED],
            refunded=kinds[TransactionKind.REFUND],
        )
        for user_id, kinds in advertiser.items()
    ]
    return len(BillingPeriodSummary.objects.bulk_create(summaries, ignore_conflicts=True, batch_size=BATCH_SIZE))


def _wallets_after(last_pk: int) -> list[dict]:
    return list(
        Wallet.objects.filter(pk__gt=last_pk)
        .order_by("pk")
        .values(
            "pk",
            "user_id",
            "currency",
            "pending_balance",
            "current_balance",
            "direct_balance",
            "minimum_threshold",
            "payout_hold",
            "payout_hold_reason_code",
            "payout_hold_reason",
        )[:BATCH_SIZE]
    )


def _promoter_summaries_write(period: datetime.date, in_period, wallets: list[dict], withheld: dict) -> int:
    """Promoters of one batch of wallets: what they earned by campaign type, what was paid out,
    what is carried forward and why, and their balances at the close."""
    user_ids = [wallet["user_id"] for wallet in wallets]
    earned, direct_paid = _promoter_movements(in_period, user_ids)
    payouts = dict(
        PayoutRecord.objects.filter(AnyOf("promoter_id", user_ids), period=period).values_list("promoter_id", "amount")
    )
    rows, snapshots = [], []
    for wallet in wallets:
        user_id = wallet["user_id"]
        types = earned.get(user_id, {})
        payout = payouts.get(user_id, 0)
        carried = max(0, wallet["current_balance"] - payout)
        rows.append(
            {
                "user_id": user_id,
                "role": SummaryRole.PROMOTER,
                "period": period,
                "currency": wallet["currency"],
                "earned_visibility": types.get("visibility", 0),
                "earned_consultant": types.get("consultant", 0),
                "earned_seller": types.get("seller", 0),
                "earned_salesman": types.get("salesman", 0),
                "paid_out": payout + direct_paid.get(user_id, 0),
                "carried_forward": carried,
                "short_of_threshold": max(0, wallet["minimum_threshold"] - carried) if carried and not payout else 0,
                "note": _carry_note(wallet, payout, carried, withheld.get((user_id, wallet["currency"]), 0)),
            }
        )
        snapshots.append(
            {
                "promoter_id": user_id,
                "period": period,
                "pending_balance": wallet["pending_balance"],
                "current_balance": wallet["current_balance"],
                "direct_balance": wallet["direct_balance"],
            }
        )
    with transaction.atomic():
        bulk_insert(BillingPeriodSummary, rows, ignore_conflicts=True)
        bulk_insert(PromoterBalance, snapshots, ignore_conflicts=True)
    return len(rows)


def _promoter_movements(in_period, user_ids: list[int]) -> tuple[dict, dict]:
    """({user: {campaign type: earned}}, {user: paid directly}) in the period."""
    # By account id, so each batch reads its promoters' rows through the FK indexes.
    accounts = dict(
        LedgerAccount.objects.filter(
            AnyOf("user_id", user_ids), AnyOf("kind", [AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_DIRECT])
        ).values_list("pk", "kind")
    )
    earned = defaultdict(lambda: defaultdict(int))
    for row in (
        in_period.filter(AnyOf("destination_id", list(accounts)), kind=TransactionKind.SPEND)
        .values("destination__user_id", "source__campaign__campaign_type")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        earned[row["destination__user_id"]][row["source__campaign__campaign_type"]] += row["total"]
    direct_ids = [pk for pk, kind in accounts.items() if kind == AccountKind.PROMOTER_DIRECT]
    direct_paid = dict(
        in_period.filter(AnyOf("source_id", direct_ids), kind=TransactionKind.PAYOUT)
        .values_list("source__user_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return earned, direct_paid


def _carry_note(wallet: dict, payout: int, carried: int, deduction: int = 0) -> str:
    if deduction:
        kept = min(deduction, wallet["pending_balance"])
        return (
            f"A refunded sale's commission of {dollars(deduction)} is still to be deducted: {dollars(kept)} of "
            f"your pending earnings is kept towards it and the rest, {dollars(deduction - kept)}, comes off your "
            "next earnings"
        )[:300]
    if payout or not carried:
        return ""
    if wallet["payout_hold"]:
        held = reason_text(PayoutHoldReason, wallet["payout_hold_reason_code"], wallet["payout_hold_reason"])
        return f"Payouts on hold: {held or 'under review'}"[:300]
    if carried < wallet["minimum_threshold"]:
        return f"Below the {dollars(wallet['minimum_threshold'])} payout threshold: carried forward"
    return "No payouts-enabled Stripe account yet: finish setting up payouts to be paid"
