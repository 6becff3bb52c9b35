"""Money out: Connect accounts, wallets, transfers, the monthly close and its statements.

Amounts are integer cents. Wallet figures are projections of the promoter's ledger accounts
(billing.ledger), written only by `payouts.services.wallets_sync` inside a ledger posting.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Role
from campaignplatform.constraints import amounts_check
from campaignplatform.reasons import code_of, reason_text


class BankPayoutFailure(models.TextChoices):
    """Why the promoter's bank refused a payout from their Stripe account: Stripe's payout
    `failure_code`, where we know it. Stripe's message stays in `payout_failure_message`."""

    ACCOUNT_CLOSED = "account_closed", "Bank account closed"
    NO_ACCOUNT = "no_account", "Bank account not found"
    INVALID_ACCOUNT_NUMBER = "invalid_account_number", "Invalid account number"
    ACCOUNT_FROZEN = "account_frozen", "Bank account frozen"
    BANK_ACCOUNT_RESTRICTED = "bank_account_restricted", "Bank account restricted"
    INVALID_CURRENCY = "invalid_currency", "The bank account cannot take this currency"
    DECLINED = "declined", "The bank declined the payout"
    COULD_NOT_PROCESS = "could_not_process", "The bank could not process the payout"
    OTHER = "other", "Other"


def bank_payout_failure_code(stripe_code: str) -> str:
    """The BankPayoutFailure for Stripe's payout failure code (OTHER for one we do not know)."""
    return code_of(BankPayoutFailure, stripe_code)


class StripeConnectAccount(models.Model):
    """A promoter's Stripe Express account: where their money goes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connect_account")
    stripe_account_id = models.CharField(max_length=64, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False, help_text="The `transfers` capability is active.")
    requirements_currently_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=120, blank=True)
    # A bank payout from the Stripe account that failed (payout.failed), kept until a later
    # payout arrives (payout.paid); apart from disabled_reason, which account.updated rewrites.
    payout_failure_code = models.CharField(
        max_length=30, choices=BankPayoutFailure.choices, blank=True, help_text="Empty: no refused payout."
    )
    payout_failure_message = models.CharField(max_length=300, blank=True, help_text="Stripe's message, for people.")
    payout_failure_id = models.CharField(max_length=64, blank=True)
    payout_failed_at = models.DateTimeField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "stripe_connect_accounts"
        permissions = [
            ("refresh_connect_account", "Can re-read a Connect account from Stripe"),
        ]

    def __str__(self):
        return f"{self.stripe_account_id} ({self.user})"

    @property
    def can_receive_money(self):
        """No money goes to an account that cannot pass it on to the promoter's bank."""
        return self.payouts_enabled and self.transfers_active

    @property
    def payout_failure_text(self):
        """Why the bank refused the payout, as people read it (the code's label and Stripe's message)."""
        return reason_text(BankPayoutFailure, self.payout_failure_code, self.payout_failure_message)

    @property
    def disabled_reason_text(self):
        """Stripe's `requirements.disabled_reason` code as a sentence; empty when there is none."""
        if not self.disabled_reason:
            return ""
        return DISABLED_REASON_LABELS.get(
            self.disabled_reason, "Stripe has paused this account; continue at Stripe to see what it needs."
        )

    def missing_items(self):
        """Stripe's requirement codes in words a promoter understands, each said once."""
        labels = (
            REQUIREMENT_LABELS.get(code, code.replace("_", " ").replace(".", ": "))
            for code in self.requirements_currently_due
        )
        return list(dict.fromkeys(labels))


DISABLED_REASON_LABELS = {
    "requirements.past_due": "Stripe needs the details below before it can send you money.",
    "requirements.pending_verification": "Stripe is checking the details you sent; this usually takes a few minutes.",
    "action_required.requested_capabilities": "Stripe needs you to confirm a few details to receive payments.",
    "under_review": "Stripe is reviewing your account.",
    "listed": "Stripe is reviewing your account.",
    "platform_paused": "Payouts to this account are paused; contact support.",
    "rejected.fraud": "Stripe closed this account; contact support.",
    "rejected.incomplete_verification": "Stripe closed this account: verification was not finished; contact support.",
    "rejected.listed": "Stripe closed this account; contact support.",
    "rejected.terms_of_service": "Stripe closed this account; contact support.",
    "rejected.other": "Stripe closed this account; contact support.",
    "other": "Stripe has paused this account; continue at Stripe to see what it needs.",
}

REQUIREMENT_LABELS = {
    "external_account": "a bank account for payouts",
    "individual.verification.document": "an identity document",
    "individual.id_number": "your national ID / tax number",
    "individual.ssn_last_4": "the last four digits of your SSN",
    "individual.dob.day": "your date of birth",
    "individual.dob.month": "your date of birth",
    "individual.dob.year": "your date of birth",
    "individual.address.line1": "your address",
    "individual.address.city": "your address",
    "individual.address.postal_code": "your address",
    "individual.first_name": "your first name",
    "individual.last_name": "your last name",
    "individual.email": "your email address",
    "individual.phone": "your phone number",
    "business_profile.url": "your website or social profile",
    "business_profile.mcc": "what you do (business category)",
    "tos_acceptance.date": "accepting Stripe's terms",
    "tos_acceptance.ip": "accepting Stripe's terms",
}


class PayoutHoldReason(models.TextChoices):
    """Why staff hold a promoter's payouts. Rules read the code; the note is staff's words,
    which the promoter reads too."""

    FRAUD_REVIEW = "fraud_review", "Suspicious activity under review"
    CHARGEBACK_REVIEW = "chargeback_review", "Chargebacks or refunds under review"
    IDENTITY_CHECK = "identity_check", "Identity check"
    TERMS_REVIEW = "terms_review", "Terms of service review"
    PROMOTER_REQUEST = "promoter_request", "Held at the promoter's request"
    OTHER = "other", "Other"


class Wallet(models.Model):
    """The seed's `wallets`: what the platform owes a promoter, by stage."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet")
    currency = models.CharField(max_length=3, default="usd")
    pending_balance = models.BigIntegerField(default=0, help_text="Earned this period or in a holding period.")
    current_balance = models.BigIntegerField(default=0, help_text="Payable at the next payout run.")
    direct_balance = models.BigIntegerField(default=0, help_text="Consultant/Seller payments not yet transferred.")
    direct_paid_total = models.BigIntegerField(default=0, help_text="Consultant/Seller payments transferred so far.")
    paid_out_total = models.BigIntegerField(default=0, help_text="Monthly payouts transferred so far.")
    minimum_threshold = models.BigIntegerField(default=2000)
    payout_hold = models.BooleanField(default=False, help_text="Skip this wallet in payout runs (under review).")
    payout_hold_reason_code = models.CharField(
        max_length=20,
        choices=PayoutHoldReason.choices,
        blank=True,
        verbose_name="hold reason",
        help_text="Why the payouts are held; empty when they are not.",
    )
    payout_hold_reason = models.CharField(
        max_length=300, blank=True, verbose_name="hold note", help_text="Staff's note; the promoter reads it."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "wallets"
        permissions = [
            ("hold_payouts", "Can hold or release a promoter's payouts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(pending_balance__gte=0, current_balance__gte=0, direct_balance__gte=0)
                & Q(direct_paid_total__gte=0, paid_out_total__gte=0),
                name="wallet_figures_non_negative",
            ),
            amounts_check(name="wallet_threshold_non_negative", non_negative=("minimum_threshold",)),
        ]

    def __str__(self):
        return f"Wallet of {self.user}"

    @property
    def payout_hold_text(self):
        """Why the payouts are held, as people read it (the code's label and staff's note)."""
        return reason_text(PayoutHoldReason, self.payout_hold_reason_code, self.payout_hold_reason)

    @property
    def total_owed(self):
        return self.pending_balance + self.current_balance + self.direct_balance

    @property
    def threshold_progress_percent(self):
        if not self.minimum_threshold:
            return 100
        return min(100, self.current_balance * 100 // self.minimum_threshold)

    @property
    def short_of_threshold(self):
        return max(0, self.minimum_threshold - self.current_balance)


class TransferKind(models.TextChoices):
    IMMEDIATE = "immediate", "Consultant/Seller payment"
    PAYOUT = "payout", "Monthly payout"


class TransferStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Sent"
    FAILED = "failed", "Failed"
    REVERSED = "reversed", "Reversed"


class TransferFailure(models.TextChoices):
    """Why a transfer (and the payout it carries) was not sent, or was taken back: Stripe's
    error code where we know it, or what the platform saw. Stripe's message stays in
    `failure_reason`."""

    BALANCE_INSUFFICIENT = "balance_insufficient", "The platform's Stripe balance is too low"
    INSUFFICIENT_CAPABILITIES = (
        "insufficient_capabilities_for_transfer",
        "The payout account cannot receive transfers yet",
    )
    ACCOUNT_INVALID = "account_invalid", "The payout account cannot be used"
    RESOURCE_MISSING = "resource_missing", "Stripe does not know the payout account or the payment"
    AMOUNT_TOO_LARGE = "amount_too_large", "Above Stripe's largest transfer"
    STRIPE_UNAVAILABLE = "stripe_unavailable", "Stripe could not be reached"
    TRANSFER_REVERSED = "transfer_reversed", "Stripe reversed the transfer"
    NOT_SENT_AGAIN = "not_sent_again", "The returned payment was not sent again"
    OTHER = "other", "Other"


def transfer_failure_code(stripe_code: str, *, unavailable: bool = False) -> str:
    """The TransferFailure for Stripe's error code (`unavailable`: Stripe was not reached or
    failed on its side, so the request may be sent again)."""
    return TransferFailure.STRIPE_UNAVAILABLE if unavailable else code_of(TransferFailure, stripe_code)


class StripeTransfer(models.Model):
    """The seed's `stripe_transfers`: one Stripe transfer to a promoter's Connect account.

    Written as `pending` and committed before Stripe is called; the idempotency key comes from
    this row, so a retry after a timeout can never pay twice.
    """

    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_transfers")
    kind = models.CharField(max_length=20, choices=TransferKind.choices)
    status = models.CharField(max_length=20, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    idempotency_key = models.CharField(max_length=200, unique=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_transfers"
    )
    work = models.OneToOneField(
        "campaigns.CampaignWork", on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_transfer"
    )
    payout_record = models.OneToOneField(
        "PayoutRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_transfer"
    )
    # A reversed immediate payment is sent again as a new row (its own idempotency key: Stripe
    # would replay the reversed transfer for the old one); the work stays on the first row.
    resend_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="resent_as")
    transfer_group = models.CharField(max_length=100, blank=True)
    source_transaction = models.CharField(max_length=64, blank=True, help_text="Funding charge id.")
    destination = models.CharField(max_length=64, blank=True)
    stripe_transfer_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    failure_reason_code = models.CharField(
        max_length=40, choices=TransferFailure.choices, blank=True, help_text="Why it failed or was taken back."
    )
    failure_reason = models.CharField(max_length=500, blank=True, help_text="Stripe's message, for people.")
    attempts = models.PositiveIntegerField(default=0)
    amount_reversed = models.BigIntegerField(default=0, help_text="Cents Stripe took back (partial or full).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "stripe_transfers"
        ordering = ["-created_at"]
        constraints = [
            amounts_check(name="stripe_transfer_amount_positive", positive=("amount",)),
            models.CheckConstraint(
                condition=Q(kind="immediate", work__isnull=False, resend_of__isnull=True)
                | Q(kind="immediate", work__isnull=True, resend_of__isnull=False)
                | Q(kind="payout", payout_record__isnull=False, resend_of__isnull=True),
                name="stripe_transfer_serves_one_row",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} to {self.promoter} ({self.status})"

    @property
    def failure_text(self):
        """Why it failed or was taken back, as people read it (the code's label and the message)."""
        return reason_text(TransferFailure, self.failure_reason_code, self.failure_reason)

    def first_send(self) -> StripeTransfer:
        """The row this payment was first sent as (itself unless it is a resend)."""
        transfer = self
        while transfer.resend_of_id:
            transfer = transfer.resend_of
        return transfer

    def sends(self) -> int:
        """How many times this payment has been sent, counting this row."""
        return 1 + (self.resend_of.sends() if self.resend_of_id else 0)


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    REVERSED = "reversed", "Reversed"


class PayoutRecord(models.Model):
    """The seed's `payout_records`: one monthly payout per promoter and period, at most."""

    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_records")
    period = models.DateField(help_text="First day of the month the payout closes.")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=20, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    failure_reason_code = models.CharField(
        max_length=40, choices=TransferFailure.choices, blank=True, help_text="Its transfer's failure, if any."
    )
    failure_reason = models.CharField(max_length=500, blank=True, help_text="Stripe's message, for people.")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payout_records"
        permissions = [
            ("retry_payout", "Can retry a failed payout or transfer"),
        ]
        ordering = ["-period", "promoter_id"]
        constraints = [
            models.UniqueConstraint(fields=["promoter", "period"], name="payout_once_per_promoter_and_period"),
            amounts_check(name="payout_amount_positive", positive=("amount",)),
        ]

    def __str__(self):
        return f"Payout {self.period:%Y-%m} {self.amount} to {self.promoter} ({self.status})"

    @property
    def failure_text(self):
        """Why it was not sent, as people read it (the code's label and Stripe's message)."""
        return reason_text(TransferFailure, self.failure_reason_code, self.failure_reason)


class PeriodClose(models.Model):
    """One row per closed month: makes the close idempotent and records when it ran."""

    period = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    summarised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "period_closes"

    def __str__(self):
        return f"Close of {self.period:%Y-%m}"


# A statement is an advertiser's or a promoter's: the role of the user it is for.
SummaryRole = Role


class BillingPeriodSummary(models.Model):
    """The seed's `billing_period_summaries`: a month's statement figures for one user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="period_summaries")
    role = models.CharField(max_length=20, choices=SummaryRole.choices)
    period = models.DateField()
    currency = models.CharField(max_length=3, default="usd")
    # Advertisers
    funded = models.BigIntegerField(default=0)
    spent = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    # Promoters
    earned_visibility = models.BigIntegerField(default=0)
    earned_consultant = models.BigIntegerField(default=0)
    earned_seller = models.BigIntegerField(default=0)
    earned_salesman = models.BigIntegerField(default=0)
    paid_out = models.BigIntegerField(default=0)
    carried_forward = models.BigIntegerField(default=0)
    short_of_threshold = models.BigIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True, help_text="Why money was carried forward.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "billing_period_summaries"
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="billing_summary_once_per_user_and_period"),
        ]

    def __str__(self):
        return f"{self.get_role_display()} statement {self.period:%Y-%m} for {self.user}"

    @property
    def earned_total(self):
        return self.earned_visibility + self.earned_consultant + self.earned_seller + self.earned_salesman


class PromoterBalance(models.Model):
    """The seed's `promoter_balances`: a snapshot of a wallet at a moment (e.g. each close)."""

    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="balance_snapshots")
    period = models.DateField(null=True, blank=True)
    pending_balance = models.BigIntegerField()
    current_balance = models.BigIntegerField()
    direct_balance = models.BigIntegerField()
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "promoter_balances"
        ordering = ["-taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["promoter", "period"], name="promoter_balance_once_per_period"),
        ]

    def __str__(self):
        return f"{self.promoter} at {self.taken_at:%Y-%m-%d}"

    @property
    def total(self):
        return self.pending_balance + self.current_balance + self.direct_balance


class PayoutRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"


class PayoutRun(models.Model):
    """The payout run of one period as staff watch it: what was sent, what is left, and when it
    should end. Stripe's rate limit makes a big run last about an hour (70,000 transfers at 25 a
    second), sent in slices by successive worker tasks; `lease_until` lets one of them send at a
    time and lets the schedule take over a slice whose worker died."""

    period = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=PayoutRunStatus.choices, default=PayoutRunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0, help_text="Transfers Stripe accepted in this run.")
    sent_cents = models.BigIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0, help_text="Refused by Stripe (retried by the schedule).")
    left = models.PositiveIntegerField(default=0, help_text="Payouts not sent yet.")
    rate_limited = models.PositiveIntegerField(default=0, help_text="429 answers from Stripe, waited out.")
    slice_started_at = models.DateTimeField(null=True, blank=True)
    slice_sent = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payout_runs"
        ordering = ["-period"]

    def __str__(self):
        return f"Payout run {self.period:%Y-%m} ({self.status})"

    @property
    def per_second(self) -> float:
        """Transfers a second in the current (or last) slice."""
        if not self.slice_started_at or not self.slice_sent:
            return 0.0
        elapsed = (self.updated_at - self.slice_started_at).total_seconds()
        return self.slice_sent / elapsed if elapsed > 0 else 0.0

    @property
    def expected_finish(self):
        """When the run should end at its current pace; None when finished or not measured yet."""
        if self.status == PayoutRunStatus.FINISHED:
            return self.finished_at
        rate = self.per_second
        if not rate:
            return None
        return self.updated_at + datetime.timedelta(seconds=self.left / rate)
