"""Applications to Consultant and Seller campaigns, and the negotiation thread."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from campaignplatform.constraints import amount_range_check, choice_check, coded_reason_check
from campaignplatform.reasons import reason_text
from campaigns.models.campaign import MAX_BUDGET_CENTS, Campaign


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the advertiser"
    COUNTERED = "countered", "Counter-offer: waiting for the promoter"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


OPEN_APPLICATION_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.COUNTERED)
DECIDED_APPLICATION_STATUSES = (ApplicationStatus.REJECTED, ApplicationStatus.CLOSED)


class ApplicationDecisionReason(models.TextChoices):
    """Why an application was rejected (the advertiser picks one of REJECTION_REASONS) or closed
    (the platform). Rules read the code; `decision_reason` is only the advertiser's note."""

    PRICE = "price", "The price is more than the budget allows"
    FIT = "fit", "Not the right fit for this campaign"
    EXPERIENCE = "experience", "Not enough relevant experience or audience"
    PROPOSAL = "proposal", "The proposal needs more detail"
    TIMELINE = "timeline", "The timeline does not work"
    OTHER = "other", "Other"
    ANOTHER_PROMOTER_SELECTED = "another_promoter_selected", "Another promoter was selected"
    CAMPAIGN_ENDED = "campaign_ended", "The campaign has ended"
    CAMPAIGN_CANCELLED = "campaign_cancelled", "The campaign was cancelled"


# The reasons an advertiser may pick when rejecting; the others are the platform's.
APPLICATION_REJECTION_REASONS = (
    ApplicationDecisionReason.PRICE,
    ApplicationDecisionReason.FIT,
    ApplicationDecisionReason.EXPERIENCE,
    ApplicationDecisionReason.PROPOSAL,
    ApplicationDecisionReason.TIMELINE,
    ApplicationDecisionReason.OTHER,
)


# The two sides of a negotiation are the two roles: the campaign's advertiser and the promoter.
Party = Role


class CampaignApplication(models.Model):
    """A promoter's bid for a Consultant/Seller campaign, negotiated until one side accepts.

    Whose turn it is follows from the status: PENDING waits for the advertiser (the promoter
    made the last offer), COUNTERED waits for the promoter. Only the party whose turn it is can
    accept the offer on the table, so nobody accepts their own offer.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="applications")
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_applications"
    )
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    pitch = models.TextField(max_length=5000)
    proposed_amount = models.BigIntegerField(help_text="Cents; the promoter's first proposal.")
    current_amount = models.BigIntegerField(help_text="Cents; the offer on the table now.")
    decision_reason_code = models.CharField(
        max_length=30,
        choices=ApplicationDecisionReason.choices,
        blank=True,
        help_text="Why it was rejected or closed; empty while open, accepted or withdrawn.",
    )
    decision_reason = models.CharField(max_length=500, blank=True, help_text="The advertiser's note, for people.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "campaign_applications"
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "promoter"], name="campaign_application_one_per_promoter"),
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(status="accepted"),
                name="campaign_application_one_accepted",
            ),
            choice_check("status", ApplicationStatus, name="campaign_application_status_valid"),
            models.CheckConstraint(
                condition=Q(proposed_amount__gt=0, proposed_amount__lte=MAX_BUDGET_CENTS)
                & Q(current_amount__gt=0, current_amount__lte=MAX_BUDGET_CENTS),
                name="campaign_application_amounts_sane",
            ),
            coded_reason_check(
                when={"status__in": DECIDED_APPLICATION_STATUSES},
                code_field="decision_reason_code",
                reasons=ApplicationDecisionReason,
                name="campaign_application_decided_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.promoter} -> {self.campaign}"

    @property
    def is_open(self):
        return self.status in OPEN_APPLICATION_STATUSES

    @property
    def decision_reason_text(self):
        """Why it was rejected or closed, as people read it (the code's label and the note)."""
        return reason_text(ApplicationDecisionReason, self.decision_reason_code, self.decision_reason)

    @property
    def awaiting(self):
        """The party who must act next, or None once the application is settled."""
        if self.status == ApplicationStatus.PENDING:
            return Party.ADVERTISER
        if self.status == ApplicationStatus.COUNTERED:
            return Party.PROMOTER
        return None

    @property
    def advertiser_status_label(self):
        """The status as the advertiser reads it (the stored labels speak to the promoter)."""
        if self.status == ApplicationStatus.PENDING:
            return "Waiting for your answer"
        if self.status == ApplicationStatus.COUNTERED:
            return "Your counter-offer: waiting for the promoter"
        return self.get_status_display()

    def party_of(self, user):
        if user.pk == self.promoter_id:
            return Party.PROMOTER
        if user.pk == self.campaign.advertiser_id:
            return Party.ADVERTISER
        return None


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    OFFER = "offer", "Offer"
    SYSTEM = "system", "System"


class ApplicationMessage(models.Model):
    application = models.ForeignKey(CampaignApplication, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, help_text="Empty: the system."
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField(max_length=5000, blank=True)
    amount = models.BigIntegerField(null=True, blank=True, help_text="Cents, for offers.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "application_messages"
        ordering = ["created_at", "id"]
        constraints = [
            choice_check("kind", MessageKind, name="application_message_kind_valid"),
            amount_range_check("amount", most=MAX_BUDGET_CENTS, name="application_message_amount_sane", null=True),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.application_id}"
