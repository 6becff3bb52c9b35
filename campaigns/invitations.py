"""Advertisers inviting promoters to apply to (or join) an open campaign.

Only the campaign's advertiser invites, only while the campaign takes promoters, once per
promoter; the promoter is told through accounts' notifications and sees the invitation on the
campaign's page. Applying or joining marks the invitation answered (campaigns.invitation_answers).
"""

from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import NotificationKind, Role
from accounts.notifications import notify
from campaigns.models import Campaign, CampaignInvitation
from campaigns.services import CampaignError, CampaignNotOpen, NotAllowed


class AlreadyInvited(CampaignError):
    pass


def _is_open(campaign: Campaign) -> bool:
    return campaign.is_open_for_applications or campaign.is_open_for_joining


def invitation_create(*, campaign: Campaign, promoter, actor) -> CampaignInvitation:
    if actor.pk != campaign.advertiser_id:
        raise NotAllowed("Only the campaign's advertiser can invite promoters to it.")
    if promoter.role != Role.PROMOTER or not promoter.is_active:
        raise CampaignError("Only active promoters can be invited.")
    name = promoter.display_name
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not _is_open(locked):
            raise CampaignNotOpen("Only a campaign that is open to promoters can send invitations.")
        if (
            locked.participants.filter(promoter=promoter).exists()
            or locked.applications.filter(promoter=promoter).exists()
        ):
            raise AlreadyInvited(f"{name} already applied to or joined this campaign.")
        try:
            with transaction.atomic():
                invitation = CampaignInvitation.objects.create(campaign=locked, promoter=promoter, invited_by=actor)
        except IntegrityError:
            raise AlreadyInvited(f"You already invited {name} to this campaign.") from None
        _invited_notify(invitation, locked)
    return invitation


def _invited_notify(invitation: CampaignInvitation, campaign: Campaign) -> None:
    company = campaign.advertiser.display_name
    verb = "apply to" if campaign.takes_applications else "join"
    notify(
        user=invitation.promoter,
        kind=NotificationKind.CAMPAIGN_INVITATION,
        title=f"{company} invites you to {verb} “{campaign.title}”",
        body=f"{company} thinks you fit this campaign. Open it to see the terms and {verb} it.",
        url=reverse("campaigns:promoter_detail", args=[campaign.public_id]),
        event_key=f"campaign-invitation-{invitation.pk}",
    )
