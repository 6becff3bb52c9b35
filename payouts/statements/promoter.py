"""A promoter's statement: earnings by campaign, the monthly payout, direct payments, balances."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Sum

from billing.models import AccountKind
from billing.models import TransactionKind as Kind
from campaigns.models import Campaign, CampaignType
from payouts.models import (
    BillingPeriodSummary,
    PayoutRecord,
    PromoterBalance,
    StripeTransfer,
    SummaryRole,
)
from payouts.services import period_previous
from payouts.statements.base import (
    EARNING_ACCOUNTS,
    StatementMonth,
    campaigns_by_pk,
    keyed_row_ids,
    month_ledger_rows,
    warn_if_lines_differ,
)


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
    failure_text: str = ""  # why it failed or was returned, as people read it


@dataclass
class PromoterStatement(StatementMonth):
    summary: BillingPeriodSummary
    earnings: list[EarningLine]
    payouts: list[PayoutLine]
    opening: PromoterBalance | None
    closing: PromoterBalance | None
    fee_percent: int = field(default_factory=lambda: settings.PLATFORM_FEE_PERCENT)
    role = SummaryRole.PROMOTER

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
    rows = list(
        month_ledger_rows(period, kind=Kind.SPEND, destination__user=user, destination__kind__in=EARNING_ACCOUNTS)
        .values("source__campaign_id", "destination__kind")
        .annotate(total=Sum("amount"), entries=Count("pk"))
        .order_by()
    )
    campaigns = campaigns_by_pk(row["source__campaign_id"] for row in rows)
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
        failure_text=record.failure_text,
    )


def promoter_direct_payments(*, user, period: datetime.date) -> list[PayoutLine]:
    """Consultant/Seller payments transferred in the month: the ledger's payout rows out of the
    promoter's direct account, described by the Stripe transfer each one records."""
    rows = list(
        month_ledger_rows(period, kind=Kind.PAYOUT, source__user=user, source__kind=AccountKind.PROMOTER_DIRECT)
        .order_by("created_at", "pk")
        .values("idempotency_key", "amount", "created_at")
    )
    transfer_ids = keyed_row_ids((row["idempotency_key"] for row in rows), "transfer")
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
                failure_text=transfer.failure_text if transfer else "",
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
    warn_if_lines_differ(statement)
    return statement
