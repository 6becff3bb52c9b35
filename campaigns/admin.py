from django.contrib import admin, messages
from django.db import models

from accounts.admin_actions import PermissionedActionsMixin, ReadOnlyAdmin, ServiceWrittenInline, staff_action
from campaigns import admin_matching, services  # noqa: F401 - admin_matching registers its models
from campaigns.models import (
    ApplicationMessage,
    Campaign,
    CampaignApplication,
    CampaignDeliverable,
    CampaignStatus,
    CampaignStatusChange,
    CampaignWork,
    PromoterCampaign,
)

# Money and counters are written by services (billing, payouts, tracking), never by hand here.
PARTICIPATION_MONEY_FIELDS = [
    "tracking_code",
    "agreed_amount",
    "budget_held",
    "spent_budget",
    "views_generated",
    "final_payout_amount",
    "stripe_transfer_id",
]


class PromoterCampaignInline(ServiceWrittenInline):
    model = PromoterCampaign
    fields = ["promoter", "status", "joined_at", *PARTICIPATION_MONEY_FIELDS]
    readonly_fields = ["promoter", "joined_at", *PARTICIPATION_MONEY_FIELDS]
    show_change_link = True


class CampaignApplicationInline(ServiceWrittenInline):
    model = CampaignApplication
    fields = ["promoter", "status", "proposed_amount", "current_amount", "updated_at"]
    readonly_fields = fields
    show_change_link = True


class CampaignStatusChangeInline(ServiceWrittenInline):
    model = CampaignStatusChange
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


URL_FIELD_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Campaign)
class CampaignAdmin(PermissionedActionsMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELD_OVERRIDES
    list_display = [
        "title",
        "campaign_type",
        "status",
        "advertiser",
        "category",
        "start_date",
        "end_date",
        "created_at",
    ]
    list_filter = ["campaign_type", "status", "category", "created_at"]
    search_fields = [
        "title",
        "description",
        "public_id",
        "advertiser__email",
        "advertiser__advertiser_details__company_name",
    ]
    list_select_related = ["advertiser", "category"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["advertiser"]
    filter_horizontal = ["languages"]
    # Status moves go through the services (audit row, conditional update), never this form.
    readonly_fields = [
        "public_id",
        "status",
        "paid_views",
        "has_selected_promoter",
        "currency",
        "published_at",
        "ended_at",
        "created_at",
        "updated_at",
    ]
    inlines = [PromoterCampaignInline, CampaignApplicationInline, CampaignStatusChangeInline]
    actions = ["suspend_campaigns"]

    @staff_action(
        "Suspend selected campaigns (pause, reason “suspended by staff”)", permission="campaigns.suspend_campaign"
    )
    def suspend_campaigns(self, request, queryset, reason):
        suspended, skipped = 0, 0
        for campaign in queryset.filter(status=CampaignStatus.ACTIVE):
            try:
                services.campaign_pause(campaign=campaign, actor=request.user, reason=services.STAFF_SUSPENSION_REASON)
                suspended += 1
                yield campaign, "suspended"
            except services.CampaignError as error:
                skipped += 1
                yield campaign, f"refused: {error}"
        skipped += queryset.exclude(status=CampaignStatus.ACTIVE).count()
        self.message_user(request, f"{suspended} campaign(s) suspended.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} campaign(s) were not active and were left alone.", messages.WARNING)


@admin.register(CampaignStatusChange)
class CampaignStatusChangeAdmin(ReadOnlyAdmin):
    """The audit trail: read-only."""

    list_display = ["created_at", "campaign", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["campaign__title", "campaign__public_id", "reason", "actor__email"]
    list_select_related = ["campaign", "actor"]
    date_hierarchy = "created_at"


class ApplicationMessageInline(ServiceWrittenInline):
    model = ApplicationMessage
    fields = ["created_at", "author", "kind", "amount", "body"]
    readonly_fields = fields


@admin.register(CampaignApplication)
class CampaignApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "campaign",
        "promoter",
        "status",
        "decision_reason_code",
        "proposed_amount",
        "current_amount",
        "updated_at",
    ]
    list_filter = ["status", "decision_reason_code", "created_at"]
    search_fields = ["campaign__title", "promoter__email", "public_id"]
    list_select_related = ["campaign", "promoter"]
    readonly_fields = [
        "public_id",
        "campaign",
        "promoter",
        "status",
        "proposed_amount",
        "current_amount",
        "decision_reason_code",
        "decided_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ApplicationMessageInline]


@admin.register(ApplicationMessage)
class ApplicationMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "application", "author", "kind", "amount"]
    list_filter = ["kind", "created_at"]
    search_fields = ["body", "author__email", "application__campaign__title"]
    list_select_related = ["application__campaign", "author"]
    readonly_fields = ["application", "author", "kind", "amount", "created_at"]


class CampaignDeliverableInline(admin.TabularInline):
    model = CampaignDeliverable
    extra = 0
    fields = ["title", "amount", "due_date", "status"]
    readonly_fields = ["amount", "status"]
    show_change_link = True


@admin.register(PromoterCampaign)
class PromoterCampaignAdmin(admin.ModelAdmin):
    list_display = ["campaign", "promoter", "status", "tracking_code", "agreed_amount", "spent_budget", "joined_at"]
    list_filter = ["status", "campaign__campaign_type", "joined_at"]
    search_fields = ["campaign__title", "promoter__email", "tracking_code", "public_id", "stripe_transfer_id"]
    list_select_related = ["campaign", "promoter"]
    readonly_fields = ["public_id", "campaign", "promoter", "application", "joined_at", *PARTICIPATION_MONEY_FIELDS]
    inlines = [CampaignDeliverableInline]


class CampaignWorkInline(ServiceWrittenInline):
    model = CampaignWork
    fields = ["submitted_at", "status", "auto_approve_after", "reviewed_by", "auto_approved"]
    readonly_fields = fields
    show_change_link = True


@admin.register(CampaignDeliverable)
class CampaignDeliverableAdmin(admin.ModelAdmin):
    list_display = ["title", "promoter_campaign", "amount", "due_date", "status", "created_at"]
    list_filter = ["status", "due_date"]
    search_fields = ["title", "promoter_campaign__campaign__title", "public_id"]
    list_select_related = ["promoter_campaign__campaign", "promoter_campaign__promoter"]
    readonly_fields = ["public_id", "promoter_campaign", "amount", "status", "created_at"]
    inlines = [CampaignWorkInline]


@admin.register(CampaignWork)
class CampaignWorkAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELD_OVERRIDES
    list_display = ["deliverable", "submitted_by", "status", "submitted_at", "auto_approve_after", "auto_approved"]
    list_filter = ["status", "review_reason_code", "auto_approved", "submitted_at"]
    search_fields = ["deliverable__title", "submitted_by__email", "public_id"]
    list_select_related = ["deliverable", "submitted_by"]
    # The file is served through campaigns:work_file (access-checked), not a storage URL.
    exclude = ["file"]
    readonly_fields = [
        "public_id",
        "deliverable",
        "submitted_by",
        "original_filename",
        "status",
        "submitted_at",
        "auto_approve_after",
        "reviewed_at",
        "reviewed_by",
        "review_reason_code",
        "auto_approved",
    ]
