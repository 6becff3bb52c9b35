"""Admin for matching and pricing: staff keep the per-platform reference rates current; invitations
are read-only (advertisers send them through the service)."""

from django.contrib import admin

from accounts.admin_actions import ReadOnlyAdmin
from campaigns.models import CampaignInvitation, PlatformReferenceRate


@admin.register(PlatformReferenceRate)
class PlatformReferenceRateAdmin(admin.ModelAdmin):
    list_display = ["platform", "cents_per_thousand_followers", "note", "updated_at"]
    search_fields = ["platform", "note"]
    readonly_fields = ["updated_at"]


@admin.register(CampaignInvitation)
class CampaignInvitationAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "promoter", "invited_by", "status", "created_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["campaign", "promoter", "invited_by"]
    search_fields = ["campaign__title", "promoter__email", "invited_by__email"]
