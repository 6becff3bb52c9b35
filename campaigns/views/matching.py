"""Pages for matching: a promoter's profile as advertisers see it, the suggested promoters of a
campaign, and invitations to apply."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import advertiser_required
from accounts.models import Role, User
from campaigns import invitations, matching
from campaigns.models import CampaignInvitation
from campaigns.profiles import promoter_profile_read
from campaigns.services import CampaignError
from campaigns.views.access import get_campaign_for_advertiser

SUGGESTIONS_SHOWN = 8


@require_GET
def promoter_profile(request, public_id):
    """Advertisers see any promoter's public profile (it is how they choose whom to invite); a
    promoter sees only their own."""
    user = request.user
    if user.role == Role.PROMOTER and str(user.public_id) != str(public_id):
        raise PermissionDenied("Promoters see their own profile only.")
    if user.role not in (Role.PROMOTER, Role.ADVERTISER) or not user.has_profile():
        return redirect("accounts:onboarding")
    return render(request, "campaigns/promoter_profile.html", {"page": promoter_profile_read(public_id, viewer=user)})


def _suggestions_context(campaign):
    open_to_promoters = campaign.is_open_for_applications or campaign.is_open_for_joining
    promoters = matching.promoters_best_match(campaign, limit=SUGGESTIONS_SHOWN) if open_to_promoters else []
    invited = set(
        CampaignInvitation.objects.filter(campaign=campaign, promoter__in=promoters).values_list(
            "promoter_id", flat=True
        )
    )
    return {"campaign": campaign, "suggested": promoters, "invited": invited, "open_to_promoters": open_to_promoters}


@advertiser_required
@require_GET
def suggested_promoters(request, public_id):
    """The campaign page loads this panel with HTMX after the page itself (ranking reads every
    promoter); without JavaScript the link opens it as a page."""
    campaign = get_campaign_for_advertiser(request.user, public_id)
    template = "campaigns/suggested_promoters.html"
    if request.htmx:
        template += "#suggestions"
    return render(request, template, _suggestions_context(campaign))


@advertiser_required
@require_POST
def campaign_invite(request, public_id):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    try:
        promoter_id = uuid.UUID(request.POST.get("promoter", ""))
    except ValueError:
        raise Http404 from None
    promoter = get_object_or_404(User, public_id=promoter_id, role=Role.PROMOTER)
    try:
        invitations.invitation_create(campaign=campaign, promoter=promoter, actor=request.user)
    except CampaignError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Invitation sent to {promoter.display_name}.")
    return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
