"""Tracking: views for Visibility campaigns, sales for Salesman campaigns, and the conversion API.

The redirect (`/v/<code>`) is the hot path. It writes to four small tables at most: the per-IP
rate-limit window, `unique_views` (dedupe), the campaign's `paid_views` cap counter and the
participation's `views_generated`, and one `view_stats` row per participation per day. It never
writes ledger rows: the hourly accrual (`services.views_accrue`) turns paid views into money.

Visitors are identified only by an HMAC of IP + user agent under a salt that rotates daily, so
no raw IP address is ever stored.
"""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaignplatform.constraints import amount_range_check, amounts_check, choice_check, coded_reason_check
from campaignplatform.reasons import reason_text
from campaigns.models import MAX_BUDGET_CENTS

MAX_SALE_CENTS = MAX_BUDGET_CENTS  # $10,000,000: a typo must be refused, not overflow a sum
COUPON_CODE_MAX_LENGTH = 32
ORDER_ID_MAX_LENGTH = 100
# No sale is older than the platform; the floor also keeps far-past offsets (0001-01-01+01:00)
# away from UTC conversions, which overflow there.
EARLIEST_SALE = datetime(2000, 1, 1, tzinfo=UTC)
API_KEY_PREFIX = "cpk_"


class RejectReason(models.TextChoices):
    """Why a request to a tracking link was not a paid view (one `view_stats` column each)."""

    PREFETCH = "prefetch", "HEAD or prefetch"
    BOT = "bot", "Bot or link preview"
    INACTIVE = "inactive", "Campaign not active"
    SELF = "self", "Promoter's own click"
    RATE_LIMIT = "rate_limit", "Rate limited"
    DUPLICATE = "duplicate", "Repeat visitor (24 h)"
    CAP = "cap", "View cap reached"


class UniqueView(models.Model):
    """One row per visitor per participation per UTC day: the dedupe key.

    `visitor_hash` is HMAC(daily salt, IP + user agent), truncated to 128 bits; the salt changes
    every UTC day, so yesterday's rows cannot be linked to today's visitor. Only the de-duplication
    needs these rows: days older than TRACKING_UNIQUE_VIEWS_KEEP_DAYS are dropped (view_stats keeps
    the totals).
    """

    # No index of its own: the unique constraint below starts with it (one index less to update
    # on every counted click).
    participation = models.ForeignKey(
        "campaigns.PromoterCampaign", on_delete=models.CASCADE, related_name="unique_views", db_index=False
    )
    day = models.DateField()
    visitor_hash = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Partitioned by day in the database (migration 0003, tracking/partitions.py): the primary
        # key there is (id, day); `id` alone stays unique.
        db_table = "unique_views"
        constraints = [
            models.UniqueConstraint(fields=["participation", "day", "visitor_hash"], name="unique_view_once_a_day")
        ]

    def __str__(self):
        return f"{self.participation_id} {self.day} {self.visitor_hash[:8]}"


class ViewStat(models.Model):
    """Daily counters per participation, upserted with increments per batch of clicks by the
    counting function (`tracking/sql/views_count_v1.sql`)."""

    participation = models.ForeignKey("campaigns.PromoterCampaign", on_delete=models.CASCADE, related_name="view_stats")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="view_stats")
    day = models.DateField()
    requests = models.BigIntegerField(default=0, help_text="Every GET or HEAD of the link.")
    unique_views = models.BigIntegerField(default=0, help_text="First view of a visitor that day.")
    paid_views = models.BigIntegerField(default=0, help_text="Counted against the campaign's max views.")
    rejected_prefetch = models.BigIntegerField(default=0)
    rejected_bot = models.BigIntegerField(default=0)
    rejected_inactive = models.BigIntegerField(default=0)
    rejected_self = models.BigIntegerField(default=0)
    rejected_rate_limit = models.BigIntegerField(default=0)
    rejected_duplicate = models.BigIntegerField(default=0)
    rejected_cap = models.BigIntegerField(default=0)

    class Meta:
        db_table = "view_stats"
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "day"], name="view_stat_one_per_day"),
            models.CheckConstraint(
                condition=Q(requests__gte=0, unique_views__gte=0, paid_views__gte=0)
                & Q(paid_views__lte=models.F("unique_views")),
                name="view_stat_counts_sane",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "day"], name="view_stats_campaign_day_idx")]

    def __str__(self):
        return f"{self.participation_id} {self.day}: {self.paid_views} paid"

    REJECT_FIELDS = {reason: f"rejected_{reason}" for reason in RejectReason.values}

    @property
    def rejected(self):
        return sum(getattr(self, name) for name in self.REJECT_FIELDS.values())

    def rejected_by_reason(self):
        return [(RejectReason(reason).label, getattr(self, name)) for reason, name in self.REJECT_FIELDS.items()]


class CampaignViewDay(models.Model):
    """A campaign's daily totals of its participations' `view_stats`: what the advertiser's
    dashboard charts, read in a few dozen rows however many promoters and days there are.

    Kept by statement triggers on view_stats (`tracking/sql/campaign_view_days_v1.sql`), in the
    same transaction as the rows they add up, so it always equals their sum; never written here.
    """

    # No index of its own: the unique (campaign, day) serves every lookup by campaign.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="view_days", db_index=False
    )
    day = models.DateField()
    requests = models.BigIntegerField(default=0)
    unique_views = models.BigIntegerField(default=0)
    paid_views = models.BigIntegerField(default=0)

    class Meta:
        db_table = "campaign_view_days"
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="campaign_view_day_once")]

    def __str__(self):
        return f"{self.campaign_id} {self.day}: {self.paid_views} paid"


class RateLimitWindow(models.Model):
    """Requests per (hashed) client IP per minute; old windows are deleted by a schedule."""

    ip_key = models.CharField(max_length=32, help_text="HMAC of the client IP under the daily salt.")
    minute = models.BigIntegerField(help_text="Minutes since the epoch (UTC).")
    count = models.IntegerField(default=0)

    class Meta:
        db_table = "tracking_rate_limits"
        # Minute first: the one index serves both the counting's upsert and the pruning of old
        # minutes, and every click of a busy minute lands at its right edge (one index less for
        # each click to maintain, and fewer pages touched).
        constraints = [models.UniqueConstraint(fields=["minute", "ip_key"], name="rate_limit_window_unique")]

    def __str__(self):
        return f"{self.ip_key[:8]} @ {self.minute}: {self.count}"


class ViewAccrual(models.Model):
    """What the ledger already holds for a participation's paid views.

    `accrued_cents` always equals the sum of this participation's `view-accrual-*` postings to the
    promoter (a `projection_check` in tracking/audit.py proves it); it changes only in the same
    transaction as the posting.
    """

    participation = models.OneToOneField(
        "campaigns.PromoterCampaign", on_delete=models.PROTECT, primary_key=True, related_name="view_accrual"
    )
    accrued_views = models.BigIntegerField(default=0, help_text="Paid views the accrued cents cover.")
    accrued_cents = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "view_accruals"
        constraints = [amounts_check(name="view_accrual_non_negative", non_negative=("accrued_views", "accrued_cents"))]

    def __str__(self):
        return f"{self.participation_id}: {self.accrued_cents} cents for {self.accrued_views} views"


class CouponCode(models.Model):
    """A promoter's coupon for a Salesman campaign that tracks sales by coupon; unique per campaign."""

    participation = models.OneToOneField("campaigns.PromoterCampaign", on_delete=models.CASCADE, related_name="coupon")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="coupon_codes")
    code = models.CharField(max_length=COUPON_CODE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "coupon_codes"
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="coupon_code_unique_in_campaign")]

    def __str__(self):
        return self.code


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """An advertiser's key for the conversion API. Only its sha256 is stored; the key is shown once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_keys"
        permissions = [
            ("revoke_api_key", "Can revoke an advertiser's API key"),
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    @staticmethod
    def generate() -> str:
        return API_KEY_PREFIX + secrets.token_urlsafe(32)


class SaleSource(models.TextChoices):
    API = "api", "Conversion API"
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV import"


class SaleStatus(models.TextChoices):
    PENDING = "pending", "Waiting for verification"
    VERIFIED = "verified", "Verified, commission credited"
    AWAITING_BUDGET = "awaiting_budget", "Verified, waiting for budget"
    REJECTED = "rejected", "Rejected"
    REFUNDED = "refunded", "Refunded"


class SaleRejectionReason(models.TextChoices):
    """Why the advertiser rejected a sale. Rules read the code; `decision_reason` is their note."""

    ORDER_CANCELLED = "order_cancelled", "Order cancelled before it was fulfilled"
    PAYMENT_FAILED = "payment_failed", "The customer's payment failed"
    DUPLICATE = "duplicate", "Duplicate of another order"
    NOT_REFERRED = "not_referred", "Not referred by this promoter"
    TEST_ORDER = "test_order", "Test or internal order"
    FRAUD = "fraud", "Suspected fraud"
    OTHER = "other", "Other"


SALE_TRANSITIONS = {
    SaleStatus.PENDING: {SaleStatus.VERIFIED, SaleStatus.AWAITING_BUDGET, SaleStatus.REJECTED, SaleStatus.REFUNDED},
    SaleStatus.AWAITING_BUDGET: {SaleStatus.VERIFIED, SaleStatus.REFUNDED},
    SaleStatus.VERIFIED: {SaleStatus.REFUNDED},
    SaleStatus.REJECTED: set(),
    SaleStatus.REFUNDED: set(),
}


class SaleRecord(models.Model):
    """The seed's `sales_records`: one sale a promoter generated, counted once per (campaign, order id)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="sales")
    participation = models.ForeignKey("campaigns.PromoterCampaign", on_delete=models.PROTECT, related_name="sales")
    order_id = models.CharField(max_length=ORDER_ID_MAX_LENGTH)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=SaleSource.choices)
    ref_code = models.CharField(max_length=16, blank=True, help_text="Referral code the sale came with.")
    coupon_code = models.CharField(max_length=COUPON_CODE_MAX_LENGTH, blank=True)
    # sha256 of the fields that define the sale: a replay with the same order id must match it.
    fingerprint = models.CharField(max_length=64, editable=False)
    status = models.CharField(max_length=20, choices=SaleStatus.choices, default=SaleStatus.PENDING)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent, fixed at recording.")
    commission_cents = models.BigIntegerField(default=0, help_text="floor(amount x rate / 100).")
    commission_fee_cents = models.BigIntegerField(default=0, help_text="Platform fee recognised with it.")
    commission_posted = models.BooleanField(default=False, help_text="The commission is in the ledger.")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    auto_verified = models.BooleanField(default=False)
    credited_at = models.DateTimeField(null=True, blank=True)
    decision_reason_code = models.CharField(
        max_length=20,
        choices=SaleRejectionReason.choices,
        blank=True,
        help_text="Why it was rejected; empty unless rejected.",
    )
    decision_reason = models.CharField(max_length=500, blank=True, help_text="The advertiser's note, for people.")
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "sales_records"
        permissions = [
            ("verify_sale", "Can verify pending sales (credits commission)"),
            ("pay_awaiting_commission", "Can pay commissions waiting for budget"),
        ]
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order_id"], name="sale_once_per_order"),
            amount_range_check("amount_cents", most=MAX_SALE_CENTS, name="sale_amount_sane"),
            choice_check("status", SaleStatus, name="sale_status_valid"),
            amounts_check(
                name="sale_commission_non_negative", non_negative=("commission_cents", "commission_fee_cents")
            ),
            coded_reason_check(
                when={"status": SaleStatus.REJECTED},
                code_field="decision_reason_code",
                reasons=SaleRejectionReason,
                name="sale_rejected_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="sales_status_created_idx"),
            models.Index(fields=["campaign", "status"], name="sales_campaign_status_idx"),
        ]

    def __str__(self):
        return f"{self.order_id} ({self.get_status_display()})"

    def can_move_to(self, status):
        return status in SALE_TRANSITIONS[SaleStatus(self.status)]

    @property
    def decision_reason_text(self):
        """Why it was rejected, as people read it (the code's label and the note)."""
        return reason_text(SaleRejectionReason, self.decision_reason_code, self.decision_reason)

    @property
    def attributed_by(self):
        return "coupon" if self.coupon_code else "referral link"


class SaleStatusChange(models.Model):
    """Audit row for every sale status move: who (None = the system), when, from, to."""

    sale = models.ForeignKey(SaleRecord, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=SaleStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=SaleStatus.choices)
    # What people read in the audit trail (no rule reads it): how the sale moved, or the
    # rejection's reason text; the rejection's code is on the sale.
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "sale_status_changes"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.sale_id}: {self.from_status or '-'} -> {self.to_status}"


class CommissionDeduction(models.Model):
    """A refunded sale whose commission had already left the promoter's pending earnings.

    Payouts applies it against the promoter's next earnings and sets `applied_at`.
    """

    sale = models.OneToOneField(SaleRecord, on_delete=models.PROTECT, related_name="deduction")
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commission_deductions"
    )
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    fee_cents = models.BigIntegerField(default=0, help_text="Fee share to give back to the campaign.")
    currency = models.CharField(max_length=3, default="usd")
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "commission_deductions"
        ordering = ["created_at", "id"]
        constraints = [
            amounts_check(name="deduction_amount_positive", positive=("amount_cents",), non_negative=("fee_cents",))
        ]
        indexes = [models.Index(fields=["promoter", "applied_at"], name="deductions_open_idx")]

    def __str__(self):
        return f"{self.amount_cents} from {self.promoter} for {self.sale_id}"


class ViewBatch(models.Model):
    """A batch of clicks the redirect's writer counted, by the id it gave the batch: committed in
    the batch's own transaction, so after a lost connection the writer can tell whether the batch
    was written (tracking/writer.py). Kept a day."""

    id = models.UUIDField(primary_key=True)
    written_at = models.DateTimeField()

    class Meta:
        db_table = "tracking_view_batches"
        indexes = [models.Index(fields=["written_at"], name="view_batches_written_at_idx")]

    def __str__(self):
        return f"batch {self.id} at {self.written_at:%Y-%m-%d %H:%M:%S}"
