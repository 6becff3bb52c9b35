"""Operations on money: everything visible, the ledger read-only, actions call services."""

from django.contrib import admin, messages

from accounts.admin_actions import ReadOnlyAdmin, staff_action
from billing import services, webhooks
from billing.gateway import GatewayError
from billing.models import (
    AdvertiserCharge,
    AdvertiserSpend,
    BillingCustomer,
    CampaignBudgetAllocation,
    CampaignFeeTerms,
    Dispute,
    FeePlan,
    LedgerAccount,
    PaymentMethod,
    PlatformFee,
    StripePaymentIntent,
    StripeWebhookEvent,
    Transaction,
)


@admin.register(FeePlan)
class FeePlanAdmin(admin.ModelAdmin):
    """Staff add plans; a plan is never edited (a newer one supersedes it), only deactivated, so
    who set which fee and when stays on record."""

    list_display = (
        "name",
        "campaign_type",
        "advertiser",
        "percent_bp",
        "fixed_cents",
        "active",
        "created_by",
        "created_at",
    )
    list_filter = ("active", "campaign_type")
    list_select_related = ("advertiser", "created_by")
    search_fields = ("name", "advertiser__email")
    autocomplete_fields = ("advertiser",)
    readonly_fields = ("created_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ("name", "campaign_type", "advertiser", "percent_bp", "fixed_cents", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CampaignFeeTerms)
class CampaignFeeTermsAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "plan", "percent_bp", "fixed_cents", "fixed_at")
    list_select_related = ("campaign", "plan")
    search_fields = ("campaign__title",)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("stripe_dispute_id", "campaign", "advertiser", "status", "amount", "loss", "created_at")
    list_filter = ("status",)
    list_select_related = ("campaign", "advertiser")
    search_fields = ("stripe_dispute_id", "campaign__title", "advertiser__email")


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "campaign", "user", "currency", "balance"]
    list_filter = ["kind", "currency"]
    list_select_related = ["campaign", "user"]
    search_fields = ["campaign__title", "user__email"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "source", "destination", "amount", "currency", "idempotency_key"]
    list_filter = ["kind", "currency"]
    list_select_related = ["source__campaign", "source__user", "destination__campaign", "destination__user"]
    search_fields = ["idempotency_key", "memo", "batch"]
    date_hierarchy = "created_at"


@admin.register(BillingCustomer)
class BillingCustomerAdmin(ReadOnlyAdmin):
    list_display = ["user", "stripe_customer_id", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "stripe_customer_id"]


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "brand", "bank_name", "last4", "exp_month", "exp_year", "is_default", "removed_at"]
    list_filter = ["kind", "brand", "is_default"]
    list_select_related = ["user"]
    search_fields = ["user__email", "stripe_payment_method_id", "last4"]


@admin.register(StripePaymentIntent)
class StripePaymentIntentAdmin(ReadOnlyAdmin):
    list_display = ["id", "campaign", "advertiser", "purpose", "method", "amount", "status", "created_at"]
    list_filter = ["status", "failure_reason_code", "purpose", "method"]
    list_select_related = ["campaign", "advertiser"]
    search_fields = ["stripe_payment_intent_id", "stripe_checkout_session_id", "campaign__title", "advertiser__email"]
    actions = ["resync"]

    @staff_action("Re-read from Stripe", permission="billing.resync_payment")
    def resync(self, request, queryset, reason):
        for intent in queryset:
            try:
                intent = services.funding_sync(intent=intent)
            except GatewayError as error:
                self.message_user(request, f"{intent.pk}: {error}", messages.ERROR)
                yield intent, f"failed: {error}"
            else:
                yield intent, f"status {intent.status}"


def _refund_campaigns(modeladmin, request, campaigns):
    for campaign in campaigns:
        try:
            rows = services.campaign_refund_unused(campaign=campaign, actor=request.user)
        except (services.BillingError, GatewayError) as error:
            modeladmin.message_user(request, f"{campaign}: {error}", messages.ERROR)
            yield campaign, f"refused: {error}"
        else:
            modeladmin.message_user(request, f"{campaign}: {len(rows)} refund(s).")
            yield campaign, f"{len(rows)} refund(s): " + ", ".join(f"{row.amount} cents {row.status}" for row in rows)


@admin.register(CampaignBudgetAllocation)
class CampaignBudgetAllocationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "campaign",
        "allocated_amount",
        "fee_reserve_amount",
        "fee_amount",
        "spent_amount",
        "fee_taken_amount",
        "refunded_amount",
        "fee_refunded_amount",
        "created_at",
    ]
    list_select_related = ["campaign"]
    search_fields = ["campaign__title"]
    actions = ["refund_unused"]

    @staff_action("Refund unused budget (ended campaigns)", permission="billing.refund_unused_budget")
    def refund_unused(self, request, queryset, reason):
        campaigns = {allocation.campaign_id: allocation.campaign for allocation in queryset.select_related("campaign")}
        return _refund_campaigns(self, request, campaigns.values())


@admin.register(AdvertiserCharge)
class AdvertiserChargeAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "advertiser", "campaign", "amount", "status", "stripe_fee_amount"]
    list_filter = ["kind", "status", "failure_reason_code"]
    list_select_related = ["advertiser", "campaign"]
    search_fields = ["stripe_charge_id", "stripe_refund_id", "advertiser__email", "campaign__title"]
    actions = ["refund_unused", "retry_refund"]

    @staff_action(
        "Refund unused budget of these campaigns (ended campaigns)", permission="billing.refund_unused_budget"
    )
    def refund_unused(self, request, queryset, reason):
        campaigns = {charge.campaign_id: charge.campaign for charge in queryset.select_related("campaign")}
        return _refund_campaigns(self, request, campaigns.values())

    @staff_action("Retry pending refunds", permission="billing.retry_refund")
    def retry_refund(self, request, queryset, reason):
        for row in queryset.filter(kind="refund", status="pending"):
            services.refund_sync(row)
            row.refresh_from_db()
            yield row, f"status {row.status}"


@admin.register(PlatformFee)
class PlatformFeeAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "campaign", "amount", "transaction"]
    list_filter = ["kind"]
    list_select_related = ["campaign", "transaction"]


@admin.register(AdvertiserSpend)
class AdvertiserSpendAdmin(ReadOnlyAdmin):
    list_display = ["date", "advertiser", "campaign", "amount_spent", "fee_amount", "spend_count"]
    list_select_related = ["advertiser", "campaign"]
    date_hierarchy = "date"


@admin.register(StripeWebhookEvent)
class StripeWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_event_id", "type", "account", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["stripe_event_id", "type", "account"]
    actions = ["reprocess"]

    @staff_action("Reprocess the selected events", permission="billing.replay_webhook_event")
    def reprocess(self, request, queryset, reason):
        ok = 0
        for row in queryset:
            processed = webhooks.webhook_event_process(row, force=True)
            ok += processed
            yield row, "processed" if processed else "handler failed"
        self.message_user(request, f"{ok} of {queryset.count()} event(s) processed.")
