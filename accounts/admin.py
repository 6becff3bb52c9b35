from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.models import (
    AdvertiserDetails,
    AdvertiserType,
    FollowerEstimate,
    Language,
    PromoterDetails,
    PromoterLanguage,
    PromoterSkill,
    Skill,
    User,
    VerificationStatus,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "full_name", "role", "is_active", "is_staff", "wallet_balance_display", "date_joined"]
    list_filter = ["role", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name", "firebase_uid", "public_id"]
    readonly_fields = ["public_id", "firebase_uid", "wallet_balance", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "role", "public_id", "firebase_uid"]}),
        ("Statistics", {"fields": ["wallet_balance", "campaigns_completed", "campaigns_cancelled"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]

    @admin.display(description="Wallet", ordering="wallet_balance")
    def wallet_balance_display(self, user):
        return f"${user.wallet_balance / 100:,.2f}"


class AdvertiserTypeMappingInline(admin.TabularInline):
    model = AdvertiserDetails.business_types.through
    extra = 0
    autocomplete_fields = ["advertiser_type"]


@admin.register(AdvertiserDetails)
class AdvertiserDetailsAdmin(admin.ModelAdmin):
    list_display = ["company_name", "user", "verification_status", "verified_at", "created_at"]
    list_filter = ["verification_status", "business_types", "created_at"]
    search_fields = ["company_name", "website", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["verified_at", "created_at", "updated_at"]
    autocomplete_fields = ["user"]
    inlines = [AdvertiserTypeMappingInline]
    actions = ["verify_advertisers", "reject_advertisers"]

    @admin.action(description="Verify selected advertisers")
    def verify_advertisers(self, request, queryset):
        count = services.advertisers_set_verification(queryset=queryset, status=VerificationStatus.VERIFIED)
        self.message_user(request, f"{count} advertiser(s) verified.", messages.SUCCESS)

    @admin.action(description="Reject selected advertisers")
    def reject_advertisers(self, request, queryset):
        count = services.advertisers_set_verification(queryset=queryset, status=VerificationStatus.REJECTED)
        self.message_user(request, f"{count} advertiser(s) rejected.", messages.WARNING)


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


@admin.register(AdvertiserType)
class AdvertiserTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


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
