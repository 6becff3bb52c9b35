"""Disputes on funding charges and what their holds took from each payment."""

from django.conf import settings
from django.db import models

from billing.models.charges import AdvertiserCharge
from billing.models.payments import CampaignBudgetAllocation
from campaignplatform.constraints import amounts_check


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
            amounts_check(
                name="dispute_amounts_sane",
                positive=("amount",),
                non_negative=("budget_covered", "fee_covered", "loss"),
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
            amounts_check(name="dispute_hold_amounts_non_negative", non_negative=("budget_amount", "fee_amount")),
        ]

    def __str__(self):
        return f"Hold of {self.dispute_id} on allocation {self.allocation_id}: {self.budget_amount}+{self.fee_amount}"
