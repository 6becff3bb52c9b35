"""Campaigns: the four types, their terms and limits, their status lifecycle and its audit rows."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import SocialPlatform
from campaignplatform.constraints import choice_check

# A bit for each platform (Campaign.platform_bits).
PLATFORM_BITS = {platform: 1 << index for index, platform in enumerate(SocialPlatform.values)}

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


def _listed() -> Q:
    """What promoters see in the marketplace.

    Active Visibility/Salesman campaigns, and Consultant/Seller campaigns that have not selected
    a promoter yet, from "awaiting funding" on: those are funded with the *accepted* amount, so
    they must take applications before they can be funded and go live.
    """
    return Q(status=CampaignStatus.ACTIVE, campaign_type__in=JOINABLE_TYPES) | Q(
        status__in=[CampaignStatus.AWAITING_FUNDING, CampaignStatus.ACTIVE],
        campaign_type__in=APPLICATION_TYPES,
        has_selected_promoter=False,
    )


class CampaignQuerySet(models.QuerySet):
    def listed(self):
        """What promoters see in the marketplace (`_listed`)."""
        return self.filter(_listed())


# The terms an advertiser writes; everything else on a campaign is the platform's to set.
CAMPAIGN_TERMS = (
    "title",
    "description",
    "category",
    "target_url",
    "requirements",
    "platforms",
    "start_date",
    "end_date",
    "cpv",
    "max_views",
    "min_budget",
    "max_budget",
    "deliverables",
    "timeline",
    "commission_per_sale",
    "tracking_method",
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
    # The targeted platforms as bits (PLATFORM_BITS), for the best-match score: a bit test per
    # platform costs a fraction of a lookup in the array; the database keeps it.
    platform_bits = models.GeneratedField(
        expression=sum(
            (
                models.Case(models.When(platforms__contains=[platform], then=bit), default=0)
                for platform, bit in PLATFORM_BITS.items()
            ),
            start=models.Value(0),
        ),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    # Copies of the skills' and languages' ids for the best-match score (campaigns.ranking): the
    # database derives them from the link tables (campaigns/sql/campaign_matching_ids_v1.sql)
    # and recomputes them whenever a save names them, so Python never keeps them up to date.
    skill_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    language_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
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
            # The listed campaigns in the marketplace's "newest" order: counting a marketplace page
            # reads this index alone. Its condition is the one listed() filters on; were they to
            # differ, queries would only stop using it.
            models.Index(
                models.F("published_at").desc(nulls_last=True),
                models.F("id").desc(),
                condition=_listed(),
                name="campaigns_listed_newest_idx",
            ),
        ]
        constraints = [
            choice_check("campaign_type", CampaignType, name="campaigns_type_valid"),
            choice_check("status", CampaignStatus, name="campaigns_status_valid"),
            models.CheckConstraint(condition=Q(currency="usd"), name="campaigns_currency_usd"),
            models.CheckConstraint(
                condition=Q(platforms__contained_by=SocialPlatform.values), name="campaigns_platforms_valid"
            ),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaigns_end_after_start"),
            choice_check("tracking_method", TrackingMethod, name="campaigns_tracking_method_valid", blank=True),
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


class StatusReason(models.TextChoices):
    """Why a campaign's status changed. Rules read these codes; the `reason` text is only shown."""

    PERSON = "person", "Decided by the advertiser or staff"
    PUBLISHED = "published", "published"
    FUNDED = "funded", "funded"
    BUDGET_USED_UP = "budget_used_up", "budget used up"
    BUDGET_TOPPED_UP = "budget_topped_up", "budget topped up"
    BUDGET_RETURNED = "budget_returned", "budget returned by a refunded sale"
    PAYMENT_DISPUTED = "payment_disputed", "payment disputed"
    DISPUTE_WON = "dispute_won", "dispute won"
    VIEW_CAP_REACHED = "view_cap_reached", "view cap reached"
    END_DATE = "end_date", "end date passed"


class CampaignStatusChange(models.Model):
    """Audit row written by every status move. Never edited."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, help_text="Empty: the system."
    )
    created_at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=20, choices=CampaignStatus.choices)
    reason_code = models.CharField(max_length=30, choices=StatusReason.choices, default=StatusReason.PERSON)
    reason = models.CharField(
        max_length=500, blank=True, help_text="What people read: the code's label or their own words."
    )

    class Meta:
        db_table = "campaign_status_changes"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.campaign}: {self.from_status} -> {self.to_status}"
