"""Who may see what: permission-scoped getters (the row, or 404: never a hint that it exists) and page sizes."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from campaigns.models import (
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignWork,
    PromoterCampaign,
)

MARKETPLACE_PAGE_SIZE = 12
MAX_FORM_OVERHEAD_BYTES = 64 * 1024
LIST_PAGE_SIZE = 20
ADVERTISER_TABS = [
    ("overview", "Overview"),
    ("participants", "Participants"),
    ("applications", "Applications"),
    ("work", "Deliverables & work"),
]
APPLICATION_ONLY_TABS = {"applications", "work"}


def get_campaign_for_advertiser(user, public_id) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("category"), public_id=public_id, advertiser=user)


def get_campaign_for_promoter(user, public_id) -> Campaign:
    """A campaign a promoter may look at: listed in the marketplace, or one they joined or applied to."""
    campaign = get_object_or_404(
        Campaign.objects.select_related("category", "advertiser__advertiser_details"), public_id=public_id
    )
    if campaign.status == CampaignStatus.DRAFT:
        raise Http404
    listed = Campaign.objects.listed().filter(pk=campaign.pk).exists()
    involved = (
        campaign.participants.filter(promoter=user).exists() or campaign.applications.filter(promoter=user).exists()
    )
    if not (listed or involved):
        raise Http404
    return campaign


def get_application_for_user(user, public_id) -> CampaignApplication:
    return get_object_or_404(
        CampaignApplication.objects.select_related("campaign", "promoter__promoter_details"),
        Q(promoter=user) | Q(campaign__advertiser=user),
        public_id=public_id,
    )


def get_participation_for_user(user, public_id) -> PromoterCampaign:
    return get_object_or_404(
        PromoterCampaign.objects.select_related("campaign", "promoter__promoter_details"),
        Q(promoter=user) | Q(campaign__advertiser=user),
        public_id=public_id,
    )


def get_work_for_user(user, public_id) -> CampaignWork:
    works = CampaignWork.objects.select_related("deliverable__promoter_campaign__campaign")
    if not user.is_staff:
        works = works.filter(
            Q(deliverable__promoter_campaign__promoter=user)
            | Q(deliverable__promoter_campaign__campaign__advertiser=user)
        )
    return get_object_or_404(works, public_id=public_id)


def error_message(request, error):
    messages.error(request, str(error))
