"""Charges and refunds, the platform's fees, daily spend per campaign, and Stripe's webhook events."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.models.ledger import Transaction
from billing.models.payments import PaymentMethod, StripePaymentIntent
from campaignplatform.constraints import amounts_check
from campaignplatform.reasons import code_of, reason_text


class ChargeKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"


class ChargeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RefundFailure(models.TextChoices):
    """Why Stripe refused or failed a refund (the only rows of this table that fail): Stripe's
    error code, or its refund's `failure_reason`, where we know it."""

    CHARGE_DISPUTED = "charge_disputed", "The payment was disputed (charged back)"
    CHARGE_ALREADY_REFUNDED = "charge_already_refunded", "The payment was already refunded"
    AMOUNT_TOO_LARGE = "amount_too_large", "More than what is left of the payment"
    DECLINED = "declined", "The bank declined the refund"
    EXPIRED_OR_CANCELED_CARD = "expired_or_canceled_card", "The card expired or was cancelled"
    LOST_OR_STOLEN_CARD = "lost_or_stolen_card", "The card was reported lost or stolen"
    OTHER = "other", "Other"


def refund_failure_code(stripe_code: str) -> str:
    """The RefundFailure for Stripe's code (OTHER for one we do not know)."""
    return code_of(RefundFailure, stripe_code)


class AdvertiserCharge(models.Model):
    """Every charge and refund on an advertiser's card (the seed's `advertiser_charges`).

    A refund row is written pending, with the ledger already moved out of the campaign (so the
    money cannot also be spent), before Stripe is called with `refund-<pk>`; a refund Stripe
    refuses for good is marked failed and its ledger movement reversed.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=ChargeKind.choices)
    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charges")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="charges")
    payment_intent = models.ForeignKey(StripePaymentIntent, on_delete=models.PROTECT, related_name="charges")
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, null=True, blank=True)
    payment_method_label = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.PENDING)
    amount = models.BigIntegerField(help_text="Cents: budget_amount + fee_amount + fee_reserve_amount.")
    budget_amount = models.BigIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    fee_reserve_amount = models.BigIntegerField(
        default=0, help_text="The milestone fee reserve charged, or the part of it refunded unused."
    )
    currency = models.CharField(max_length=3, default="usd")
    stripe_fee_amount = models.BigIntegerField(default=0, help_text="Stripe's processing fee (charges).")
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    receipt_url = models.URLField(max_length=1000, blank=True)
    failure_reason_code = models.CharField(
        max_length=30, choices=RefundFailure.choices, blank=True, help_text="Why it failed; empty unless it did."
    )
    failure_reason = models.CharField(max_length=500, blank=True, help_text="Stripe's message, for people.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "advertiser_charges"
        permissions = [
            ("refund_unused_budget", "Can refund a campaign's unused budget"),
            ("retry_refund", "Can retry pending refunds"),
        ]
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment_intent"], condition=Q(kind="charge"), name="advertiser_charge_one_per_intent"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, budget_amount__gte=0, fee_amount__gte=0, fee_reserve_amount__gte=0)
                & Q(amount=models.F("budget_amount") + models.F("fee_amount") + models.F("fee_reserve_amount")),
                name="advertiser_charge_amounts_add_up",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"

    @property
    def failure_text(self):
        """Why it failed, as people read it (the code's label and Stripe's message)."""
        return reason_text(RefundFailure, self.failure_reason_code, self.failure_reason)


class PlatformFeeKind(models.TextChoices):
    RECOGNISED = "recognised", "Platform fee recognised on spend"
    REVERSED = "reversed", "Platform fee returned with a reversed spend"
    STRIPE_PROCESSING = "stripe_processing", "Stripe processing fee (expense)"


class PlatformFee(models.Model):
    """The seed's `platform_fees`: revenue recognised as budget is spent, and, apart from it,
    Stripe's processing fee per charge. Each row points at its ledger transaction."""

    kind = models.CharField(max_length=20, choices=PlatformFeeKind.choices)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="platform_fees")
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="platform_fee")
    charge = models.ForeignKey(AdvertiserCharge, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "platform_fees"
        ordering = ["-created_at", "-id"]
        constraints = [amounts_check(name="platform_fee_positive", positive=("amount",))]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount}"


class AdvertiserSpend(models.Model):
    """Daily spend per advertiser and campaign (the seed's `advertiser_spends`), incremented in
    the same transaction as each spend."""

    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="spends")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="spends")
    date = models.DateField()
    amount_spent = models.BigIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    spend_count = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    # The budget forecast as of this day (billing.forecasts writes it; pages read the latest).
    forecast_computed_at = models.DateTimeField(null=True, blank=True)
    forecast_pace_cents = models.BigIntegerField(null=True, blank=True, help_text="Average daily spend, last 7 days.")
    forecast_budget_left_cents = models.BigIntegerField(null=True, blank=True)
    forecast_runs_out_on = models.DateField(null=True, blank=True, help_text="Empty: not at this pace.")
    forecast_topup_cents = models.BigIntegerField(null=True, blank=True, help_text="Lasts to the end date.")

    class Meta:
        db_table = "advertiser_spends"
        ordering = ["-date", "campaign_id"]
        constraints = [
            models.UniqueConstraint(fields=["advertiser", "campaign", "date"], name="advertiser_spend_daily"),
            amounts_check(name="advertiser_spend_sane", non_negative=("amount_spent", "fee_amount")),
        ]

    def __str__(self):
        return f"{self.date} {self.campaign_id}: {self.amount_spent}"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "No handler (stored)"
    FAILED = "failed", "Failed"


class StripeWebhookEvent(models.Model):
    """Each Stripe event, stored once (unique event id) and processed once."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    account = models.CharField(max_length=255, blank=True, help_text="Connected account (Connect events).")
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "stripe_webhook_events"
        permissions = [
            ("replay_webhook_event", "Can reprocess Stripe webhook events"),
        ]
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="webhook_status_idx")]

    def __str__(self):
        return f"{self.type} {self.stripe_event_id} ({self.status})"
