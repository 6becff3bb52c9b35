"""What the demo built, counted for the command's output."""

from __future__ import annotations

import logging
import time
from collections import Counter

from django.db.models import Count, Sum

from accounts.models import (
    Notification,
)
from campaigns.models import (
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignType,
    CampaignWork,
)

logger = logging.getLogger(__name__)


def summary() -> list[str]:
    """What the demo holds, in a few lines (the same after building and when it was there)."""
    from billing.models import AdvertiserCharge, ChargeKind, ChargeStatus
    from payouts.models import BillingPeriodSummary, PayoutRecord, PayoutStatus, PeriodClose, StripeTransfer
    from tracking.models import SaleRecord, ViewStat

    lines = []
    by_type = Counter(Campaign.objects.values_list("campaign_type", "status"))
    for campaign_type in CampaignType:
        statuses = [
            f"{by_type[campaign_type.value, status.value]} {status.label.lower()}"
            for status in CampaignStatus
            if by_type[campaign_type.value, status.value]
        ]
        total = sum(count for (kind, _), count in by_type.items() if kind == campaign_type.value)
        lines.append(f"{campaign_type.label:<11} {total:>3} campaigns: {', '.join(statuses)}")
    applications = Counter(CampaignApplication.objects.values_list("status", flat=True))
    lines.append("applications: " + _counts(applications))
    works = Counter(CampaignWork.objects.values_list("status", flat=True))
    lines.append("work: " + _counts(works))
    stats = ViewStat.objects.aggregate(
        requests=Sum("requests"),
        paid=Sum("paid_views"),
        days=Count("day", distinct=True),
        **{column: Sum(column) for column in ViewStat.REJECT_FIELDS.values()},
    )
    rejected = {reason: stats[column] or 0 for reason, column in ViewStat.REJECT_FIELDS.items()}
    lines.append(
        f"views: {stats['paid'] or 0:,} paid of {stats['requests'] or 0:,} requests over {stats['days']} days "
        f"(not counted: {_counts(rejected)})"
    )
    lines.append("sales: " + _counts(Counter(SaleRecord.objects.values_list("status", flat=True))))
    charges = AdvertiserCharge.objects.filter(status=ChargeStatus.SUCCEEDED)
    funded = charges.filter(kind=ChargeKind.CHARGE).aggregate(total=Sum("amount"), count=Count("pk"))
    refunded = charges.filter(kind=ChargeKind.REFUND).aggregate(total=Sum("amount"), count=Count("pk"))
    lines.append(
        f"payments: {funded['count']} ({_money(funded['total'])}), refunds: {refunded['count']} "
        f"({_money(refunded['total'])})"
    )
    paid = PayoutRecord.objects.filter(status=PayoutStatus.PAID).aggregate(total=Sum("amount"), count=Count("pk"))
    immediate = StripeTransfer.objects.filter(kind="immediate", status="succeeded").aggregate(
        total=Sum("amount"), count=Count("pk")
    )
    closed = [f"{period:%Y-%m}" for period in PeriodClose.objects.order_by("period").values_list("period", flat=True)]
    lines.append(
        f"months closed: {', '.join(closed) or 'none'} ({BillingPeriodSummary.objects.count()} statements); "
        f"payouts paid: {paid['count']} ({_money(paid['total'])}); immediate payments: {immediate['count']} "
        f"({_money(immediate['total'])})"
    )
    lines.append(f"notifications: {Notification.objects.count()}")
    return lines


def _counts(counter) -> str:
    return (
        ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in sorted(counter.items()) if count) or "none"
    )


def _money(cents) -> str:
    cents = cents or 0
    return f"${cents / 100:,.2f}"


def seconds_since(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"
