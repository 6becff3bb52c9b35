"""Taking part: participations with their tracking codes, milestones (deliverables) and submitted work."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaignplatform.constraints import amount_range_check, amounts_check, choice_check, coded_reason_check
from campaignplatform.reasons import reason_text
from campaigns.models.applications import CampaignApplication
from campaigns.models.campaign import MAX_BUDGET_CENTS, TRACKING_CODE_LENGTH, Campaign, CampaignType, http_url_validator
from campaigns.storage import private_storage


def new_tracking_code():
    # 10 characters of base32 (50 bits): unguessable enough for links, easy to read out loud.
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(TRACKING_CODE_LENGTH))


class ParticipationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class PromoterCampaign(models.Model):
    """A promoter taking part in a campaign: joined (Visibility/Salesman) or selected (Consultant/Seller).

    Billing fills `budget_held`/`spent_budget`; payouts fills `final_payout_amount` and
    `stripe_transfer_id`; tracking raises `views_generated`. All amounts are cents.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations")
    application = models.OneToOneField(
        CampaignApplication, on_delete=models.PROTECT, null=True, blank=True, related_name="participation"
    )
    status = models.CharField(max_length=20, choices=ParticipationStatus.choices, default=ParticipationStatus.ACTIVE)
    tracking_code = models.CharField(max_length=16, unique=True, default=new_tracking_code, editable=False)
    agreed_amount = models.BigIntegerField(null=True, blank=True, help_text="Cents; Consultant/Seller only.")
    budget_held = models.BigIntegerField(default=0)
    spent_budget = models.BigIntegerField(default=0)
    views_generated = models.BigIntegerField(default=0)
    final_payout_amount = models.BigIntegerField(null=True, blank=True)
    stripe_transfer_id = models.CharField(max_length=255, null=True, blank=True)  # NULL until paid
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "promoter_campaigns"
        ordering = ["-joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "promoter"], name="promoter_campaign_unique"),
            choice_check("status", ParticipationStatus, name="promoter_campaign_status_valid"),
            amounts_check(
                name="promoter_campaign_counters_non_negative",
                non_negative=("budget_held", "spent_budget", "views_generated"),
            ),
            amount_range_check(
                "agreed_amount", most=MAX_BUDGET_CENTS, name="promoter_campaign_agreed_amount_sane", null=True
            ),
            models.CheckConstraint(
                condition=Q(final_payout_amount__isnull=True) | Q(final_payout_amount__gte=0),
                name="promoter_campaign_final_payout_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.promoter} in {self.campaign}"

    @property
    def view_earnings_waiting_cents(self):
        """Visibility: what counted views have earned but the hourly accrual has not credited yet
        (floored on the cumulative count, as the accrual does)."""
        if self.campaign.campaign_type != CampaignType.VISIBILITY or not self.campaign.cpv:
            return 0
        return max(0, self.views_generated * self.campaign.cpv // 100 - self.spent_budget)


class DeliverableStatus(models.TextChoices):
    OPEN = "open", "Open"
    SUBMITTED = "submitted", "Submitted"
    REVISION_REQUESTED = "revision_requested", "Revision requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class CampaignDeliverable(models.Model):
    """A milestone the advertiser defines for the selected promoter; paid when its work is approved."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    promoter_campaign = models.ForeignKey(PromoterCampaign, on_delete=models.CASCADE, related_name="deliverables")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    amount = models.BigIntegerField(help_text="Cents, paid when approved.")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=DeliverableStatus.choices, default=DeliverableStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaign_deliverables"
        ordering = ["created_at", "id"]
        constraints = [
            amount_range_check("amount", most=MAX_BUDGET_CENTS, name="campaign_deliverable_amount_sane"),
            choice_check("status", DeliverableStatus, name="campaign_deliverable_status_valid"),
        ]

    def __str__(self):
        return self.title

    @property
    def accepts_submissions(self):
        return self.status in (DeliverableStatus.OPEN, DeliverableStatus.REVISION_REQUESTED)


class WorkStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    REVISION_REQUESTED = "revision_requested", "Revision requested"
    REJECTED = "rejected", "Rejected"


SENT_BACK_WORK_STATUSES = (WorkStatus.REVISION_REQUESTED, WorkStatus.REJECTED)


class WorkReviewReason(models.TextChoices):
    """Why the advertiser (or staff) sent work back for a revision or rejected it. Rules read
    the code; `review_comment` is their note for the promoter."""

    BRIEF = "brief", "Does not follow the brief"
    QUALITY = "quality", "Quality below what was agreed"
    INCOMPLETE = "incomplete", "Incomplete: parts are missing"
    FORMAT = "format", "Wrong format, size or platform"
    ACCESS = "access", "The link or file does not open"
    GUIDELINES = "guidelines", "Breaks brand or disclosure guidelines"
    LATE = "late", "Delivered too late"
    OTHER = "other", "Other"


def work_upload_to(work, filename):
    # The stored name never reuses the uploaded name: it is shown to people, not trusted on disk.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"works/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class CampaignWork(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    deliverable = models.ForeignKey(CampaignDeliverable, on_delete=models.CASCADE, related_name="works")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=10000, blank=True)
    link = models.URLField(max_length=500, blank=True, validators=[http_url_validator])
    file = models.FileField(storage=private_storage, upload_to=work_upload_to, max_length=255, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=WorkStatus.choices, default=WorkStatus.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    auto_approve_after = models.DateTimeField(help_text="Approved automatically if not reviewed by then.")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_reason_code = models.CharField(
        max_length=20,
        choices=WorkReviewReason.choices,
        blank=True,
        help_text="Why it was sent back or rejected; empty while waiting or once approved.",
    )
    review_comment = models.TextField(max_length=5000, blank=True, help_text="The reviewer's note, for people.")
    auto_approved = models.BooleanField(default=False)

    class Meta:
        db_table = "campaign_works"
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "auto_approve_after"], name="campaign_works_due_idx")]
        constraints = [
            choice_check("status", WorkStatus, name="campaign_work_status_valid"),
            models.CheckConstraint(condition=~Q(text="", link="", file=""), name="campaign_work_not_empty"),
            coded_reason_check(
                when={"status__in": SENT_BACK_WORK_STATUSES},
                code_field="review_reason_code",
                reasons=WorkReviewReason,
                name="campaign_work_sent_back_has_reason",
            ),
        ]

    def __str__(self):
        return f"Work on {self.deliverable}"

    @property
    def review_reason_text(self):
        """Why it was sent back or rejected, as people read it (the code's label and the note)."""
        return reason_text(WorkReviewReason, self.review_reason_code, self.review_comment)

    @staticmethod
    def auto_approve_date_from(submitted_at):
        return submitted_at + timedelta(days=settings.AUTO_APPROVE_DAYS)
