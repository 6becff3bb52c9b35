"""Ending Visibility and Salesman campaigns: at the view cap, on their end date, and settling
what promoters earned before billing refunds the rest."""

import logging

from django.db.models import F
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus, CampaignType, StatusReason
from tracking import performance
from tracking.models import SaleStatus
from tracking.services.accrual import views_accrue

logger = logging.getLogger(__name__)


def campaign_cap_reached(*, campaign_id: int):
    """The last paid view was counted: accrue every participation's earnings, then complete the
    campaign (billing refunds what is left after that) and tell the advertiser. Safe to run twice."""
    campaign = Campaign.objects.select_related("advertiser").get(pk=campaign_id)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        return
    try:
        views_accrue(campaign=campaign)
    except Exception:
        # The hourly accrual retries; completing the campaign must not wait for it.
        logger.exception("view accrual before completing campaign %s failed", campaign_id)
    campaign.refresh_from_db()  # spending the last cent pauses it (billing)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        return
    try:
        # Billing refunds what is left (the rounding remainder and its fee) on `campaign_closed`.
        campaign_services.campaign_complete(campaign=campaign, actor=None, code=StatusReason.VIEW_CAP_REACHED)
    except campaign_services.InvalidTransition:
        return  # completed or cancelled meanwhile: someone else told the advertiser


def campaigns_complete_capped() -> int:
    """Sweep (hourly, with the accrual): complete Visibility campaigns at their cap whose
    after-commit completion did not run (process crashed between commit and callback)."""
    ids = list(
        Campaign.objects.filter(
            campaign_type=CampaignType.VISIBILITY,
            status__in=[CampaignStatus.ACTIVE, CampaignStatus.PAUSED],  # paused: its last cent was spent
            paid_views__gte=F("max_views"),
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        campaign_cap_reached(campaign_id=pk)
    return len(ids)


def campaigns_end_expired(*, today=None) -> list[int]:
    """End campaigns whose end date has passed and refund what they did not spend.

    Visibility campaigns end the day after their end date. Salesman campaigns wait until no sale
    is pending or awaiting budget (pending sales are auto-verified after SALE_AUTO_VERIFY_DAYS), so
    a commission is never left without the budget to pay it. Consultant and Seller campaigns are
    left to the advertiser, who ends them when the agreed work is done.
    """
    today = today or timezone.localdate()
    expired = Campaign.objects.filter(
        status__in=[CampaignStatus.ACTIVE, CampaignStatus.PAUSED],
        end_date__lt=today,
        campaign_type__in=[CampaignType.VISIBILITY, CampaignType.SALESMAN],
    ).exclude(
        campaign_type=CampaignType.SALESMAN,
        sales__status__in=[SaleStatus.PENDING, SaleStatus.AWAITING_BUDGET],
    )
    ended = []
    for campaign in expired.distinct():
        try:
            reason = f"Ended on its end date ({campaign.end_date:%Y-%m-%d})."
            campaign_services.campaign_complete(campaign=campaign, reason=reason, code=StatusReason.END_DATE)
        except campaign_services.CampaignError:
            continue  # it moved on meanwhile (ended by the advertiser, say)
        ended.append(campaign.pk)
    return ended


def views_accrue_hourly() -> int:
    """The scheduled job: accrue, then complete campaigns left at their cap."""
    posted = views_accrue()
    campaigns_complete_capped()
    performance.promoters_views_refresh()
    return posted


def views_settle_before_refund(sender, *, campaign: Campaign, **kwargs) -> None:
    """billing's `budget_refund_starting`: post views counted but not yet accrued (the hourly
    accrual runs later), so the refund gives back only what promoters did not earn."""
    if campaign.campaign_type == CampaignType.VISIBILITY:
        views_accrue(campaign=campaign)
