"""View earnings: the hourly accrual of counted views into promoters' pending balances."""

import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import services as billing
from campaigns.models import Campaign, CampaignType, PromoterCampaign
from tracking.models import (
    RateLimitWindow,
    ViewAccrual,
    ViewStat,
)

logger = logging.getLogger(__name__)


def participation_paid_views(participation_id: int) -> int:
    return ViewStat.objects.filter(participation_id=participation_id).aggregate(total=Sum("paid_views"))["total"] or 0


def view_earnings_cents(*, paid_views: int, cpv: int) -> int:
    """Cumulative earnings, floored once on the cumulative count so no cent leaks over time."""
    return paid_views * cpv // 100


def participation_accrue(*, participation: PromoterCampaign) -> int:
    """Post the difference between what the participation's paid views have earned and what the
    ledger already holds for it. Returns the cents posted (0 if nothing new).

    The accrual row is locked, so two runs for one participation serialise; the idempotency key
    names the new cumulative total, so a replay of the same step posts once.
    """
    campaign = participation.campaign
    ViewAccrual.objects.get_or_create(participation=participation)
    with transaction.atomic(durable=True):
        accrual = ViewAccrual.objects.select_for_update().get(participation=participation)
        paid_views = participation_paid_views(participation.pk)
        total = view_earnings_cents(paid_views=paid_views, cpv=campaign.cpv)
        delta = total - accrual.accrued_cents
        if delta < 0:
            raise RuntimeError(f"Participation {participation.pk}: accrued {accrual.accrued_cents} > earned {total}.")
        if delta > 0:
            billing.campaign_budget_spend(
                campaign=campaign,
                promoter=participation.promoter,
                amount_cents=delta,
                idempotency_key=f"view-accrual-{participation.pk}-{total}",
                memo=f"{paid_views} paid views",
            )
        if delta or paid_views != accrual.accrued_views:
            accrual.accrued_cents = total
            accrual.accrued_views = paid_views
            accrual.save(update_fields=["accrued_cents", "accrued_views", "updated_at"])
    return delta


def views_accrue(*, campaign: Campaign | None = None) -> int:
    """Accrue every Visibility participation with paid views not yet in the ledger. Returns cents posted.

    A participation whose campaign budget cannot cover it (BudgetExhausted: should not happen,
    funding covers max_views) is logged and retried next run.
    """
    participations = PromoterCampaign.objects.filter(campaign__campaign_type=CampaignType.VISIBILITY).select_related(
        "campaign", "promoter"
    )
    if campaign is not None:
        participations = participations.filter(campaign=campaign)
    # Only participations with views beyond what was accrued: stats sum vs the accrual row.
    participations = participations.annotate(stat_views=Sum("view_stats__paid_views")).filter(stat_views__gt=0)
    accrued = dict(ViewAccrual.objects.values_list("participation_id", "accrued_views"))
    posted = 0
    for participation in participations:
        if participation.stat_views == accrued.get(participation.pk, 0):
            continue
        try:
            posted += participation_accrue(participation=participation)
        except billing.BudgetExhausted:
            logger.warning("budget exhausted accruing views of participation %s", participation.pk)
    return posted


def rate_limits_prune(*, now=None) -> int:
    now = now or timezone.now()
    deleted, _ = RateLimitWindow.objects.filter(minute__lt=int(now.timestamp()) // 60 - 60).delete()
    return deleted
