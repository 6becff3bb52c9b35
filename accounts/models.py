"""Who uses the product: one `User` table for both roles, plus each role's profile."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.countries import COUNTRIES
from campaignplatform.constraints import amounts_check, choice_check


class Role(models.TextChoices):
    ADVERTISER = "advertiser", "Advertiser"
    PROMOTER = "promoter", "Promoter"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            # Firebase users sign in with Firebase, never with a Django password.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """The seed's `users`: identity (Firebase uid), role, and campaign statistics.

    `wallet_balance` is a cached projection of the promoter's ledger accounts, written only by
    the ledger's posting service and checked by `manage.py audit_ledger`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    firebase_uid = models.CharField(max_length=128, unique=True, null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    wallet_balance = models.BigIntegerField(default=0, editable=False, help_text="Cents; ledger projection.")
    campaigns_completed = models.PositiveIntegerField(default=0)
    campaigns_cancelled = models.PositiveIntegerField(default=0)
    # Track record (promoters), written only by accounts.performance, called by the services that
    # review work, verify sales and count views: read by matching, never recomputed per page.
    works_approved = models.PositiveIntegerField(default=0)
    works_approved_on_time = models.PositiveIntegerField(default=0)
    works_rejected = models.PositiveIntegerField(default=0)
    sales_verified = models.PositiveIntegerField(default=0)
    sales_rejected = models.PositiveIntegerField(default=0)
    link_requests = models.BigIntegerField(default=0, help_text="Every request of the promoter's links.")
    link_real_views = models.BigIntegerField(default=0, help_text="Requests counted as real (unique) views.")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        db_table = "users"
        indexes = [
            # Track records whose parts exceed their wholes (more works on time than reviewed,
            # more real views than requests): none while the services keep the figures, but
            # ranking promoters (campaigns.ranking) must find any at once, as it cannot bound
            # their track points.
            models.Index(
                fields=["id"],
                condition=Q(works_approved_on_time__gt=F("works_approved") + F("works_rejected"))
                | Q(link_real_views__gt=F("link_requests"))
                | Q(link_requests__lt=0),
                name="users_track_over_whole",
            ),
        ]
        constraints = [
            choice_check("role", Role, name="users_role_valid", blank=True),
            amounts_check(name="users_wallet_balance_non_negative", non_negative=("wallet_balance",)),
            # An empty string would collide with other empty strings; "no uid" is NULL.
            models.CheckConstraint(condition=~Q(firebase_uid=""), name="users_firebase_uid_not_blank"),
        ]

    def __str__(self):
        return self.email

    @property
    def display_name(self):
        """The name other people see: a promoter's public name or an advertiser's company, then
        the person's name, and only then the email's local part (which reads like a username)."""
        profile_name = ""
        if self.role == Role.PROMOTER:
            details = getattr(self, "promoter_details", None)  # missing profile: RelatedObjectDoesNotExist
            profile_name = details.display_name if details else ""
        elif self.role == Role.ADVERTISER:
            details = getattr(self, "advertiser_details", None)
            profile_name = details.company_name if details else ""
        return profile_name or self.full_name or self.email.split("@")[0]

    @property
    def is_advertiser(self):
        return self.role == Role.ADVERTISER

    @property
    def is_promoter(self):
        return self.role == Role.PROMOTER

    @property
    def completion_rate(self):
        """Share of finished campaigns that completed rather than being cancelled (0-100)."""
        finished = self.campaigns_completed + self.campaigns_cancelled
        return round(100 * self.campaigns_completed / finished) if finished else None

    @property
    def works_reviewed(self):
        return self.works_approved + self.works_rejected

    @property
    def sales_decided(self):
        return self.sales_verified + self.sales_rejected

    def has_profile(self):
        if self.is_advertiser:
            return hasattr(self, "advertiser_details")
        if self.is_promoter:
            return hasattr(self, "promoter_details")
        return False


class SlugCatalogue(models.Model):
    """A list staff keep in admin, named for people and slugged for URLs and fixtures."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class AdvertiserType(SlugCatalogue):
    """A business category an advertiser can belong to (retail, software, ...)."""

    class Meta(SlugCatalogue.Meta):
        db_table = "advertiser_types"


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class AdvertiserDetails(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="advertiser_details")
    company_name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True, max_length=2000)
    verification_status = models.CharField(
        max_length=20, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verification_note = models.CharField(max_length=500, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    business_types = models.ManyToManyField(
        AdvertiserType, through="AdvertiserTypeMapping", related_name="advertisers", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "advertiser_details"
        permissions = [("verify_advertiser", "Can verify or reject advertisers")]
        verbose_name_plural = "advertiser details"
        constraints = [
            choice_check("verification_status", VerificationStatus, name="advertiser_details_status_valid"),
            models.CheckConstraint(
                condition=Q(verification_status="verified", verified_at__isnull=False)
                | ~Q(verification_status="verified"),
                name="advertiser_details_verified_has_date",
            ),
        ]

    def __str__(self):
        return self.company_name


class AdvertiserTypeMapping(models.Model):
    advertiser = models.ForeignKey(AdvertiserDetails, on_delete=models.CASCADE)
    advertiser_type = models.ForeignKey(AdvertiserType, on_delete=models.PROTECT)

    class Meta:
        db_table = "advertiser_type_mappings"
        constraints = [
            models.UniqueConstraint(fields=["advertiser", "advertiser_type"], name="advertiser_type_mapping_unique"),
        ]

    def __str__(self):
        return f"{self.advertiser} · {self.advertiser_type}"


class AgeRange(models.TextChoices):
    UNDER_25 = "18-24", "18-24"
    FROM_25 = "25-34", "25-34"
    FROM_35 = "35-44", "35-44"
    FROM_45 = "45-54", "45-54"
    OVER_55 = "55+", "55+"


class PromoterDetails(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="promoter_details")
    display_name = models.CharField(max_length=80)
    bio = models.TextField(blank=True, max_length=2000)
    country = models.CharField(max_length=2, choices=COUNTRIES)
    city = models.CharField(max_length=100, blank=True)
    age_range = models.CharField(max_length=10, choices=AgeRange.choices, blank=True)
    audience_description = models.CharField(
        max_length=300, blank=True, help_text="Who follows you: ages, interests, regions."
    )
    languages = models.ManyToManyField("Language", through="PromoterLanguage", related_name="promoters", blank=True)
    skills = models.ManyToManyField("Skill", through="PromoterSkill", related_name="promoters", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "promoter_details"
        verbose_name_plural = "promoter details"
        constraints = [
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="promoter_details_country_iso2"),
            choice_check("age_range", AgeRange, name="promoter_age_range_valid", blank=True),
        ]

    def __str__(self):
        return self.display_name

    @property
    def total_followers(self):
        return sum(estimate.followers for estimate in self.follower_estimates.all())


class Language(models.Model):
    code = models.CharField(max_length=8, unique=True, help_text="ISO 639-1 code, e.g. en.")
    name = models.CharField(max_length=60)

    class Meta:
        db_table = "languages"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Proficiency(models.TextChoices):
    NATIVE = "native", "Native"
    FLUENT = "fluent", "Fluent"
    CONVERSATIONAL = "conversational", "Conversational"


class PromoterLanguage(models.Model):
    promoter = models.ForeignKey(PromoterDetails, on_delete=models.CASCADE, related_name="language_links")
    # Indexed with the promoter (below), so "who speaks one of these" reads the index alone.
    language = models.ForeignKey(Language, on_delete=models.PROTECT, db_index=False)
    proficiency = models.CharField(max_length=20, choices=Proficiency.choices, default=Proficiency.FLUENT)

    class Meta:
        db_table = "promoter_languages"
        constraints = [
            models.UniqueConstraint(fields=["promoter", "language"], name="promoter_language_unique"),
        ]
        indexes = [models.Index(fields=["language", "promoter"], name="promoter_languages_by_language")]

    def __str__(self):
        return f"{self.language} ({self.get_proficiency_display()})"


class Skill(SlugCatalogue):
    """Something a promoter is good at (video production, copywriting, ...)."""

    class Meta(SlugCatalogue.Meta):
        db_table = "skills"


class PromoterSkill(models.Model):
    promoter = models.ForeignKey(PromoterDetails, on_delete=models.CASCADE, related_name="skill_links")
    # Indexed with the promoter (below), so "who holds one of these" reads the index alone.
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, db_index=False)
    years_experience = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(60)])

    class Meta:
        db_table = "promoter_skills"
        constraints = [
            models.UniqueConstraint(fields=["promoter", "skill"], name="promoter_skill_unique"),
            models.CheckConstraint(condition=Q(years_experience__lte=60), name="promoter_skill_years_sane"),
        ]
        indexes = [models.Index(fields=["skill", "promoter"], name="promoter_skills_by_skill")]

    def __str__(self):
        return str(self.skill)


class SocialPlatform(models.TextChoices):
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    X = "x", "X (Twitter)"
    FACEBOOK = "facebook", "Facebook"
    LINKEDIN = "linkedin", "LinkedIn"
    TWITCH = "twitch", "Twitch"
    BLOG = "blog", "Blog / website"


class FollowerEstimate(models.Model):
    """Audience size per platform, used to match promoters to campaigns and judge rates."""

    promoter = models.ForeignKey(PromoterDetails, on_delete=models.CASCADE, related_name="follower_estimates")
    platform = models.CharField(max_length=20, choices=SocialPlatform.choices)
    handle = models.CharField(max_length=100, blank=True)
    followers = models.BigIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10_000_000_000)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "follower_estimates"
        ordering = ["-followers"]
        constraints = [
            models.UniqueConstraint(fields=["promoter", "platform"], name="follower_estimate_one_per_platform"),
            amounts_check(name="follower_estimate_non_negative", non_negative=("followers",)),
            choice_check("platform", SocialPlatform, name="follower_platform_valid"),
        ]

    def __str__(self):
        return f"{self.get_platform_display()}: {self.followers:,}"


class NotificationKind(models.TextChoices):
    """What a notification is about: `Notification.kind` holds one of these values.

    Deliberately not the field's `choices`: they would add no database check, only a migration
    each time an app gains a kind, and a kind is a label for filtering and display.
    """

    APPLICATION_RECEIVED = "application_received", "Application received"
    CAMPAIGN_INVITATION = "campaign_invitation", "Invitation to a campaign"
    APPLICATION_ACCEPTED = "application_accepted", "Application accepted"
    APPLICATION_REJECTED = "application_rejected", "Application rejected"
    APPLICATION_COUNTERED = "application_countered", "Counter-offer"
    WORK_SUBMITTED = "work_submitted", "Work submitted"
    WORK_APPROVED = "work_approved", "Work approved"
    WORK_REVISION_REQUESTED = "work_revision_requested", "Revision requested"
    WORK_REJECTED = "work_rejected", "Work rejected"
    CAMPAIGN_FUNDED = "campaign_funded", "Campaign funded"
    CAMPAIGN_PAUSED = "campaign_paused", "Campaign paused"
    PAYMENT_DISPUTED = "payment_disputed", "Payment disputed"
    CAMPAIGN_RESUMED = "campaign_resumed", "Campaign resumed"
    CAMPAIGN_COMPLETED = "campaign_completed", "Campaign completed"
    CAMPAIGN_CANCELLED = "campaign_cancelled", "Campaign cancelled"
    SALE_VERIFIED = "sale_verified", "Sale verified"
    SALE_REJECTED = "sale_rejected", "Sale rejected"
    REFUND_ISSUED = "refund_issued", "Refund issued"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    PAYOUT_SENT = "payout_sent", "Payout sent"
    PAYOUT_FAILED = "payout_failed", "Payout failed"
    ONBOARDING_INCOMPLETE = "onboarding_incomplete", "Onboarding incomplete"


class Notification(models.Model):
    """One thing a user should know about, shown in the app and sent by email once.

    `event_key` names the event (e.g. "application-accepted-42"), so telling someone about
    the same event twice (a retried task, a replayed webhook) stores and sends it once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    event_key = models.CharField(max_length=200)
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=2000)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_key"], name="notification_once_per_event"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return f"{self.title} → {self.user}"


class StaffAction(models.Model):
    """What a staff member did to money or a hold in admin: who, when, why, to what, and how it
    ended. Append-only: written by `accounts.services.staff_action_record`, read-only in admin,
    and on PostgreSQL the table refuses UPDATE and DELETE (migration staff_action_append_only)."""

    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="staff_actions")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=100, help_text="app.permission the action needed, e.g. billing.retry_refund")
    target_type = models.CharField(max_length=100, help_text="app_label.model of the row acted on")
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300)
    reason = models.TextField()
    outcome = models.TextField(blank=True)

    class Meta:
        db_table = "staff_actions"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="staff_action_target_idx")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"


class AbuseCounter(models.Model):
    """Attempts per (scope, key) in a fixed time window; see accounts/limits.py."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64, help_text="A keyed hash of the IP, account or API key, never the value.")
    window_number = models.BigIntegerField(help_text="Seconds since the epoch // the window's length.")
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "abuse_counters"
        constraints = [models.UniqueConstraint(fields=["scope", "key", "window_number"], name="abuse_counter_unique")]

    def __str__(self):
        return f"{self.scope} {self.key[:8]} @ {self.window_number}: {self.count}"
