"""Matching and pricing: invitations to apply, and the platforms' reference rates."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from campaignplatform.constraints import amount_range_check, choice_check
from campaigns.models.campaign import Campaign


class InvitationStatus(models.TextChoices):
    SENT = "sent", "Invited"
    APPLIED = "applied", "Applied"
    JOINED = "joined", "Joined"


class CampaignInvitation(models.Model):
    """An advertiser asking a promoter to apply to (or join) an open campaign; one per pair."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.SENT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "campaign_invitations"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "promoter"], name="campaign_invitation_once"),
            choice_check("status", InvitationStatus, name="campaign_invitation_status"),
        ]

    def __str__(self):
        return f"{self.promoter} invited to {self.campaign}"


class PlatformReferenceRate(models.Model):
    """What one sponsored piece of content is worth per 1,000 followers on a platform, in cents.

    Staff keep these current in admin; the apply form turns a promoter's audience into a
    suggested amount with them (see campaigns.pricing). Defaults: migration 0007.
    """

    platform = models.CharField(max_length=20, unique=True)
    cents_per_thousand_followers = models.PositiveIntegerField(
        help_text="Cents for one sponsored post, video or article per 1,000 followers."
    )
    note = models.CharField(max_length=300, blank=True, help_text="Where the figure comes from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "platform_reference_rates"
        ordering = ["platform"]
        constraints = [
            amount_range_check("cents_per_thousand_followers", most=1_000_000, name="platform_reference_rate_sane"),
        ]

    def __str__(self):
        return f"{self.platform}: {self.cents_per_thousand_followers} cents / 1k followers"
