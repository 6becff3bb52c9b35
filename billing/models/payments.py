"""Money in: Stripe customers, saved payment methods, PaymentIntents and their budget allocations."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaignplatform.constraints import choice_check
from campaignplatform.reasons import code_of, reason_text


class BillingCustomer(models.Model):
    """The advertiser's Stripe customer. Written pending (no id) first, then filled after Stripe
    answers, so a retried creation reuses the same idempotency key (`customer-create-<pk>`)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "billing_customers"

    def __str__(self):
        return f"{self.user} ({self.stripe_customer_id or 'pending'})"


class PaymentMethodKind(models.TextChoices):
    CARD = "card", "Card"
    US_BANK_ACCOUNT = "us_bank_account", "US bank account"


class PaymentMethod(models.Model):
    """A saved card or US bank account (the seed's `payment_methods`: "cards, bank accounts").
    Removed ones are kept (charges point at them) with `removed_at` set. A bank account has a
    bank name instead of a brand and no expiry; its payments settle days later (`processing`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_methods")
    stripe_payment_method_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=20, choices=PaymentMethodKind.choices, default=PaymentMethodKind.CARD)
    brand = models.CharField(max_length=30, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payment_methods"
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="payment_method_one_default",
            ),
            models.CheckConstraint(condition=Q(exp_month__gte=1, exp_month__lte=12), name="payment_method_exp_month"),
            models.CheckConstraint(
                condition=Q(kind="us_bank_account") | Q(exp_month__isnull=False, exp_year__isnull=False),
                name="payment_method_card_has_expiry",
            ),
        ]

    def __str__(self):
        return f"{self.name} ending {self.last4}"

    @property
    def is_bank_account(self):
        return self.kind == PaymentMethodKind.US_BANK_ACCOUNT

    @property
    def name(self):
        """The card's brand, or the bank's name: what the payer recognises."""
        if self.is_bank_account:
            return self.bank_name.title() or "Bank account"
        return self.brand.title()

    @property
    def expiry(self):
        return "" if self.is_bank_account else f"{self.exp_month:02d}/{self.exp_year}"

    @property
    def label(self):
        if self.is_bank_account:
            return f"{self.name} •••• {self.last4} (bank account)"
        return f"{self.name} •••• {self.last4} (exp {self.expiry})"


class IntentPurpose(models.TextChoices):
    FUNDING = "funding", "Initial funding"
    TOP_UP = "top_up", "Top-up"


class IntentMethod(models.TextChoices):
    CHECKOUT = "checkout", "Stripe Checkout"
    SAVED_CARD = "saved_card", "Saved card or bank account"


class IntentStatus(models.TextChoices):
    PENDING = "pending", "Pending (not sent to Stripe yet)"
    OPEN = "open", "Waiting for the payer"
    REQUIRES_ACTION = "requires_action", "Waiting for authentication"
    PROCESSING = "processing", "Payment processing (bank debit)"
    FAILED = "failed", "Failed"
    SUCCEEDED = "succeeded", "Succeeded"
    CANCELED = "canceled", "Abandoned"


# Where a payment intent row may go. A failed or abandoned attempt can still succeed later (the
# payer retries on the same Checkout page), so only SUCCEEDED is final.
# A bank debit is PROCESSING for days: only the bank's answer moves it on (a stale "open" or
# "requires action" read from an older event must not).
INTENT_TRANSITIONS = {
    IntentStatus.PENDING: {
        IntentStatus.OPEN,
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.PROCESSING,
        IntentStatus.FAILED,
        IntentStatus.SUCCEEDED,
        IntentStatus.CANCELED,
    },
    IntentStatus.OPEN: {
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.PROCESSING,
        IntentStatus.FAILED,
        IntentStatus.SUCCEEDED,
        IntentStatus.CANCELED,
    },
    IntentStatus.REQUIRES_ACTION: {
        IntentStatus.OPEN,
        IntentStatus.PROCESSING,
        IntentStatus.FAILED,
        IntentStatus.SUCCEEDED,
        IntentStatus.CANCELED,
    },
    IntentStatus.PROCESSING: {
        IntentStatus.FAILED,
        IntentStatus.SUCCEEDED,
        IntentStatus.CANCELED,
    },
    IntentStatus.FAILED: {
        IntentStatus.OPEN,
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.PROCESSING,
        IntentStatus.SUCCEEDED,
        IntentStatus.CANCELED,
    },
    IntentStatus.CANCELED: {IntentStatus.SUCCEEDED},
    IntentStatus.SUCCEEDED: set(),
}


class PaymentFailure(models.TextChoices):
    """Why a payment failed: Stripe's own decline or error code where we know it (the card's or
    the bank's), or why we stopped before Stripe. Stripe's message stays in `failure_reason`."""

    CARD_DECLINED = "card_declined", "Card declined"
    INSUFFICIENT_FUNDS = "insufficient_funds", "Insufficient funds"
    EXPIRED_CARD = "expired_card", "Card expired"
    INCORRECT_CVC = "incorrect_cvc", "Wrong security code"
    LOST_CARD = "lost_card", "Card reported lost"
    STOLEN_CARD = "stolen_card", "Card reported stolen"
    PROCESSING_ERROR = "processing_error", "Error while processing the card"
    AUTHENTICATION_REQUIRED = "authentication_required", "The bank asks for authentication"
    ACCOUNT_CLOSED = "account_closed", "Bank account closed"
    NO_ACCOUNT = "no_account", "Bank account not found"
    DEBIT_NOT_AUTHORIZED = "debit_not_authorized", "Debit not authorised by the account holder"
    AMOUNT_TOO_LARGE = "amount_too_large", "Above Stripe's largest payment"
    AMOUNT_TOO_SMALL = "amount_too_small", "Below Stripe's smallest payment"
    CHECKOUT_EXPIRED = "checkout_expired", "The payment page expired"
    OTHER_PAYMENT_PROCESSING = "other_payment_processing", "Closed: another payment for this campaign is processing"
    OTHER = "other", "Other"


# Stripe's decline codes that mean one of ours: a generic decline is a declined card.
PAYMENT_FAILURE_ALIASES = {"generic_decline": PaymentFailure.CARD_DECLINED}


def payment_failure_code(stripe_code: str) -> str:
    """The PaymentFailure for Stripe's decline or error code (OTHER for one we do not know)."""
    return code_of(PaymentFailure, stripe_code, aliases=PAYMENT_FAILURE_ALIASES)


class StripePaymentIntent(models.Model):
    """One attempt to pay for a campaign's budget (the seed's `stripe_payment_intents`).

    Written (pending) and committed before Stripe is called; Stripe's idempotency key is
    `pi-create-<pk>` (saved card) or `checkout-create-<pk>` (Checkout). The amounts and the rate
    are what the advertiser saw and agreed to; the allocation copies them when the money arrives.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="payment_intents")
    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_intents")
    purpose = models.CharField(max_length=10, choices=IntentPurpose.choices)
    method = models.CharField(max_length=12, choices=IntentMethod.choices)
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, null=True, blank=True)
    budget_amount = models.BigIntegerField(help_text="Cents for promoters.")
    fee_amount = models.BigIntegerField(help_text="Platform fee, cents.")
    fee_reserve_amount = models.BigIntegerField(
        default=0, help_text="Consultant/Seller: fixed fees per milestone payment, reserved in the budget."
    )
    amount = models.BigIntegerField(help_text="Charged: budget + fee + fee reserve, cents.")
    currency = models.CharField(max_length=3, default="usd")
    views_funded = models.BigIntegerField(null=True, blank=True, help_text="Visibility: views this buys.")
    rate_per_100_views = models.BigIntegerField(null=True, blank=True)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=20, choices=IntentStatus.choices, default=IntentStatus.PENDING)
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    failure_reason_code = models.CharField(
        max_length=30, choices=PaymentFailure.choices, blank=True, help_text="Why it failed; empty unless it did."
    )
    failure_reason = models.CharField(max_length=500, blank=True, help_text="Stripe's message, for people.")
    decline_code = models.CharField(max_length=60, blank=True, help_text="Stripe's own code, as it sent it.")
    # The charge of the last failed attempt: a later answer about that same charge (read before it
    # failed) is stale and must not move the payment back; a new attempt comes with a new charge.
    failed_charge_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "stripe_payment_intents"
        permissions = [
            ("resync_payment", "Can re-read a payment from Stripe"),
        ]
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    budget_amount__gt=0,
                    fee_amount__gte=0,
                    fee_reserve_amount__gte=0,
                    amount=models.F("budget_amount") + models.F("fee_amount") + models.F("fee_reserve_amount"),
                ),
                name="payment_intent_amounts_add_up",
            ),
            choice_check("status", IntentStatus, name="payment_intent_status_valid"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} of {self.campaign_id}: {self.amount} {self.currency} ({self.status})"

    def can_move_to(self, status):
        return status == self.status or status in INTENT_TRANSITIONS[IntentStatus(self.status)]

    @property
    def failure_text(self):
        """Why it failed, as people read it (the code's label and Stripe's message)."""
        return reason_text(PaymentFailure, self.failure_reason_code, self.failure_reason)

    @property
    def transfer_group(self):
        return f"campaign-{self.campaign.public_id}"


class CampaignBudgetAllocation(models.Model):
    """Budget a successful payment put into a campaign (the seed's `campaign_budget_allocations`).

    Created once per payment (unique intent). `spent_amount`, `fee_taken_amount` and
    `refunded_amount` are ledger projections, spent oldest allocation first, refunded newest
    first; the audit checks that allocated - spent - fee taken - refunded summed over a campaign
    equals its campaign_budget account. `allocated_amount` is all the payment put into that
    account: the budget and, for a Consultant/Seller campaign under a fixed fee per milestone
    payment, the milestone fee reserve (`fee_reserve_amount`, of it) the fees are taken from; the
    percentage fee (`fee_amount`) is on the budget alone (`percent_base_amount`).
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="budget_allocations")
    payment_intent = models.OneToOneField(StripePaymentIntent, on_delete=models.PROTECT, related_name="allocation")
    allocated_amount = models.BigIntegerField()
    fee_amount = models.BigIntegerField()
    spent_amount = models.BigIntegerField(default=0)
    fee_taken_amount = models.BigIntegerField(
        default=0, help_text="Fixed platform fees per sale or milestone payment taken from this budget."
    )
    fee_reserve_amount = models.BigIntegerField(
        default=0, help_text="Of allocated_amount: the milestone fee reserve (fixed fees per milestone payment)."
    )
    refunded_amount = models.BigIntegerField(default=0)
    fee_refunded_amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    views_funded = models.BigIntegerField(null=True, blank=True)
    rate_per_100_views = models.BigIntegerField(null=True, blank=True)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaign_budget_allocations"
        ordering = ["campaign", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    allocated_amount__gt=0,
                    fee_amount__gte=0,
                    spent_amount__gte=0,
                    refunded_amount__gte=0,
                    fee_reserve_amount__gte=0,
                    fee_reserve_amount__lt=models.F("allocated_amount"),
                ),
                name="allocation_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(spent_amount__lte=models.F("allocated_amount")), name="allocation_spent_within_allocated"
            ),
            models.CheckConstraint(
                condition=Q(
                    spent_amount__lte=models.F("allocated_amount")
                    - models.F("refunded_amount")
                    - models.F("fee_taken_amount"),
                    fee_taken_amount__gte=0,
                    fee_refunded_amount__gte=0,
                    fee_refunded_amount__lte=models.F("fee_amount"),
                ),
                name="allocation_spent_plus_refunded_within_allocated",
            ),
        ]

    def __str__(self):
        return f"{self.allocated_amount} to {self.campaign_id}"

    @property
    def remaining_amount(self):
        return self.allocated_amount - self.spent_amount - self.fee_taken_amount - self.refunded_amount

    @property
    def percent_base_amount(self) -> int:
        """The budget the percentage fee was charged on: what the payment put in for promoters."""
        return self.allocated_amount - self.fee_reserve_amount
