"""The balance section of a monthly statement: opening balance, every movement of the month
itemised, closing balance, so that each statement adds up line by line.

Read from the ledger alone, with one signed rule for both roles: a movement into one of the
user's accounts adds, a movement out of them subtracts, a movement between two of them (a
promoter's pending released to payable) is no movement. The user's accounts are a promoter's
pending, payable and direct accounts (what is owed to them), and the budget and fee held of an
advertiser's campaigns (what is held for them).

A monthly payout belongs to the month it closes (the statement of January shows the payout its
close sends in early February), so its ledger row is counted in that month, wherever its date
falls; the opening balance of a month is the previous month's closing balance, and both are the
ledger's balance at the month's boundary less the payouts of earlier months sent after it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from billing.models import AccountKind, LedgerAccount, Transaction
from billing.models import TransactionKind as Kind
from campaigns.models import Campaign
from payouts.models import PayoutRecord, SummaryRole

PROMOTER_ACCOUNTS = (AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_AVAILABLE, AccountKind.PROMOTER_DIRECT)
_MONTHLY_PAYOUT_KEY = re.compile(r"^payout-(\d+)$")

# (role, kind, into the user's accounts?) -> what the line says; order is the statement's order.
LABELS = {
    (SummaryRole.PROMOTER, Kind.SPEND, True): "Earned",
    (SummaryRole.PROMOTER, Kind.SPEND_REVERSAL, False): "Refunded sales taken back",
    (SummaryRole.PROMOTER, Kind.PAYOUT_REVERSAL, True): "Payments returned by Stripe (owed to you again)",
    (SummaryRole.PROMOTER, Kind.PAYOUT, False): "Paid out",
    (SummaryRole.ADVERTISER, Kind.FUNDING, True): "Funded (paid by card or bank)",
    (SummaryRole.ADVERTISER, Kind.SPEND, False): "Spent on promoters",
    (SummaryRole.ADVERTISER, Kind.FEE_RECOGNISED, False): "Platform fee on what was spent",
    (SummaryRole.ADVERTISER, Kind.SPEND_REVERSAL, True): "Given back by refunded sales",
    (SummaryRole.ADVERTISER, Kind.REFUND, False): "Refunded to the card or bank account that paid",
    (SummaryRole.ADVERTISER, Kind.ADJUSTMENT, True): "Refund refused by the bank: back in the campaign",
    (SummaryRole.ADVERTISER, Kind.DISPUTE, False): "Taken back by a disputed payment",
    (SummaryRole.ADVERTISER, Kind.DISPUTE_REINSTATED, True): "Dispute won: given back to the campaign",
}
_ORDER = {key: index for index, key in enumerate(LABELS)}


@dataclass(frozen=True)
class MovementLine:
    label: str
    kind: str
    incoming: bool
    campaign: Campaign | None
    amount: int  # signed: + into the user's balance, - out of it
    entries: int


@dataclass(frozen=True)
class Reconciliation:
    role: str
    opening: int
    lines: list[MovementLine]
    closing: int

    @property
    def movements_total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def adds_up(self) -> bool:
        return self.opening + self.movements_total == self.closing

    def total_of(self, kind: str) -> int:
        return sum(line.amount for line in self.lines if line.kind == kind)


def _accounts(*, user_id: int, role: str):
    if role == SummaryRole.PROMOTER:
        return LedgerAccount.objects.filter(user_id=user_id, kind__in=PROMOTER_ACCOUNTS)
    return LedgerAccount.objects.filter(campaign__advertiser_id=user_id)


def _monthly_payouts(account_ids) -> dict[int, tuple[datetime.datetime, int, datetime.date]]:
    """{transaction pk: (posted at, amount, period of its payout record)} of the user's monthly
    payouts."""
    rows = list(
        Transaction.objects.filter(kind=Kind.PAYOUT, source_id__in=account_ids, idempotency_key__startswith="payout-")
        .values_list("pk", "idempotency_key", "created_at", "amount")
        .order_by()
    )
    record_ids = {pk: int(match.group(1)) for pk, key, *_ in rows if (match := _MONTHLY_PAYOUT_KEY.match(key))}
    if not record_ids:
        return {}
    periods = dict(PayoutRecord.objects.filter(pk__in=set(record_ids.values())).values_list("pk", "period"))
    return {pk: (at, amount, periods[record_ids[pk]]) for pk, _, at, amount in rows if record_ids.get(pk) in periods}


def _balances_at(account_ids, *moments: datetime.datetime) -> list[int]:
    """The accounts' joint balance just before each moment, in one query."""
    touching = Q(source_id__in=account_ids) ^ Q(destination_id__in=account_ids)
    into, out = Q(destination_id__in=account_ids), Q(source_id__in=account_ids)
    sums = {}
    for index, moment in enumerate(moments):
        sums[f"in{index}"] = Sum("amount", filter=into & Q(created_at__lt=moment))
        sums[f"out{index}"] = Sum("amount", filter=out & Q(created_at__lt=moment))
    totals = Transaction.objects.filter(touching, created_at__lt=max(moments)).aggregate(**sums)
    return [(totals[f"in{index}"] or 0) - (totals[f"out{index}"] or 0) for index in range(len(moments))]


def _sent_late(payouts, *, before: datetime.date, moment: datetime.datetime) -> int:
    """Monthly payouts of months before `before` sent at or after `moment`: they belong to the
    balance before it (a month's payout counts in that month)."""
    return sum(amount for at, amount, of in payouts.values() if at >= moment and of < before)


def reconciliation_for(*, user_id: int, role: str, period: datetime.date) -> Reconciliation:
    from payouts.services import period_bounds, period_next

    start, end = period_bounds(period)
    account_ids = list(_accounts(user_id=user_id, role=role).values_list("pk", flat=True))
    payouts = _monthly_payouts(account_ids) if role == SummaryRole.PROMOTER else {}
    other_months = [pk for pk, (_, _, of) in payouts.items() if of != period]
    this_month = [pk for pk, (_, _, of) in payouts.items() if of == period]
    touching = Q(source_id__in=account_ids) ^ Q(destination_id__in=account_ids)
    rows = (
        Transaction.objects.filter(touching)
        .filter((Q(created_at__gte=start, created_at__lt=end) & ~Q(pk__in=other_months)) | Q(pk__in=this_month))
        .values("kind", "source_id", "destination_id", "source__campaign_id", "destination__campaign_id")
        .annotate(total=Sum("amount"), entries=Count("pk"))
        .order_by()
    )
    inside = set(account_ids)
    grouped: dict[tuple, list[int]] = {}
    for row in rows:
        into = row["destination_id"] in inside
        campaign_id = row["source__campaign_id"] or row["destination__campaign_id"]
        if role == SummaryRole.ADVERTISER:
            campaign_id = row["destination__campaign_id"] if into else row["source__campaign_id"]
        key = (row["kind"], into, campaign_id)
        total, entries = grouped.get(key, [0, 0])
        grouped[key] = [total + (row["total"] if into else -row["total"]), entries + row["entries"]]
    campaign_ids = {key[2] for key in grouped if key[2]}
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=campaign_ids)} if campaign_ids else {}
    lines = [
        MovementLine(
            label=LABELS.get((role, kind, into), f"{Kind(kind).label} ({'in' if into else 'out'})"),
            kind=kind,
            incoming=into,
            campaign=campaigns.get(campaign_id),
            amount=total,
            entries=entries,
        )
        for (kind, into, campaign_id), (total, entries) in grouped.items()
    ]
    lines.sort(
        key=lambda line: (
            _ORDER.get((role, line.kind, line.incoming), len(_ORDER)),
            line.campaign.title.lower() if line.campaign else "",
        )
    )
    at_start, at_end = _balances_at(account_ids, start, end)
    return Reconciliation(
        role=role,
        opening=at_start - _sent_late(payouts, before=period, moment=start),
        lines=lines,
        closing=at_end - _sent_late(payouts, before=period_next(period), moment=end),
    )


def statements_reconcile(*, summaries=None) -> tuple[int, list[str]]:
    """Check every statement (or those of `summaries`): its balance section adds up, its
    opening balance is the previous statement's closing one, and its movements agree with its
    summary's figures. Returns (statements checked, differences found)."""
    from payouts.models import BillingPeriodSummary
    from payouts.statements import statement_get

    problems, checked = [], 0
    previous = {}
    rows = summaries if summaries is not None else BillingPeriodSummary.objects.all()
    for summary in rows.select_related("user").order_by("user_id", "role", "period"):
        statement = statement_get(user=summary.user, period=summary.period)
        balance = statement.reconciliation
        name = f"{summary.get_role_display()} {summary.user_id} {summary.period:%Y-%m}"
        if not balance.adds_up:
            problems.append(f"{name}: {balance.opening} + {balance.movements_total} != {balance.closing}")
        earlier = previous.get((summary.user_id, summary.role))
        if earlier is not None and earlier.closing != balance.opening:
            problems.append(f"{name}: opens at {balance.opening}, the previous statement closed at {earlier.closing}")
        previous[(summary.user_id, summary.role)] = balance
        for figure, (from_lines, summarised) in _summary_figures(statement, balance).items():
            if from_lines != summarised:
                problems.append(f"{name}: {figure} is {from_lines} in the movements, {summarised} in the summary")
        checked += 1
    return checked, problems


def _summary_figures(statement, balance: Reconciliation) -> dict[str, tuple[int, int]]:
    summary = statement.summary
    if summary.role == SummaryRole.PROMOTER:
        return {"earned": (balance.total_of(Kind.SPEND), summary.earned_total)}
    return {
        "funded": (balance.total_of(Kind.FUNDING), summary.funded),
        "spent": (-balance.total_of(Kind.SPEND), summary.spent),
        "fees": (-balance.total_of(Kind.FEE_RECOGNISED), summary.fees),
        "refunded": (-balance.total_of(Kind.REFUND), summary.refunded),
    }
