"""Monthly statements: the itemised lines behind each `billing_period_summaries` row.

Read-only. The monthly close writes a summary from the month's ledger rows
(`payouts.services.period_summaries_write`); the lines here are read from the same immutable
rows with the same rules, so they add up to the summary's totals however long after the close a
statement is opened. Mutable projections (`advertiser_spends`, transfer and charge rows) only
describe a line (card, status, number of spends), never its amount.

Every builder issues a fixed number of grouped queries, whatever the number of campaigns.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import fees
from billing.models import AccountKind, AdvertiserCharge, AdvertiserSpend, ChargeKind, LedgerAccount, Transaction
from billing.models import TransactionKind as Kind
from campaigns.models import Campaign, CampaignType
from payouts.models import (
    BillingPeriodSummary,
    PayoutRecord,
    PeriodClose,
    PromoterBalance,
    StripeTransfer,
    SummaryRole,
)
from payouts.reconciliation import Reconciliation, reconciliation_for
from payouts.services import next_payout_at, period_bounds, period_next, period_of, period_previous

logger = logging.getLogger(__name__)

# The ledger kinds an advertiser's summary counts, by summary field (period_summaries_write).
ADVERTISER_KINDS = {Kind.FUNDING: "funded", Kind.SPEND: "spent", Kind.FEE_RECOGNISED: "fees", Kind.REFUND: "refunded"}
EARNING_ACCOUNTS = (AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_DIRECT)
# Each ledger row's idempotency key names the row it serves (billing and payouts services):
# funding-<payment intent pk>, refund-<advertiser charge pk>, transfer-<stripe transfer pk>.
_KEYED_ROW = re.compile(r"^(funding|refund|transfer)-(\d+)$")


class StatementNotFound(Exception):
    """No statement of this user for this period (never theirs, or nothing to report)."""


class StatementNotClosed(Exception):
    """The period has no statements yet: its monthly close has not run."""

    def __init__(self, period: datetime.date, closes_at: datetime.datetime):
        self.period, self.closes_at = period, closes_at
        super().__init__(f"{period:%B %Y} is not closed yet; statements are written at {closes_at:%Y-%m-%d %H:%M} UTC.")


# --- Periods -----------------------------------------------------------------------------------


def period_from_url(text: str) -> datetime.date:
    """`YYYY-MM` to the month's first day; ValueError for anything else (2026-13, 0000-01)."""
    year, month = text.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(f"A period is written YYYY-MM, not {text!r}.")
    return datetime.date(int(year), int(month), 1)


def period_close_time(period: datetime.date) -> datetime.datetime:
    """When the scheduled close of `period` runs: the 1st of the next month, 06:00 UTC."""
    return next_payout_at(datetime.datetime.combine(period, datetime.time(), tzinfo=datetime.UTC))


def period_is_closed(period: datetime.date) -> bool:
    return PeriodClose.objects.filter(period=period, summarised_at__isnull=False).exists()


def _keyed_row_ids(keys, prefix: str) -> dict[str, int]:
    """{ledger key: pk of the row it serves} for keys written as `<prefix>-<pk>`."""
    ids = {}
    for key in keys:
        match = _KEYED_ROW.match(key)
        if match and match.group(1) == prefix:
            ids[key] = int(match.group(2))
    return ids


def _campaigns_by_pk(pks) -> dict[int, Campaign]:
    fields = ("pk", "public_id", "title", "campaign_type", "status", "currency")
    return {campaign.pk: campaign for campaign in Campaign.objects.filter(pk__in=set(pks)).only(*fields)}


# --- The list --------------------------------------------------------------------------------------


def statements_for_user(*, user) -> list[BillingPeriodSummary]:
    """The user's monthly summaries, newest first (one per closed month with something to say)."""
    return list(BillingPeriodSummary.objects.filter(user=user).order_by("-period"))


def statement_next_ready(*, now: datetime.datetime | None = None) -> tuple[datetime.date, datetime.datetime]:
    """The month whose statement comes next and when: the current month, at its close."""
    period = period_of(now or timezone.now())
    return period, period_close_time(period)


# --- One statement -----------------------------------------------------------------------------


def statement_get(*, user, period: datetime.date) -> PromoterStatement | AdvertiserStatement:
    """The user's itemised statement for `period`.

    Raises StatementNotClosed for the current month and for an ended month whose close has not
    run, and StatementNotFound for a later month or a closed one with no summary of this user."""
    summary = BillingPeriodSummary.objects.filter(user=user, period=period).first()
    if summary is None:
        current = period_of(timezone.now())
        if period > current or (period < current and period_is_closed(period)):
            raise StatementNotFound(f"No statement for {period:%B %Y}.")
        raise StatementNotClosed(period, period_close_time(period))
    if summary.role == SummaryRole.PROMOTER:
        return promoter_statement(summary=summary)
    return advertiser_statement(summary=summary)


def _warn_if_lines_differ(statement) -> None:
    # The lines read the rows the summary was written from; a difference means one of the two
    # rules changed. The page shows the summary's totals; staff get told.
    differences = {name: pair for name, pair in statement.totals_check().items() if pair[0] != pair[1]}
    if differences:
        logger.warning(
            "statement %s %s of user %s: lines differ from the summary: %s",
            statement.summary.role,
            f"{statement.summary.period:%Y-%m}",
            statement.summary.user_id,
            differences,
        )


# --- Promoters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarningLine:
    campaign: Campaign
    paid_monthly: bool  # pending -> monthly payout; direct -> paid on approval (Consultant/Seller)
    amount: int
    entries: int


@dataclass(frozen=True)
class PayoutLine:
    kind: str  # "monthly" or "direct"
    description: str
    amount: int
    status: str
    status_label: str
    at: datetime.datetime | None
    campaign: Campaign | None = None
    failure_reason: str = ""


@dataclass
class PromoterStatement:
    summary: BillingPeriodSummary
    earnings: list[EarningLine]
    payouts: list[PayoutLine]
    opening: PromoterBalance | None
    closing: PromoterBalance | None
    fee_percent: int = field(default_factory=lambda: settings.PLATFORM_FEE_PERCENT)
    role = SummaryRole.PROMOTER

    @property
    def period(self) -> datetime.date:
        return self.summary.period

    @property
    def last_day(self) -> datetime.date:
        return period_next(self.summary.period) - datetime.timedelta(days=1)

    @property
    def earned_total(self) -> int:
        return sum(line.amount for line in self.earnings)

    def earned_by_type(self) -> list[tuple[str, str, int]]:
        """[(type, label, amount)] for the four campaign types, in their usual order."""
        totals = dict.fromkeys(CampaignType.values, 0)
        for line in self.earnings:
            totals[line.campaign.campaign_type] += line.amount
        return [(value, CampaignType(value).label, totals[value]) for value in CampaignType.values]

    @property
    def paid_out_total(self) -> int:
        return sum(line.amount for line in self.payouts)

    @property
    def fees(self) -> int:
        """Promoters pay no platform fee: it is charged to the advertiser on top of the budget."""
        return 0

    @cached_property
    def reconciliation(self) -> Reconciliation:
        """Owed to the promoter at the start, each movement of the month, owed at the end."""
        return reconciliation_for(user_id=self.summary.user_id, role=self.role, period=self.period)

    def totals_check(self) -> dict[str, tuple[int, int]]:
        """{figure: (sum of the lines, the summary's figure)}."""
        by_type = {value: amount for value, _, amount in self.earned_by_type()}
        summary = self.summary
        return {
            "earned_visibility": (by_type[CampaignType.VISIBILITY], summary.earned_visibility),
            "earned_consultant": (by_type[CampaignType.CONSULTANT], summary.earned_consultant),
            "earned_seller": (by_type[CampaignType.SELLER], summary.earned_seller),
            "earned_salesman": (by_type[CampaignType.SALESMAN], summary.earned_salesman),
            "earned_total": (self.earned_total, summary.earned_total),
            "paid_out": (self.paid_out_total, summary.paid_out),
        }


def promoter_earnings_by_campaign(*, user, period: datetime.date) -> list[EarningLine]:
    """What each campaign paid into the promoter's pending or direct account in the month."""
    start, end = period_bounds(period)
    rows = list(
        Transaction.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            kind=Kind.SPEND,
            destination__user=user,
            destination__kind__in=EARNING_ACCOUNTS,
        )
        .values("source__campaign_id", "destination__kind")
        .annotate(total=Sum("amount"), entries=Count("pk"))
        .order_by()
    )
    campaigns = _campaigns_by_pk(row["source__campaign_id"] for row in rows)
    lines = [
        EarningLine(
            campaign=campaigns[row["source__campaign_id"]],
            paid_monthly=row["destination__kind"] == AccountKind.PROMOTER_PENDING,
            amount=row["total"],
            entries=row["entries"],
        )
        for row in rows
    ]
    order = {value: index for index, value in enumerate(CampaignType.values)}
    return sorted(lines, key=lambda line: (order[line.campaign.campaign_type], line.campaign.title, line.campaign.pk))


def promoter_monthly_payout(*, user, period: datetime.date) -> PayoutLine | None:
    """The payout the close of `period` created (sent just after the month ends), if any."""
    record = PayoutRecord.objects.filter(promoter=user, period=period).select_related("stripe_transfer").first()
    if record is None:
        return None
    return PayoutLine(
        kind="monthly",
        description=f"Monthly payout for {period:%B %Y}",
        amount=record.amount,
        status=record.status,
        status_label=record.get_status_display(),
        at=record.paid_at or record.created_at,
        failure_reason=record.failure_reason,
    )


def promoter_direct_payments(*, user, period: datetime.date) -> list[PayoutLine]:
    """Consultant/Seller payments transferred in the month: the ledger's payout rows out of the
    promoter's direct account, described by the Stripe transfer each one records."""
    start, end = period_bounds(period)
    rows = list(
        Transaction.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            kind=Kind.PAYOUT,
            source__user=user,
            source__kind=AccountKind.PROMOTER_DIRECT,
        )
        .order_by("created_at", "pk")
        .values("idempotency_key", "amount", "created_at")
    )
    transfer_ids = _keyed_row_ids((row["idempotency_key"] for row in rows), "transfer")
    transfers = {
        transfer.pk: transfer
        for transfer in StripeTransfer.objects.filter(promoter=user, pk__in=transfer_ids.values()).select_related(
            "campaign", "work__deliverable"
        )
    }
    lines = []
    for row in rows:
        transfer = transfers.get(transfer_ids.get(row["idempotency_key"]))
        milestone = transfer.work.deliverable.title if transfer and transfer.work_id else ""
        lines.append(
            PayoutLine(
                kind="direct",
                description=f"Payment for {milestone}" if milestone else "Consultant/Seller payment",
                amount=row["amount"],
                status=transfer.status if transfer else "succeeded",
                status_label=transfer.get_status_display() if transfer else "Sent",
                at=row["created_at"],
                campaign=transfer.campaign if transfer else None,
                failure_reason=transfer.failure_reason if transfer else "",
            )
        )
    return lines


def promoter_balances(*, user, period: datetime.date) -> tuple[PromoterBalance | None, PromoterBalance | None]:
    """(opening, closing): the wallet snapshots taken at the previous close and at this one."""
    previous = period_previous(period)
    snapshots = {
        row.period: row for row in PromoterBalance.objects.filter(promoter=user, period__in=[previous, period])
    }
    return snapshots.get(previous), snapshots.get(period)


def promoter_statement(*, summary: BillingPeriodSummary) -> PromoterStatement:
    user, period = summary.user_id, summary.period
    monthly = promoter_monthly_payout(user=user, period=period)
    opening, closing = promoter_balances(user=user, period=period)
    statement = PromoterStatement(
        summary=summary,
        earnings=promoter_earnings_by_campaign(user=user, period=period),
        payouts=promoter_direct_payments(user=user, period=period) + ([monthly] if monthly else []),
        opening=opening,
        closing=closing,
    )
    _warn_if_lines_differ(statement)
    return statement


# --- Advertisers --------------------------------------------------------------------------------


@dataclass
class CampaignActivity:
    campaign: Campaign
    funded: int = 0
    spent: int = 0
    fees: int = 0
    refunded: int = 0
    spends: int = 0  # number of spends (view batches, sales, milestones), from advertiser_spends
    days: int = 0  # days with spend, from advertiser_spends
    reversed_since: int = 0  # of `spent`, given back since (refunded sales), from advertiser_spends


@dataclass(frozen=True)
class ChargeLine:
    kind: str  # "charge" or "refund"
    amount: int
    at: datetime.datetime
    campaign: Campaign | None
    charge: AdvertiserCharge | None  # the card payment or refund row (card, status, receipt)

    @property
    def budget_amount(self) -> int | None:
        return self.charge.budget_amount if self.charge else None

    @property
    def fee_amount(self) -> int | None:
        return self.charge.fee_amount if self.charge else None


@dataclass
class AdvertiserStatement:
    summary: BillingPeriodSummary
    campaigns: list[CampaignActivity]
    charges: list[ChargeLine]
    refunds: list[ChargeLine]
    fee_percent: int = field(default_factory=lambda: settings.PLATFORM_FEE_PERCENT)
    role = SummaryRole.ADVERTISER

    @property
    def period(self) -> datetime.date:
        return self.summary.period

    @property
    def last_day(self) -> datetime.date:
        return period_next(self.summary.period) - datetime.timedelta(days=1)

    def _total(self, name: str) -> int:
        return sum(getattr(activity, name) for activity in self.campaigns)

    @property
    def funded_total(self) -> int:
        return self._total("funded")

    @property
    def spent_total(self) -> int:
        return self._total("spent")

    @property
    def fees_total(self) -> int:
        return self._total("fees")

    @property
    def refunded_total(self) -> int:
        return self._total("refunded")

    @property
    def charged_total(self) -> int:
        return sum(line.amount for line in self.charges)

    @property
    def refund_lines_total(self) -> int:
        return sum(line.amount for line in self.refunds)

    @cached_property
    def reconciliation(self) -> Reconciliation:
        """Held for the advertiser's campaigns at the start, each movement, held at the end."""
        return reconciliation_for(user_id=self.summary.user_id, role=self.role, period=self.period)

    def totals_check(self) -> dict[str, tuple[int, int]]:
        """{figure: (sum of the lines, the summary's figure)}."""
        summary = self.summary
        return {
            "funded": (self.funded_total, summary.funded),
            "charges": (self.charged_total, summary.funded),
            "spent": (self.spent_total, summary.spent),
            "fees": (self.fees_total, summary.fees),
            "refunded": (self.refunded_total, summary.refunded),
            "refunds": (self.refund_lines_total, summary.refunded),
        }


def _advertiser_ledger_rows(*, user, period: datetime.date):
    """The month's ledger rows touching the advertiser's campaign accounts, of the summarised
    kinds, each with the campaign it belongs to (as period_summaries_write attributes them)."""
    start, end = period_bounds(period)
    accounts = LedgerAccount.objects.filter(campaign__advertiser=user).values("pk")
    return (
        Transaction.objects.filter(created_at__gte=start, created_at__lt=end, kind__in=list(ADVERTISER_KINDS))
        .filter(Q(source_id__in=accounts) | Q(destination_id__in=accounts))
        .annotate(campaign_pk=Coalesce("source__campaign_id", "destination__campaign_id"))
    )


def advertiser_ledger_by_campaign(*, user, period: datetime.date) -> dict[int, dict[str, int]]:
    """{campaign pk: {summary field: cents}} for the month."""
    totals: dict[int, dict[str, int]] = {}
    rows = _advertiser_ledger_rows(user=user, period=period).values("campaign_pk", "kind").annotate(total=Sum("amount"))
    for row in rows.order_by():
        totals.setdefault(row["campaign_pk"], {})[ADVERTISER_KINDS[row["kind"]]] = row["total"]
    return totals


def advertiser_spends_by_campaign(*, user, period: datetime.date) -> dict[int, dict[str, int]]:
    """{campaign pk: {spent, spends, days}} from the daily `advertiser_spends` rows of the month.

    These rows shrink when a sale is refunded later, so they tell what was given back since;
    the statement's amounts come from the ledger (the dates are UTC days, as the months are)."""
    rows = (
        AdvertiserSpend.objects.filter(advertiser=user, date__gte=period, date__lt=period_next(period))
        .values("campaign_id")
        .annotate(spent=Sum("amount_spent"), spends=Sum("spend_count"), days=Count("pk"))
        .order_by()
    )
    return {row["campaign_id"]: row for row in rows}


def advertiser_payments(
    *, user, period: datetime.date, campaigns: dict[int, Campaign]
) -> tuple[list[ChargeLine], list[ChargeLine]]:
    """(card payments, refunds) of the month: one line per funding or refund ledger posting,
    described by the charge or refund row it records."""
    rows = list(
        _advertiser_ledger_rows(user=user, period=period)
        .filter(kind__in=[Kind.FUNDING, Kind.REFUND])
        .values("idempotency_key", "kind")
        .annotate(total=Sum("amount"), at=Min("created_at"), campaign=Min("campaign_pk"))
        .order_by("at", "idempotency_key")
    )
    keys = [row["idempotency_key"] for row in rows]
    intent_ids, refund_ids = _keyed_row_ids(keys, "funding"), _keyed_row_ids(keys, "refund")
    by_intent, by_pk = {}, {}
    for charge in AdvertiserCharge.objects.filter(advertiser=user).filter(
        Q(kind=ChargeKind.CHARGE, payment_intent_id__in=intent_ids.values())
        | Q(kind=ChargeKind.REFUND, pk__in=refund_ids.values())
    ):
        if charge.kind == ChargeKind.CHARGE:
            by_intent[charge.payment_intent_id] = charge
        else:
            by_pk[charge.pk] = charge
    charges, refunds = [], []
    for row in rows:
        key, funding = row["idempotency_key"], row["kind"] == Kind.FUNDING
        (charges if funding else refunds).append(
            ChargeLine(
                kind=ChargeKind.CHARGE if funding else ChargeKind.REFUND,
                amount=row["total"],
                at=row["at"],
                campaign=campaigns.get(row["campaign"]),
                charge=by_intent.get(intent_ids.get(key)) if funding else by_pk.get(refund_ids.get(key)),
            )
        )
    return charges, refunds


def advertiser_activity_by_campaign(*, user, period: datetime.date) -> list[CampaignActivity]:
    """Funded, spent, fees and refunded per campaign (ledger), with the spend counts and what
    was given back since (advertiser_spends)."""
    ledger = advertiser_ledger_by_campaign(user=user, period=period)
    daily = advertiser_spends_by_campaign(user=user, period=period)
    campaigns = _campaigns_by_pk(ledger)
    activities = []
    for pk, figures in ledger.items():
        days = daily.get(pk)
        spent = figures.get("spent", 0)
        activities.append(
            CampaignActivity(
                campaign=campaigns[pk],
                funded=figures.get("funded", 0),
                spent=spent,
                fees=figures.get("fees", 0),
                refunded=figures.get("refunded", 0),
                spends=days["spends"] if days else 0,
                days=days["days"] if days else 0,
                reversed_since=max(0, spent - days["spent"]) if days else 0,
            )
        )
    return sorted(activities, key=lambda activity: (activity.campaign.title.lower(), activity.campaign.pk))


def advertiser_statement(*, summary: BillingPeriodSummary) -> AdvertiserStatement:
    user, period = summary.user_id, summary.period
    activities = advertiser_activity_by_campaign(user=user, period=period)
    charges, refunds = advertiser_payments(
        user=user, period=period, campaigns={activity.campaign.pk: activity.campaign for activity in activities}
    )
    statement = AdvertiserStatement(summary=summary, campaigns=activities, charges=charges, refunds=refunds)
    _warn_if_lines_differ(statement)
    return statement


# --- CSV ----------------------------------------------------------------------------------------------

CSV_HEADER = ["period", "section", "item", "campaign", "campaign_type", "date", "status", "amount", "currency"]
# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_amount(cents: int) -> str:
    """Integer cents as decimal units without floats: 123456 -> "1234.56", -5 -> "-0.05"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def statement_csv_filename(period: datetime.date) -> str:
    return f"statement-{period:%Y-%m}.csv"


def statement_csv_rows(statement) -> list[list[str]]:
    """The header, one row per line of the statement, then its totals (the summary's figures)."""
    period = f"{statement.period:%Y-%m}"
    currency = statement.summary.currency.upper()

    def row(section, item, amount, *, campaign=None, date=None, status=""):
        return [
            period,
            section,
            csv_text(item),
            csv_text(campaign.title if campaign else ""),
            campaign.campaign_type if campaign else "",
            f"{date:%Y-%m-%d}" if date else "",
            csv_text(status),
            csv_amount(amount),
            currency,
        ]

    rows = [CSV_HEADER]
    summary = statement.summary
    balance = statement.reconciliation
    rows.append(row("balance", "Opening balance", balance.opening, date=statement.period))
    for line in balance.lines:
        # Unsigned, its direction in the status column: a cell starting with "-" is a formula.
        direction = "in" if line.incoming else "out"
        rows.append(row("balance", line.label, abs(line.amount), campaign=line.campaign, status=direction))
    rows.append(row("balance", "Closing balance", balance.closing, date=statement.last_day))
    if statement.role == SummaryRole.PROMOTER:
        for line in statement.earnings:
            paid = "Paid monthly" if line.paid_monthly else "Paid on approval"
            rows.append(row("earning", f"Earnings ({paid.lower()})", line.amount, campaign=line.campaign))
        for line in statement.payouts:
            rows.append(
                row("payout", line.description, line.amount, campaign=line.campaign, date=line.at, status=line.status)
            )
        for value, label, _ in statement.earned_by_type():
            rows.append(row("total", f"Earned: {label}", getattr(summary, f"earned_{value}")))
        rows.append(row("total", "Earned", summary.earned_total))
        rows.append(row("total", "Platform fees (paid by the advertiser)", statement.fees))
        rows.append(row("total", "Paid out", summary.paid_out))
        rows.append(row("total", "Carried forward", summary.carried_forward))
        rows.append(row("total", "Short of the payout threshold", summary.short_of_threshold, status=summary.note))
        return rows
    for line in statement.charges:
        card = line.charge.payment_method_label if line.charge else ""
        status = line.charge.status if line.charge else ""
        rows.append(
            row(
                "funding",
                f"Card payment {card}".strip(),
                line.amount,
                campaign=line.campaign,
                date=line.at,
                status=status,
            )
        )
    for activity in statement.campaigns:
        if activity.spent:
            rows.append(row("spend", "Budget spent", activity.spent, campaign=activity.campaign))
    fee_terms = fees.campaign_fee_terms_many([activity.campaign for activity in statement.campaigns])
    for activity in statement.campaigns:
        if activity.fees:
            rows.append(
                row(
                    "platform_fee",
                    f"Platform fee ({fee_terms[activity.campaign.pk].describe()})",
                    activity.fees,
                    campaign=activity.campaign,
                )
            )
    for line in statement.refunds:
        status = line.charge.status if line.charge else ""
        rows.append(
            row("refund", "Unused budget refunded", line.amount, campaign=line.campaign, date=line.at, status=status)
        )
    rows.append(row("total", "Funded (budget + platform fee)", summary.funded))
    rows.append(row("total", "Spent", summary.spent))
    rows.append(row("total", "Platform fees", summary.fees))
    rows.append(row("total", "Refunded", summary.refunded))
    return rows
