"""Money out, for staff: everything visible, money read-only, actions call services."""

from django import forms
from django.contrib import admin, messages

from accounts.admin_actions import ReadOnlyAdmin, staff_action
from accounts.services import staff_action_record
from billing import gateway
from payouts import services
from payouts.models import (
    BillingPeriodSummary,
    PayoutHoldReason,
    PayoutRecord,
    PayoutRun,
    PayoutStatus,
    PeriodClose,
    PromoterBalance,
    StripeConnectAccount,
    StripeTransfer,
    TransferKind,
    TransferStatus,
    Wallet,
)


@admin.register(StripeConnectAccount)
class StripeConnectAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "stripe_account_id",
        "payouts_enabled",
        "transfers_active",
        "disabled_reason",
        "payout_failure_code",
        "updated_at",
    ]
    list_filter = ["payouts_enabled", "transfers_active", "details_submitted", "payout_failure_code"]
    list_select_related = ["user"]
    search_fields = ["user__email", "stripe_account_id"]
    actions = ["refresh_from_stripe"]

    @staff_action("Re-read from Stripe (and send payments that waited)", permission="payouts.refresh_connect_account")
    def refresh_from_stripe(self, request, queryset, reason):
        for account in queryset:
            try:
                services.connect_account_refresh(stripe_account_id=account.stripe_account_id)
            except gateway.GatewayError as error:
                self.message_user(request, f"{account}: {error.message}", messages.ERROR)
                yield account, f"failed: {error.message}"
            else:
                yield account, "re-read"
        self.message_user(request, "Accounts re-read.", messages.SUCCESS)


class WalletHoldForm(forms.ModelForm):
    staff_reason = forms.CharField(
        label="Why (staff audit log)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Kept with your name and the time; the promoter sees only the hold reason and note above.",
    )

    class Meta:
        model = Wallet
        fields = ["payout_hold", "payout_hold_reason_code", "payout_hold_reason"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("payout_hold"):
            # Released: no reason is kept (the audit log has the history).
            cleaned["payout_hold_reason_code"] = cleaned["payout_hold_reason"] = ""
        elif not cleaned.get("payout_hold_reason_code"):
            self.add_error("payout_hold_reason_code", "Choose why the payouts are held; the promoter sees it.")
        elif cleaned["payout_hold_reason_code"] == PayoutHoldReason.OTHER and not cleaned.get("payout_hold_reason"):
            self.add_error("payout_hold_reason", "You chose “Other”: say what the reason is here.")
        return cleaned


# Staff change the hold and nothing else: balances are ledger projections.
WALLET_EDITABLE_FIELDS = ("payout_hold", "payout_hold_reason_code", "payout_hold_reason", "staff_reason")


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    """Balances are ledger projections (read-only); staff with `payouts.hold_payouts` may only hold
    or release payouts, saying why (an audit row per change)."""

    form = WalletHoldForm

    list_display = [
        "user",
        "current_balance",
        "pending_balance",
        "direct_balance",
        "paid_out_total",
        "minimum_threshold",
        "payout_hold",
        "payout_hold_reason_code",
    ]
    list_filter = ["payout_hold", "payout_hold_reason_code", "currency"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = [
        "user",
        "currency",
        "pending_balance",
        "current_balance",
        "direct_balance",
        "direct_paid_total",
        "paid_out_total",
        "minimum_threshold",
        "payout_hold",
        "payout_hold_reason_code",
        "payout_hold_reason",
        "staff_reason",
        "updated_at",
    ]
    readonly_fields = [name for name in fields if name not in WALLET_EDITABLE_FIELDS]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("payouts.hold_payouts")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else [f for f in fields if f != "staff_reason"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not form.has_changed() or form.changed_data == ["staff_reason"]:
            return
        services.wallet_hold_set(
            wallet=obj,
            hold=obj.payout_hold,
            code=obj.payout_hold_reason_code,
            note=obj.payout_hold_reason,
            actor=request.user,
        )
        staff_action_record(
            actor=request.user,
            action="payouts.hold_payouts",
            target=obj,
            reason=form.cleaned_data["staff_reason"],
            outcome=f"held: {obj.payout_hold_text}" if obj.payout_hold else "released",
        )


@admin.register(PayoutRecord)
class PayoutRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "period",
        "promoter",
        "amount",
        "currency",
        "status",
        "attempts",
        "failure_reason_code",
        "failure_reason",
        "paid_at",
    ]
    list_filter = ["status", "failure_reason_code", "period"]
    list_select_related = ["promoter"]
    search_fields = ["promoter__email", "stripe_transfer__stripe_transfer_id"]
    actions = ["retry"]

    @staff_action(
        "Retry the payout (same Stripe idempotency key unless Stripe refused)", permission="payouts.retry_payout"
    )
    def retry(self, request, queryset, reason):
        for record in queryset.filter(status__in=[PayoutStatus.FAILED, PayoutStatus.PENDING]):
            record = services.payout_record_retry(record=record)
            level = messages.SUCCESS if record.status == PayoutStatus.PAID else messages.WARNING
            self.message_user(request, f"{record}: {record.failure_text or record.get_status_display()}", level)
            yield record, f"status {record.status} {record.failure_text}".strip()


@admin.register(StripeTransfer)
class StripeTransferAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "promoter", "kind", "amount", "status", "attempts", "stripe_transfer_id"]
    list_filter = ["kind", "status", "failure_reason_code"]
    list_select_related = ["promoter"]
    search_fields = ["promoter__email", "stripe_transfer_id", "idempotency_key"]
    actions = ["retry", "send_reversed_again"]

    @admin.action(description="Send a reversed Consultant/Seller payment again (past the automatic limit too)")
    def send_reversed_again(self, request, queryset):
        for transfer in queryset.filter(kind=TransferKind.IMMEDIATE, status=TransferStatus.REVERSED):
            again = services.transfer_resend_create(reversed_id=transfer.pk, ignore_cap=True)
            if again is None:
                self.message_user(request, f"{transfer}: nothing to send again (the wallet no longer holds it).")
                continue
            again = services.transfer_send(transfer_id=again.pk)
            self.message_user(request, f"{again}: {again.failure_text or again.get_status_display()}")

    @staff_action("Retry the transfer", permission="payouts.retry_payout")
    def retry(self, request, queryset, reason):
        for transfer in queryset.filter(status__in=[TransferStatus.FAILED, TransferStatus.PENDING]):
            if transfer.kind == TransferKind.IMMEDIATE:
                transfer = services.transfer_send(transfer_id=transfer.pk)
            else:
                services.payout_record_retry(record=transfer.payout_record)
                transfer.refresh_from_db()
            self.message_user(request, f"{transfer}: {transfer.failure_text or transfer.get_status_display()}")
            yield transfer, f"status {transfer.status} {transfer.failure_text}".strip()


@admin.register(PeriodClose)
class PeriodCloseAdmin(ReadOnlyAdmin):
    list_display = ["period", "started_at", "released_at", "summarised_at"]


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    """A payout run's progress: at Stripe's pace a big month takes about an hour. Refresh the page
    to see it move; `left` counts the payouts not sent yet."""

    list_display = [
        "period",
        "status",
        "sent",
        "left",
        "failed",
        "rate_limited",
        "pace",
        "expected_finish_at",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status"]
    # The page shows the list's figures and the bookkeeping behind them.
    readonly_fields = [*list_display, "sent_cents", "updated_at", "lease_until"]
    exclude = ["slice_started_at", "slice_sent"]

    @admin.display(description="Transfers a second")
    def pace(self, run):
        return f"{run.per_second:.1f}"

    @admin.display(description="Expected finish")
    def expected_finish_at(self, run):
        return run.expected_finish or "-"


@admin.register(BillingPeriodSummary)
class BillingPeriodSummaryAdmin(ReadOnlyAdmin):
    list_display = ["period", "user", "role", "funded", "spent", "fees", "paid_out", "carried_forward", "note"]
    list_filter = ["role", "period"]
    list_select_related = ["user"]
    search_fields = ["user__email"]


@admin.register(PromoterBalance)
class PromoterBalanceAdmin(ReadOnlyAdmin):
    list_display = ["period", "promoter", "pending_balance", "current_balance", "direct_balance", "taken_at"]
    list_filter = ["period"]
    list_select_related = ["promoter"]
    search_fields = ["promoter__email"]
