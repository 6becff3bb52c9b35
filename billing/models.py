"""Money in, and the ledger every movement of money goes through.

Amounts are integer cents (`BigIntegerField`) with a currency code.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class AccountKind(models.TextChoices):
    EXTERNAL = "external", "External world (cards, banks)"
    CAMPAIGN_BUDGET = "campaign_budget", "Campaign budget"
    CAMPAIGN_FEE_HELD = "campaign_fee_held", "Campaign platform fee held"
    PROMOTER_PENDING = "promoter_pending", "Promoter pending"
    PROMOTER_AVAILABLE = "promoter_available", "Promoter available (current)"
    PROMOTER_DIRECT = "promoter_direct", "Promoter direct payments due"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    STRIPE_FEES = "stripe_fees", "Stripe processing fees"
    PLATFORM_LOSSES = "platform_losses", "Platform losses (disputed payments already spent)"


# Accounts whose balance may go below zero: the outside world (money in makes it negative)
# and Stripe's fees (an expense). Every other account holds money and must never be overdrawn.
MAY_GO_NEGATIVE = (AccountKind.EXTERNAL, AccountKind.STRIPE_FEES, AccountKind.PLATFORM_LOSSES)
CAMPAIGN_KINDS = (AccountKind.CAMPAIGN_BUDGET, AccountKind.CAMPAIGN_FEE_HELD)
PROMOTER_KINDS = (AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_AVAILABLE, AccountKind.PROMOTER_DIRECT)


class LedgerAccount(models.Model):
    """One bucket of money. `balance` is a cache of the sum of its transactions."""

    kind = models.CharField(max_length=30, choices=AccountKind.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    currency = models.CharField(max_length=3, default="usd")
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_accounts"
        # Staff roles (accounts' "finance" group) are given this; being staff is not enough.
        permissions = [("view_finance_overview", "Can see the finance overview (platform-wide balances)")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "campaign", "user", "currency"],
                name="ledger_account_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind__in=MAY_GO_NEGATIVE), name="ledger_account_not_overdrawn"
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=CAMPAIGN_KINDS) & Q(campaign__isnull=False) & Q(user__isnull=True))
                | (Q(kind__in=PROMOTER_KINDS) & Q(user__isnull=False) & Q(campaign__isnull=True))
                | (
                    Q(kind__in=[*MAY_GO_NEGATIVE, AccountKind.PLATFORM_REVENUE])
                    & Q(campaign__isnull=True, user__isnull=True)
                ),
                name="ledger_account_owner_matches_kind",
            ),
        ]

    def __str__(self):
        owner = self.campaign or self.user or "platform"
        return f"{self.get_kind_display()} · {owner}"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableLedgerError("Ledger transactions are never updated; post a correcting transaction.")

    def delete(self):
        raise ImmutableLedgerError("Ledger transactions are never deleted; post a correcting transaction.")


class ImmutableLedgerError(Exception):
    pass


class TransactionKind(models.TextChoices):
    FUNDING = "funding", "Campaign funded"
    SPEND = "spend", "Budget spent (earning)"
    SPEND_REVERSAL = "spend_reversal", "Spend reversed (e.g. refunded sale)"
    FEE_RECOGNISED = "fee_recognised", "Platform fee recognised"
    REFUND = "refund", "Unused budget refunded"
    STRIPE_FEE = "stripe_fee", "Stripe processing fee"
    RELEASE = "release", "Pending released to available"
    PAYOUT = "payout", "Paid out to promoter"
    PAYOUT_REVERSAL = "payout_reversal", "Payout returned"
    ADJUSTMENT = "adjustment", "Correction"
    DISPUTE = "dispute", "Disputed payment withdrawn by Stripe"
    DISPUTE_REINSTATED = "dispute_reinstated", "Disputed payment won back"


class Transaction(models.Model):
    """The seed's `transactions`: one immutable movement of `amount` from one account to another.

    A business event posts one or more rows together (same `batch`), all or none; each row is
    balanced by construction (what leaves `source` enters `destination`).
    """

    batch = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    leg = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    source = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="outgoing")
    destination = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="incoming")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        db_table = "transactions"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key", "leg"], name="transaction_idempotent"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(condition=~Q(source=models.F("destination")), name="transaction_two_accounts"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount} {self.currency} {self.source_id}->{self.destination_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableLedgerError("Ledger transactions are never updated; post a correcting transaction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableLedgerError("Ledger transactions are never deleted; post a correcting transaction.")


# --- Money in: customers, cards, payments, allocations, charges, fees, spends, webhooks ---------


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
    amount = models.BigIntegerField(help_text="Charged: budget + fee, cents.")
    currency = models.CharField(max_length=3, default="usd")
    views_funded = models.BigIntegerField(null=True, blank=True, help_text="Visibility: views this buys.")
    rate_per_100_views = models.BigIntegerField(null=True, blank=True)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=20, choices=IntentStatus.choices, default=IntentStatus.PENDING)
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    decline_code = models.CharField(max_length=60, blank=True)
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
                    budget_amount__gt=0, fee_amount__gte=0, amount=models.F("budget_amount") + models.F("fee_amount")
                ),
                name="payment_intent_amounts_add_up",
            ),
            models.CheckConstraint(condition=Q(status__in=IntentStatus.values), name="payment_intent_status_valid"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} of {self.campaign_id}: {self.amount} {self.currency} ({self.status})"

    def can_move_to(self, status):
        return status == self.status or status in INTENT_TRANSITIONS[IntentStatus(self.status)]

    @property
    def transfer_group(self):
        return f"campaign-{self.campaign.public_id}"


class CampaignBudgetAllocation(models.Model):
    """Budget a successful payment put into a campaign (the seed's `campaign_budget_allocations`).

    Created once per payment (unique intent). `spent_amount` and `refunded_amount` are ledger
    projections, spent oldest allocation first, refunded newest first; the audit checks that
    allocated - spent - refunded summed over a campaign equals its campaign_budget account.
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="budget_allocations")
    payment_intent = models.OneToOneField(StripePaymentIntent, on_delete=models.PROTECT, related_name="allocation")
    allocated_amount = models.BigIntegerField()
    fee_amount = models.BigIntegerField()
    spent_amount = models.BigIntegerField(default=0)
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
                condition=Q(allocated_amount__gt=0, fee_amount__gte=0, spent_amount__gte=0, refunded_amount__gte=0),
                name="allocation_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(spent_amount__lte=models.F("allocated_amount")), name="allocation_spent_within_allocated"
            ),
            models.CheckConstraint(
                condition=Q(
                    spent_amount__lte=models.F("allocated_amount") - models.F("refunded_amount"),
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
        return self.allocated_amount - self.spent_amount - self.refunded_amount


class ChargeKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"


class ChargeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


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
    amount = models.BigIntegerField(help_text="Cents: budget_amount + fee_amount.")
    budget_amount = models.BigIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    stripe_fee_amount = models.BigIntegerField(default=0, help_text="Stripe's processing fee (charges).")
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    receipt_url = models.URLField(max_length=1000, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
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
                condition=Q(amount__gt=0, budget_amount__gte=0, fee_amount__gte=0)
                & Q(amount=models.F("budget_amount") + models.F("fee_amount")),
                name="advertiser_charge_amounts_add_up",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"


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
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="platform_fee_positive")]

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
            models.CheckConstraint(condition=Q(amount_spent__gte=0, fee_amount__gte=0), name="advertiser_spend_sane"),
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


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Dispute(models.Model):
    """A funding charge disputed (charged back) by the card holder. Stripe takes the disputed
    amount and its dispute fee from the platform balance when it opens: the campaign's unspent
    budget and fee cover what they can, the rest (already paid to promoters) is a platform loss.
    Won, the amounts come back; lost, they stay gone. Ledger postings `dispute-<pk>-withdrawn`
    and `dispute-<pk>-reinstated` record each move once."""

    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    charge = models.ForeignKey(AdvertiserCharge, on_delete=models.PROTECT, related_name="disputes")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="disputes")
    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes")
    status = models.CharField(max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    reason = models.CharField(max_length=60, blank=True)
    amount = models.BigIntegerField(help_text="Cents Stripe withdrew for the dispute.")
    stripe_fee = models.BigIntegerField(default=0, help_text="Stripe's dispute fee.")
    budget_covered = models.BigIntegerField(default=0)
    fee_covered = models.BigIntegerField(default=0)
    loss = models.BigIntegerField(default=0, help_text="What the campaign could not cover: a platform loss.")
    loss_recovered = models.BigIntegerField(
        default=0, help_text="Lost dispute: money that came back to the ended campaign later (refunded sales)."
    )
    currency = models.CharField(max_length=3, default="usd")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "disputes"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, budget_covered__gte=0, fee_covered__gte=0, loss__gte=0),
                name="dispute_amounts_sane",
            ),
        ]

    def __str__(self):
        return f"Dispute {self.stripe_dispute_id} {self.amount} ({self.status})"


class DisputeHold(models.Model):
    """What a dispute's hold took from one funding payment's allocation (budget and fee), so a
    won dispute gives each payment back exactly that, whatever refunds happened meanwhile."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="holds")
    allocation = models.ForeignKey(CampaignBudgetAllocation, on_delete=models.PROTECT, related_name="dispute_holds")
    budget_amount = models.BigIntegerField(default=0)
    fee_amount = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dispute_holds"
        constraints = [
            models.UniqueConstraint(fields=["dispute", "allocation"], name="dispute_hold_once_per_allocation"),
            models.CheckConstraint(
                condition=Q(budget_amount__gte=0, fee_amount__gte=0), name="dispute_hold_amounts_non_negative"
            ),
        ]

    def __str__(self):
        return f"Hold of {self.dispute_id} on allocation {self.allocation_id}: {self.budget_amount}+{self.fee_amount}"


class FeePlan(models.Model):
    """A platform fee plan (the seed's `platform_fees` "as percentage or fixed amount"): a default
    for a campaign type (no advertiser) or an advertiser's override (for one type, or every type
    when blank). Never edited: staff add a newer plan, or deactivate one; who and when are kept."""

    name = models.CharField(max_length=100)
    campaign_type = models.CharField(
        max_length=20,
        blank=True,
        choices=[
            ("visibility", "Visibility"),
            ("consultant", "Consultant"),
            ("seller", "Seller"),
            ("salesman", "Salesman"),
        ],
        help_text="Blank: every type (advertiser overrides only).",
    )
    advertiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="fee_plans"
    )
    percent_bp = models.PositiveIntegerField(default=0, help_text="Percentage in basis points: 1000 = 10%.")
    fixed_cents = models.PositiveIntegerField(
        default=0, help_text="Cents per 100 views (Visibility). Per sale or milestone: not yet supported."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "fee_plans"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(advertiser__isnull=False) | ~Q(campaign_type=""), name="fee_plan_default_names_a_type"
            ),
            models.CheckConstraint(condition=Q(percent_bp__lte=5_000), name="fee_plan_percent_at_most_half"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.fixed_cents and self.campaign_type != "visibility":
            raise ValidationError(
                {
                    "fixed_cents": "A fixed amount is charged at funding per 100 views bought, so it applies to "
                    "Visibility plans only for now."
                }
            )
        if not self.advertiser_id and not self.campaign_type:
            raise ValidationError({"campaign_type": "A default plan is for one campaign type."})


class CampaignFeeTerms(models.Model):
    """The fee plan fixed on a campaign when its funding started: later plan changes apply to
    new campaigns only."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="fee_terms")
    plan = models.ForeignKey(FeePlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    percent_bp = models.PositiveIntegerField()
    fixed_cents = models.PositiveIntegerField(default=0)
    fixed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaign_fee_terms"

    def __str__(self):
        return f"Fee terms of campaign {self.campaign_id}"


class RateBucket(models.Model):
    """One token bucket of Stripe's request budget (billing.ratelimit), shared by every process
    that calls Stripe. Rates come from settings; the row only holds the level and when it was
    last read. Unlogged (migration 0009): after a crash the buckets start full again, and
    Stripe's own 429s cover the moment that costs."""

    name = models.CharField(max_length=40, primary_key=True)
    tokens = models.FloatField()
    stamp = models.DateTimeField()

    class Meta:
        db_table = "stripe_rate_buckets"

    def __str__(self):
        return f"{self.name}: {self.tokens:.1f} tokens"
