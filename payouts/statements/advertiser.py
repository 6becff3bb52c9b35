"""An advertiser's statement: funding, spend, fees and refunds by campaign, and payments."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce

from billing.fees import FeeTerms, campaign_fee_terms_many
from billing.models import AccountKind, AdvertiserCharge, AdvertiserSpend, ChargeKind, LedgerAccount
from billing.models import TransactionKind as Kind
from campaignplatform.money import dollars
from campaigns.models import Campaign
from payouts.models import BillingPeriodSummary, SummaryRole
from payouts.services import period_next
from payouts.statements.base import (
    ADVERTISER_KINDS,
    StatementMonth,
    campaigns_by_pk,
    keyed_row_ids,
    month_ledger_rows,
    warn_if_lines_differ,
)


@dataclass
class CampaignActivity:
    campaign: Campaign
    funded: int = 0
    spent: int = 0
    fees: int = 0
    refunded: int = 0
    fixed_fees: int = 0  # of `fees`, the fixed fees per sale or milestone taken from the budget
    fee_terms: FeeTerms | None = None  # the plan fixed on the campaign, for the fee's label
    spends: int = 0  # number of spends (view batches, sales, milestones), from advertiser_spends
    days: int = 0  # days with spend, from advertiser_spends
    reversed_since: int = 0  # of `spent`, given back since (refunded sales), from advertiser_spends

    @property
    def percent_fees(self) -> int:
        """Of `fees`, the percentage (and fixed amount per 100 views) charged on top at funding."""
        return self.fees - self.fixed_fees


@dataclass(frozen=True)
class ChargeLine:
    kind: str  # "charge" or "refund"
    amount: int
    at: datetime.datetime
    campaign: Campaign | None
    charge: AdvertiserCharge | None  # the card payment or refund row (card, status, receipt)
    fee_terms: FeeTerms | None = None  # the campaign's, to say what a milestone fee reserve was

    @property
    def budget_amount(self) -> int | None:
        return self.charge.budget_amount if self.charge else None

    @property
    def fee_amount(self) -> int | None:
        return self.charge.fee_amount if self.charge else None

    @property
    def fee_reserve_amount(self) -> int:
        """Of `amount`, the milestone fee reserve paid, or the part of it refunded unused."""
        return self.charge.fee_reserve_amount if self.charge else 0

    @property
    def fee_reserve_detail(self) -> str:
        """'3 x $0.50': the milestones a reserve paid for (a payment's, not a refund's)."""
        fixed = self.fee_terms.fixed_cents if self.fee_terms else 0
        if not (self.fee_reserve_amount and fixed):
            return ""
        return f"{self.fee_reserve_amount // fixed} x {dollars(fixed)}"


@dataclass
class AdvertiserStatement(StatementMonth):
    summary: BillingPeriodSummary
    campaigns: list[CampaignActivity]
    charges: list[ChargeLine]
    refunds: list[ChargeLine]
    fee_percent: int = field(default_factory=lambda: settings.PLATFORM_FEE_PERCENT)
    role = SummaryRole.ADVERTISER

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
    accounts = LedgerAccount.objects.filter(campaign__advertiser=user).values("pk")
    return (
        month_ledger_rows(period, kind__in=list(ADVERTISER_KINDS))
        .filter(Q(source_id__in=accounts) | Q(destination_id__in=accounts))
        .annotate(campaign_pk=Coalesce("source__campaign_id", "destination__campaign_id"))
    )


def advertiser_ledger_by_campaign(*, user, period: datetime.date) -> dict[int, dict[str, int]]:
    """{campaign pk: {summary field: cents, "fixed_fees": cents}} for the month; "fixed_fees"
    is the part of "fees" a fixed fee per sale or milestone took from the budget."""
    totals: dict[int, dict[str, int]] = {}
    rows = (
        _advertiser_ledger_rows(user=user, period=period)
        .annotate(fixed=Q(kind=Kind.FEE_RECOGNISED, source__kind=AccountKind.CAMPAIGN_BUDGET))
        .values("campaign_pk", "kind", "fixed")
        .annotate(total=Sum("amount"))
    )
    for row in rows.order_by():
        figures = totals.setdefault(row["campaign_pk"], {})
        field = ADVERTISER_KINDS[row["kind"]]
        figures[field] = figures.get(field, 0) + row["total"]
        if row["fixed"]:
            figures["fixed_fees"] = row["total"]
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
    terms = campaign_fee_terms_many(list(campaigns.values()))
    keys = [row["idempotency_key"] for row in rows]
    intent_ids, refund_ids = keyed_row_ids(keys, "funding"), keyed_row_ids(keys, "refund")
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
                fee_terms=terms.get(row["campaign"]),
            )
        )
    return charges, refunds


def advertiser_activity_by_campaign(*, user, period: datetime.date) -> list[CampaignActivity]:
    """Funded, spent, fees and refunded per campaign (ledger), with the spend counts and what
    was given back since (advertiser_spends)."""
    ledger = advertiser_ledger_by_campaign(user=user, period=period)
    daily = advertiser_spends_by_campaign(user=user, period=period)
    campaigns = campaigns_by_pk(ledger)
    terms = campaign_fee_terms_many(list(campaigns.values()))
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
                fixed_fees=figures.get("fixed_fees", 0),
                fee_terms=terms[pk],
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
    warn_if_lines_differ(statement)
    return statement
