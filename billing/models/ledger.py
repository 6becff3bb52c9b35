"""The ledger: accounts and immutable double-entry transactions (the table PostgreSQL refuses to change)."""

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
