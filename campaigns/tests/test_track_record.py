"""The services that end campaigns and review work keep promoters' track record current."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from campaigns import services
from campaigns.tests.factories import CampaignFactory, DeliverableFactory, PromoterCampaignFactory, WorkFactory

pytestmark = pytest.mark.django_db


def _figures(user, *names):
    row = User.objects.values(*names).get(pk=user.pk)
    return tuple(row[name] for name in names)


def test_completing_a_campaign_counts_it_once_for_each_active_promoter():
    campaign = CampaignFactory(active=True)
    first, second = PromoterCampaignFactory(campaign=campaign), PromoterCampaignFactory(campaign=campaign)
    left = PromoterCampaignFactory(campaign=campaign, status="cancelled")

    services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    assert _figures(first.promoter, "campaigns_completed", "campaigns_cancelled") == (1, 0)
    assert _figures(second.promoter, "campaigns_completed", "campaigns_cancelled") == (1, 0)
    assert _figures(left.promoter, "campaigns_completed", "campaigns_cancelled") == (0, 0)
    with pytest.raises(services.InvalidTransition):
        services.campaign_complete(campaign=campaign)
    assert _figures(first.promoter, "campaigns_completed") == (1,)


def test_cancelling_a_campaign_counts_a_cancellation_for_its_promoters():
    participation = PromoterCampaignFactory()
    campaign = participation.campaign

    services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="Budget cut")

    assert _figures(participation.promoter, "campaigns_completed", "campaigns_cancelled") == (0, 1)
    participation.refresh_from_db()
    assert participation.status == "cancelled"


def test_work_approved_by_its_due_date_counts_on_time_and_late_work_does_not():
    today = timezone.localdate()
    on_time = WorkFactory(deliverable=DeliverableFactory(status="submitted", due_date=today))
    promoter = on_time.deliverable.promoter_campaign.promoter
    late = WorkFactory(
        deliverable=DeliverableFactory(
            status="submitted",
            due_date=today - datetime.timedelta(days=1),
            promoter_campaign=on_time.deliverable.promoter_campaign,
        ),
    )
    advertiser = on_time.deliverable.promoter_campaign.campaign.advertiser

    services.work_approve(work=on_time, actor=advertiser)
    services.work_approve(work=late, actor=advertiser)
    services.work_approve(work=late, actor=advertiser)  # a double click counts once

    assert _figures(promoter, "works_approved", "works_approved_on_time", "works_rejected") == (2, 1, 0)


def test_rejected_work_counts_a_rejection_and_a_revision_request_counts_nothing():
    revised = WorkFactory()
    promoter = revised.deliverable.promoter_campaign.promoter
    advertiser = revised.deliverable.promoter_campaign.campaign.advertiser
    services.work_request_revision(work=revised, actor=advertiser, code="format", note="Shorter, please")
    assert _figures(promoter, "works_approved", "works_rejected") == (0, 0)

    rejected = WorkFactory(
        deliverable=DeliverableFactory(status="submitted", promoter_campaign=revised.deliverable.promoter_campaign)
    )
    services.work_reject(work=rejected, actor=advertiser, code="brief")

    assert _figures(promoter, "works_approved", "works_rejected") == (0, 1)
