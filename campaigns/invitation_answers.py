"""Applying or joining answers the promoter's invitation to that campaign, if there was one.

Apart from campaigns.invitations because campaigns.services calls it (and invitations uses
the services' errors)."""

from campaigns.models import CampaignInvitation, InvitationStatus


def invitation_answered(*, campaign, promoter, status: str) -> int:
    if status not in (InvitationStatus.APPLIED, InvitationStatus.JOINED):
        raise ValueError(status)
    return CampaignInvitation.objects.filter(campaign=campaign, promoter=promoter, status=InvitationStatus.SENT).update(
        status=status
    )
