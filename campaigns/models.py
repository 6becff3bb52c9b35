"""Campaigns (four types), applications and negotiation, participation, deliverables and work.

Money is integer cents in `currency` ("usd"). Funding and paying belong to billing and payouts;
they plug in through the services in `campaigns.services` (`campaign_activate`, `work_approve`, ...).
"""

import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import SocialPlatform
from campaigns.storage import private_storage

# Upper bounds: a typo ("30000000") must be refused cleanly, not overflow a sum later on.
MAX_CPV_CENTS = 100_000  # $1,000 per 100 views
MAX_VIEWS = 100_000_000
MAX_BUDGET_CENTS = 1_000_000_000  # $10,000,000
MAX_COMMISSION_PERCENT = Decimal("100")
TRACKING_CODE_LENGTH = 10
# Links shown to other people: http(s) only, never javascript:, data: or ftp:.
http_url_validator = URLValidator(schemes=["http", "https"])


class CampaignType(models.TextChoices):
    VISIBILITY = "visibility", "Visibility"
    CONSULTANT = "consultant", "Consultant"
    SELLER = "seller", "Seller"
    SALESMAN = "salesman", "Salesman"


# Types a promoter joins directly, and types they apply to (one promoter is selected).
JOINABLE_TYPES = (CampaignType.VISIBILITY, CampaignType.SALESMAN)
APPLICATION_TYPES = (CampaignType.CONSULTANT, CampaignType.SELLER)

TYPE_DESCRIPTIONS = {
    CampaignType.VISIBILITY: "Pay per 100 views, up to a maximum. Many promoters share tracking links.",
    CampaignType.CONSULTANT: "A project with a budget range. Promoters apply; you pick one and agree milestones.",
    CampaignType.SELLER: "Tangible deliverables (videos, articles, designs) within a budget range.",
    CampaignType.SALESMAN: "A commission on every verified sale, tracked by referral link or coupon code.",
}


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_FUNDING = "awaiting_funding", "Awaiting funding"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The only moves a campaign can make; `services._campaign_move` refuses anything else.
CAMPAIGN_TRANSITIONS = {
    CampaignStatus.DRAFT: {CampaignStatus.AWAITING_FUNDING, CampaignStatus.CANCELLED},
    CampaignStatus.AWAITING_FUNDING: {CampaignStatus.ACTIVE, CampaignStatus.CANCELLED},
    CampaignStatus.ACTIVE: {CampaignStatus.PAUSED, CampaignStatus.COMPLETED, CampaignStatus.CANCELLED},
    CampaignStatus.PAUSED: {CampaignStatus.ACTIVE, CampaignStatus.COMPLETED, CampaignStatus.CANCELLED},
    CampaignStatus.COMPLETED: set(),
    CampaignStatus.CANCELLED: set(),
}


class TrackingMethod(models.TextChoices):
    REFERRAL_LINK = "referral_link", "Referral link"
    COUPON_CODE = "coupon_code", "Coupon code"
    BOTH = "both", "Referral link and coupon code"


def _null(*fields):
    return Q(**{f"{name}__isnull": True for name in fields})


def _not_null(*fields):
    # Explicit, because a CHECK whose comparison meets NULL passes (NULL is not false).
    return Q(**{f"{name}__isnull": False for name in fields})


class CampaignQuerySet(models.QuerySet):
    def listed(self):
        """What promoters see in the marketplace.

        Active Visibility/Salesman campaigns, and Consultant/Seller campaigns that have not
        selected a promoter yet, from "awaiting funding" on: those are funded with the *accepted*
        amount, so they must take applications before they can be funded and go live.
        """
        return self.filter(
            Q(status=CampaignStatus.ACTIVE, campaign_type__in=JOINABLE_TYPES)
            | Q(
                status__in=[CampaignStatus.AWAITING_FUNDING, CampaignStatus.ACTIVE],
                campaign_type__in=APPLICATION_TYPES,
                has_selected_promoter=False,
            )
        )


class Campaign(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns")
    campaign_type = models.CharField(max_length=20, choices=CampaignType.choices)
    status = models.CharField(max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)

    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000)
    category = models.ForeignKey(
        "accounts.AdvertiserType", on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    target_url = models.URLField(
        max_length=500, validators=[http_url_validator], help_text="Where promoters send people (http or https)."
    )
    requirements = models.TextField(max_length=5000, blank=True)
    languages = models.ManyToManyField("accounts.Language", blank=True, related_name="campaigns")
    # What the campaign looks for in a promoter (matching): skills held and platforms reached.
    skills = models.ManyToManyField("accounts.Skill", blank=True, related_name="campaigns")
    platforms = ArrayField(
        models.CharField(max_length=20, choices=SocialPlatform.choices),
        default=list,
        blank=True,
        help_text="Platforms the campaign wants reach on; empty means any.",
    )
    start_date = models.DateField()
    end_date = models.DateField()
    currency = models.CharField(max_length=3, default="usd", editable=False)

    # Visibility
    cpv = models.BigIntegerField(null=True, blank=True, help_text="Cents per 100 views.")
    max_views = models.BigIntegerField(null=True, blank=True)
    # Views counted against max_views; tracking raises it with a conditional UPDATE
    # (`WHERE paid_views < max_views`), and the constraint below backs the cap.
    paid_views = models.BigIntegerField(default=0, editable=False)

    # Consultant / Seller
    min_budget = models.BigIntegerField(null=True, blank=True, help_text="Cents.")
    max_budget = models.BigIntegerField(null=True, blank=True, help_text="Cents.")
    deliverables = models.TextField(max_length=5000, blank=True)
    timeline = models.CharField(max_length=200, blank=True)
    # Set when an application is accepted (one promoter per Consultant/Seller campaign); keeps the
    # marketplace query a plain column filter.
    has_selected_promoter = models.BooleanField(default=False, editable=False)

    # Salesman
    commission_per_sale = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent of each sale."
    )
    tracking_method = models.CharField(max_length=20, choices=TrackingMethod.choices, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        db_table = "campaigns"
        permissions = [("suspend_campaign", "Can suspend (pause) a campaign")]
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "campaign_type"], name="campaigns_status_type_idx"),
            models.Index(fields=["advertiser", "-created_at"], name="campaigns_advertiser_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(campaign_type__in=CampaignType.values), name="campaigns_type_valid"),
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaigns_status_valid"),
            models.CheckConstraint(condition=Q(currency="usd"), name="campaigns_currency_usd"),
            models.CheckConstraint(
                condition=Q(platforms__contained_by=SocialPlatform.values), name="campaigns_platforms_valid"
            ),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaigns_end_after_start"),
            models.CheckConstraint(
                condition=Q(tracking_method__in=["", *TrackingMethod.values]), name="campaigns_tracking_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(paid_views__gte=0) & (Q(max_views__isnull=True) | Q(paid_views__lte=models.F("max_views"))),
                name="campaigns_paid_views_within_max",
            ),
            models.CheckConstraint(
                condition=~Q(campaign_type=CampaignType.VISIBILITY)
                | (
                    _not_null("cpv", "max_views")
                    & Q(cpv__gt=0, cpv__lte=MAX_CPV_CENTS, max_views__gt=0, max_views__lte=MAX_VIEWS)
                    & _null("min_budget", "max_budget", "commission_per_sale")
                    & Q(tracking_method="")
                ),
                name="campaigns_visibility_fields",
            ),
            models.CheckConstraint(
                condition=~Q(campaign_type__in=APPLICATION_TYPES)
                | (
                    _not_null("min_budget", "max_budget")
                    & Q(min_budget__gt=0, max_budget__lte=MAX_BUDGET_CENTS, min_budget__lte=models.F("max_budget"))
                    & _null("cpv", "max_views", "commission_per_sale")
                    & Q(tracking_method="")
                ),
                name="campaigns_budget_range_fields",
            ),
            models.CheckConstraint(
                condition=~Q(campaign_type=CampaignType.SALESMAN)
                | (
                    _not_null("commission_per_sale")
                    & Q(commission_per_sale__gt=0, commission_per_sale__lte=MAX_COMMISSION_PERCENT)
                    & Q(tracking_method__in=TrackingMethod.values)
                    & _null("cpv", "max_views", "min_budget", "max_budget")
                ),
                name="campaigns_salesman_fields",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_visibility(self):
        return self.campaign_type == CampaignType.VISIBILITY

    @property
    def is_salesman(self):
        return self.campaign_type == CampaignType.SALESMAN

    @property
    def takes_applications(self):
        return self.campaign_type in APPLICATION_TYPES

    @property
    def is_joinable_type(self):
        return self.campaign_type in JOINABLE_TYPES

    def funding_budget_cents(self):
        """Promoter budget a Visibility campaign must be funded with: cpv x max_views / 100, in cents.

        Billing adds the platform fee on top. Floor division: the promoter side never exceeds it.
        None for other types (Consultant/Seller fund the accepted amount; Salesman a chosen budget).
        """
        if not self.is_visibility or self.cpv is None or self.max_views is None:
            return None
        return self.cpv * self.max_views // 100

    def can_move_to(self, status):
        return status in CAMPAIGN_TRANSITIONS[CampaignStatus(self.status)]

    @property
    def is_editable(self):
        return self.status == CampaignStatus.DRAFT

    @property
    def is_ready_to_fund(self):
        """Awaiting funding and fundable now: Consultant/Seller only once an application is accepted."""
        return self.status == CampaignStatus.AWAITING_FUNDING and (
            not self.takes_applications or self.has_selected_promoter
        )

    @property
    def is_open_for_joining(self):
        return self.is_joinable_type and self.status == CampaignStatus.ACTIVE

    @property
    def is_open_for_applications(self):
        return (
            self.takes_applications
            and self.status in (CampaignStatus.AWAITING_FUNDING, CampaignStatus.ACTIVE)
            and not self.has_selected_promoter
        )

    @property
    def views_percent(self):
        if not self.max_views:
            return 0
        return min(100, self.paid_views * 100 // self.max_views)


class CampaignStatusChange(models.Model):
    """Audit row written by every status move. Never edited."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, help_text="Empty: the system."
    )
    created_at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "campaign_status_changes"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.campaign}: {self.from_status} -> {self.to_status}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the advertiser"
    COUNTERED = "countered", "Counter-offer: waiting for the promoter"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


OPEN_APPLICATION_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.COUNTERED)


class Party(models.TextChoices):
    ADVERTISER = "advertiser", "Advertiser"
    PROMOTER = "promoter", "Promoter"


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
    decision_reason = models.CharField(max_length=500, blank=True)
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
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="campaign_application_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(proposed_amount__gt=0, proposed_amount__lte=MAX_BUDGET_CENTS)
                & Q(current_amount__gt=0, current_amount__lte=MAX_BUDGET_CENTS),
                name="campaign_application_amounts_sane",
            ),
        ]

    def __str__(self):
        return f"{self.promoter} -> {self.campaign}"

    @property
    def is_open(self):
        return self.status in OPEN_APPLICATION_STATUSES

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
            models.CheckConstraint(condition=Q(kind__in=MessageKind.values), name="application_message_kind_valid"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0, amount__lte=MAX_BUDGET_CENTS),
                name="application_message_amount_sane",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.application_id}"


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
            models.CheckConstraint(
                condition=Q(status__in=ParticipationStatus.values), name="promoter_campaign_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(budget_held__gte=0, spent_budget__gte=0, views_generated__gte=0),
                name="promoter_campaign_counters_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(agreed_amount__isnull=True) | Q(agreed_amount__gt=0, agreed_amount__lte=MAX_BUDGET_CENTS),
                name="promoter_campaign_agreed_amount_sane",
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
            models.CheckConstraint(
                condition=Q(amount__gt=0, amount__lte=MAX_BUDGET_CENTS), name="campaign_deliverable_amount_sane"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliverableStatus.values), name="campaign_deliverable_status_valid"
            ),
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
    review_comment = models.TextField(max_length=5000, blank=True)
    auto_approved = models.BooleanField(default=False)

    class Meta:
        db_table = "campaign_works"
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "auto_approve_after"], name="campaign_works_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=WorkStatus.values), name="campaign_work_status_valid"),
            models.CheckConstraint(condition=~Q(text="", link="", file=""), name="campaign_work_not_empty"),
        ]

    def __str__(self):
        return f"Work on {self.deliverable}"

    @staticmethod
    def auto_approve_date_from(submitted_at):
        return submitted_at + timedelta(days=settings.AUTO_APPROVE_DAYS)


# --- Matching and pricing (issue 18) -----------------------------------------------------------


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
            models.CheckConstraint(condition=Q(status__in=InvitationStatus.values), name="campaign_invitation_status"),
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
            models.CheckConstraint(
                condition=Q(cents_per_thousand_followers__gt=0, cents_per_thousand_followers__lte=1_000_000),
                name="platform_reference_rate_sane",
            ),
        ]

    def __str__(self):
        return f"{self.platform}: {self.cents_per_thousand_followers} cents / 1k followers"
