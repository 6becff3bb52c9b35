from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import performance, services
from accounts.admin_actions import PermissionedActionsMixin, ReadOnlyAdmin, staff_action
from accounts.models import (
    AdvertiserDetails,
    AdvertiserType,
    FollowerEstimate,
    Language,
    PromoterDetails,
    PromoterLanguage,
    PromoterSkill,
    Skill,
    StaffAction,
    User,
    VerificationStatus,
)
from campaignplatform.money import dollars


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "full_name", "role", "is_active", "is_staff", "wallet_balance_display", "date_joined"]
    list_filter = ["role", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name", "firebase_uid", "public_id"]
    # The track record is written by accounts.performance only (the services keep it current).
    performance_fields = [*performance.COUNTERS, *performance.LINK_FIGURES]
    readonly_fields = ["public_id", "firebase_uid", "wallet_balance", "last_login", "date_joined", *performance_fields]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "role", "public_id", "firebase_uid"]}),
        ("Statistics", {"fields": ["wallet_balance", *performance_fields]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]

    def get_readonly_fields(self, request, obj=None):
        # The admin role manages users and their roles, but cannot make anyone (itself included)
        # a superuser or hand out single permissions outside the roles.
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    @admin.display(description="Wallet", ordering="wallet_balance")
    def wallet_balance_display(self, user):
        return dollars(user.wallet_balance)


class AdvertiserTypeMappingInline(admin.TabularInline):
    model = AdvertiserDetails.business_types.through
    extra = 0
    autocomplete_fields = ["advertiser_type"]


@admin.register(AdvertiserDetails)
class AdvertiserDetailsAdmin(PermissionedActionsMixin, admin.ModelAdmin):
    list_display = ["company_name", "user", "verification_status", "verified_at", "created_at"]
    list_filter = ["verification_status", "business_types", "created_at"]
    search_fields = ["company_name", "website", "user__email"]
    list_select_related = ["user"]
    # Verification only through the actions below (permission, reason, audit row).
    readonly_fields = ["verification_status", "verified_at", "created_at", "updated_at"]
    autocomplete_fields = ["user"]
    inlines = [AdvertiserTypeMappingInline]
    actions = ["verify_advertisers", "reject_advertisers"]

    @staff_action("Verify selected advertisers", permission="accounts.verify_advertiser")
    def verify_advertisers(self, request, queryset, reason):
        return self._verification_set(request, queryset, VerificationStatus.VERIFIED, messages.SUCCESS)

    @staff_action("Reject selected advertisers", permission="accounts.verify_advertiser")
    def reject_advertisers(self, request, queryset, reason):
        return self._verification_set(request, queryset, VerificationStatus.REJECTED, messages.WARNING)

    def _verification_set(self, request, queryset, status: VerificationStatus, level: int):
        """Set the status, say how many, and record each row's outcome ("verified", "rejected")."""
        rows, outcome = list(queryset), status.label.lower()
        count = services.advertisers_set_verification(queryset=queryset, status=status)
        self.message_user(request, f"{count} advertiser(s) {outcome}.", level)
        return [(row, outcome) for row in rows]


class PromoterLanguageInline(admin.TabularInline):
    model = PromoterLanguage
    extra = 0


class PromoterSkillInline(admin.TabularInline):
    model = PromoterSkill
    extra = 0


class FollowerEstimateInline(admin.TabularInline):
    model = FollowerEstimate
    extra = 0


@admin.register(PromoterDetails)
class PromoterDetailsAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "country", "age_range", "created_at"]
    list_filter = ["country", "age_range", "languages", "skills"]
    search_fields = ["display_name", "user__email", "bio"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    inlines = [PromoterLanguageInline, PromoterSkillInline, FollowerEstimateInline]


@admin.register(AdvertiserType, Skill)
class SlugCatalogueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(FollowerEstimate)
class FollowerEstimateAdmin(admin.ModelAdmin):
    list_display = ["promoter", "platform", "handle", "followers", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["promoter__display_name", "handle"]
    list_select_related = ["promoter"]


@admin.register(PromoterLanguage)
class PromoterLanguageAdmin(admin.ModelAdmin):
    list_display = ["promoter", "language", "proficiency"]
    list_filter = ["language", "proficiency"]
    search_fields = ["promoter__display_name"]
    list_select_related = ["promoter", "language"]


@admin.register(PromoterSkill)
class PromoterSkillAdmin(admin.ModelAdmin):
    list_display = ["promoter", "skill", "years_experience"]
    list_filter = ["skill"]
    search_fields = ["promoter__display_name"]
    list_select_related = ["promoter", "skill"]


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdmin):
    """The staff audit log: readable by roles with `accounts.view_staffaction`, never editable."""

    list_display = ["created_at", "actor", "action", "target_repr", "reason", "outcome"]
    list_filter = ["action", "target_type", "created_at"]
    list_select_related = ["actor"]
    search_fields = ["actor__email", "target_repr", "target_id", "reason"]
    date_hierarchy = "created_at"
