from django.contrib import admin, messages

from accounts.admin_actions import PermissionedActionsMixin, ReadOnlyAdmin, ServiceWrittenInline, staff_action
from tracking import services
from tracking.models import (
    ApiKey,
    CommissionDeduction,
    CouponCode,
    SaleRecord,
    SaleStatus,
    SaleStatusChange,
    ViewAccrual,
    ViewStat,
)


@admin.register(ViewStat)
class ViewStatAdmin(ReadOnlyAdmin):
    list_display = ["day", "participation", "requests", "unique_views", "paid_views", "rejected_bot"]
    list_filter = ["day"]
    list_select_related = ["participation__campaign", "participation__promoter"]
    search_fields = ["participation__tracking_code", "campaign__title"]
    date_hierarchy = "day"


@admin.register(ViewAccrual)
class ViewAccrualAdmin(ReadOnlyAdmin):
    list_display = ["participation", "accrued_views", "accrued_cents", "updated_at"]
    list_select_related = ["participation__campaign", "participation__promoter"]
    search_fields = ["participation__tracking_code"]


@admin.register(CouponCode)
class CouponCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "campaign", "participation", "created_at"]
    list_select_related = ["campaign", "participation__promoter"]
    search_fields = ["code", "campaign__title"]


@admin.register(ApiKey)
class ApiKeyAdmin(PermissionedActionsMixin, admin.ModelAdmin):
    list_display = ["name", "prefix", "advertiser", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["advertiser"]
    search_fields = ["prefix", "advertiser__email", "name"]
    readonly_fields = ["public_id", "advertiser", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are created by advertisers, who see the key once

    @staff_action("Revoke the selected keys", permission="tracking.revoke_api_key")
    def revoke(self, request, queryset, reason):
        for key in queryset:
            services.api_key_revoke(api_key=key)
            yield key, "revoked"
        messages.success(request, f"{queryset.count()} key(s) revoked.")


class SaleStatusChangeInline(ServiceWrittenInline):
    model = SaleStatusChange
    readonly_fields = ["created_at", "actor", "from_status", "to_status", "reason"]


@admin.register(SaleRecord)
class SaleRecordAdmin(PermissionedActionsMixin, admin.ModelAdmin):
    list_display = ["order_id", "campaign", "participation", "amount_cents", "commission_cents", "status", "source"]
    list_filter = ["status", "decision_reason_code", "source"]
    list_select_related = ["campaign", "participation__promoter"]
    search_fields = ["order_id", "campaign__title", "ref_code", "coupon_code"]
    readonly_fields = [field.name for field in SaleRecord._meta.fields]
    inlines = [SaleStatusChangeInline]
    actions = ["verify", "pay_awaiting"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staff_action("Verify the selected pending sales (credit commission)", permission="tracking.verify_sale")
    def verify(self, request, queryset, reason):
        sales = list(queryset.filter(status=SaleStatus.PENDING))
        done, errors = services.sales_verify(sales=sales, actor=request.user)
        messages.success(request, f"{done} sale(s) verified.")
        for error in errors:
            messages.error(request, error)
        for sale in SaleRecord.objects.filter(pk__in=[sale.pk for sale in sales]):
            yield sale, f"status {sale.status}"

    @staff_action("Pay commissions waiting for budget (after a top-up)", permission="tracking.pay_awaiting_commission")
    def pay_awaiting(self, request, queryset, reason):
        from campaigns.models import Campaign

        paid = 0
        for campaign in Campaign.objects.filter(pk__in=queryset.values("campaign_id")):
            count = services.sales_pay_awaiting(campaign=campaign)
            paid += count
            yield campaign, f"{count} commission(s) paid"
        messages.success(request, f"{paid} commission(s) paid.")


@admin.register(CommissionDeduction)
class CommissionDeductionAdmin(ReadOnlyAdmin):
    list_display = ["sale", "promoter", "amount_cents", "fee_cents", "created_at", "applied_at"]
    list_filter = ["applied_at"]
    list_select_related = ["sale", "promoter"]
