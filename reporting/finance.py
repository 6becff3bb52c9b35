"""Where the money is: the figures of the staff finance overview (admin/finance/).

Everything is read from the ledger (account balances, postings per month) or from the rows staff
act on (payout records, transfers, webhook events), in a fixed number of grouped queries.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from billing.models import AccountKind, LedgerAccount, StripeWebhookEvent, Transaction, TransactionKind, WebhookStatus
from payouts.models import PayoutRecord, PayoutStatus, StripeTransfer, TransferKind, TransferStatus, Wallet

# Balances staff read as "money we hold, and for whom"; the outside world's account is the mirror.
HELD_KINDS = [
    (AccountKind.CAMPAIGN_BUDGET, "Campaign budgets (advertisers' money, not yet spent)"),
    (AccountKind.CAMPAIGN_FEE_HELD, "Platform fees held (not yet earned; refunded with unused budget)"),
    (AccountKind.PROMOTER_PENDING, "Promoters: pending (this month's earnings)"),
    (AccountKind.PROMOTER_AVAILABLE, "Promoters: current (payable at the next run)"),
    (AccountKind.PROMOTER_DIRECT, "Promoters: direct payments not yet transferred"),
    (AccountKind.PLATFORM_REVENUE, "Platform revenue (fees earned)"),
    (AccountKind.STRIPE_FEES, "Stripe processing fees (an expense, so negative)"),
    (AccountKind.PLATFORM_LOSSES, "Platform losses: disputed payments already paid out (negative)"),
]

# Month-on-month lines: what was posted of each kind of transaction.
MONTH_LINES = [
    ("Funded by advertisers", TransactionKind.FUNDING),
    ("Spent on promoters", TransactionKind.SPEND),
    ("Spend reversed (refunded sales)", TransactionKind.SPEND_REVERSAL),
    ("Platform fees recognised", TransactionKind.FEE_RECOGNISED),
    ("Refunded to advertisers", TransactionKind.REFUND),
    ("Stripe fees", TransactionKind.STRIPE_FEE),
    ("Released to current at the close", TransactionKind.RELEASE),
    ("Paid out to promoters", TransactionKind.PAYOUT),
    ("Payouts returned", TransactionKind.PAYOUT_REVERSAL),
    ("Taken back by disputes", TransactionKind.DISPUTE),
    ("Won back from disputes", TransactionKind.DISPUTE_REINSTATED),
]


@dataclass
class Held:
    kind: str
    label: str
    balance: int


def finance_overview(*, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    this_month = now.date().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    held = _balances_by_kind()
    return {
        "held": held,
        "held_total": sum(row.balance for row in held),
        "received_net": -_external_balance(),
        "revenue": _balance_of(held, AccountKind.PLATFORM_REVENUE),
        "stripe_fees": -_balance_of(held, AccountKind.STRIPE_FEES),
        "budgets": _balance_of(held, AccountKind.CAMPAIGN_BUDGET),
        "owed_to_promoters": sum(
            _balance_of(held, kind)
            for kind in (AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_AVAILABLE, AccountKind.PROMOTER_DIRECT)
        ),
        "months": (last_month, this_month),
        "month_lines": _month_lines(last_month, this_month, now),
        "payouts": _status_totals(PayoutRecord.objects.all(), PayoutStatus.values),
        "transfers": _status_totals(StripeTransfer.objects.filter(kind=TransferKind.IMMEDIATE), TransferStatus.values),
        "held_wallets": Wallet.objects.filter(payout_hold=True).aggregate(
            count=Count("id"), amount=Sum("current_balance", default=0)
        ),
        "disputes": _disputes(held),
        "webhooks": dict(
            StripeWebhookEvent.objects.filter(status__in=[WebhookStatus.FAILED, WebhookStatus.RECEIVED])
            .values_list("status")
            .annotate(count=Count("id"))
            .order_by()
        ),
    }


def _balances_by_kind() -> list[Held]:
    sums = dict(
        LedgerAccount.objects.filter(kind__in=[kind for kind, _ in HELD_KINDS])
        .values_list("kind")
        .annotate(total=Sum("balance"))
        .order_by()
    )
    return [Held(kind=kind, label=label, balance=sums.get(kind, 0)) for kind, label in HELD_KINDS]


def _external_balance() -> int:
    return LedgerAccount.objects.filter(kind=AccountKind.EXTERNAL).aggregate(total=Sum("balance", default=0))["total"]


def _balance_of(held: list[Held], kind) -> int:
    return next(row.balance for row in held if row.kind == kind)


def _month_lines(last_month: datetime.date, this_month: datetime.date, now: datetime.datetime) -> list[dict]:
    """Per kind: last month in full, last month up to the same point, and this month so far.

    The change compares like with like (the first N days of each month), so the 1st of a month
    does not read as a collapse against a whole previous month."""
    start = datetime.datetime.combine(last_month, datetime.time.min, tzinfo=datetime.UTC)
    this_start = datetime.datetime.combine(this_month, datetime.time.min, tzinfo=datetime.UTC)
    same_point = start + (now - this_start)
    rows = {
        row["kind"]: row
        for row in Transaction.objects.filter(created_at__gte=start)
        .values("kind")
        .annotate(
            last=Sum("amount", filter=Q(created_at__lt=this_start), default=0),
            last_to_date=Sum("amount", filter=Q(created_at__lt=min(same_point, this_start)), default=0),
            this=Sum("amount", filter=Q(created_at__gte=this_start), default=0),
        )
        .order_by()
    }
    lines = []
    for label, kind in MONTH_LINES:
        row = rows.get(kind, {"last": 0, "last_to_date": 0, "this": 0})
        lines.append(
            {
                "label": label,
                "last": row["last"],
                "last_to_date": row["last_to_date"],
                "this": row["this"],
                "change": _change_percent(row["last_to_date"], row["this"]),
            }
        )
    return lines


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _change_percent(last: int, this: int) -> int | None:
    return None if not last else round((this - last) * 100 / last)


def _status_totals(queryset, statuses) -> dict:
    """{status: {"count", "amount"}} for each status, in one aggregate query."""
    rows = queryset.aggregate(
        **{f"{status}_count": Count("id", filter=Q(status=status)) for status in statuses},
        **{f"{status}_amount": Sum("amount", filter=Q(status=status), default=0) for status in statuses},
    )
    return {status: {"count": rows[f"{status}_count"], "amount": rows[f"{status}_amount"]} for status in statuses}


def _disputes(held: list[Held]) -> dict:
    """Open disputes and the money at risk in them; what lost and open disputes cost so far."""
    from billing.models import Dispute, DisputeStatus

    open_disputes = Dispute.objects.filter(status=DisputeStatus.OPEN).aggregate(
        count=Count("id"), amount=Sum("amount", default=0)
    )
    return {
        "open": open_disputes["count"],
        "at_risk": open_disputes["amount"],
        "losses": -_balance_of(held, AccountKind.PLATFORM_LOSSES),
        "lost": Dispute.objects.filter(status=DisputeStatus.LOST).count(),
        "fees": Dispute.objects.aggregate(total=Sum("stripe_fee", default=0))["total"],
    }
