"""Commission deductions: refunded sales taken back from what the promoter is owed."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from campaignplatform.money import dollars
from payouts.services.base import promoter_notify

logger = logging.getLogger(__name__)


# A sale refunded after its commission left the promoter's pending earnings leaves tracking's
# CommissionDeduction (applied_at null). The close takes it from the promoter's next earnings,
# their pending balance, through billing's spend reversal: the commission goes back to the
# campaign budget and its fee share back to the fee held, with billing's allocation, daily
# spend and participation figures, exactly as for a refund before payout. A deduction the
# pending balance cannot cover yet is carried: what pending holds stays there (kept out of the
# release, so it is not paid out meanwhile) until the next close can take it in full. A wallet
# never goes negative: the reversal refuses to overdraw the pending account.


def deductions_outstanding() -> dict:
    """{(promoter id, currency): cents of refunded sales' commissions not taken back yet}."""
    from tracking.models import CommissionDeduction

    return {
        (promoter_id, currency): total
        for promoter_id, currency, total in CommissionDeduction.objects.filter(applied_at__isnull=True)
        .values_list("promoter_id", "currency")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    }


def deductions_apply() -> tuple[int, int]:
    """Apply every outstanding deduction the promoter's pending earnings cover, oldest first.
    Returns (deductions, cents) applied by this call; safe to run twice or at once."""
    from tracking.models import CommissionDeduction

    applied = cents = 0
    for pk in (
        CommissionDeduction.objects.filter(applied_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    ):
        amount = deduction_apply(deduction_id=pk)
        if amount:
            applied += 1
            cents += amount
    return applied, cents


def deduction_apply(*, deduction_id: int) -> int:
    """Take one deduction from the promoter's pending earnings if they cover it; returns the
    cents taken (0 when already applied or not covered yet)."""
    from billing.services import campaign_budget_spend_reverse
    from tracking.models import CommissionDeduction

    with transaction.atomic(durable=True):
        # The deduction row is the claim: a concurrent close waits here, then sees applied_at.
        deduction = (
            CommissionDeduction.objects.select_for_update(of=("self",))
            .select_related("promoter", "campaign", "sale")
            .get(pk=deduction_id)
        )
        if deduction.applied_at is not None:
            return 0
        try:
            with transaction.atomic():
                campaign_budget_spend_reverse(
                    campaign=deduction.campaign,
                    promoter=deduction.promoter,
                    spend_idempotency_key=f"sale-commission-{deduction.sale_id}",
                    idempotency_key=f"deduction-{deduction.pk}",
                    memo=f"Refunded order {deduction.sale.order_id}: commission taken from later earnings"[:300],
                )
        except ledger.InsufficientFunds:
            return 0  # carried: pending earnings do not cover it yet
        except ValueError:
            logger.exception("commission deduction %s has no commission posting to reverse", deduction.pk)
            return 0
        CommissionDeduction.objects.filter(pk=deduction.pk).update(applied_at=timezone.now())
        promoter_notify(
            deduction.promoter,
            kind="commission_deduction",
            title="A refunded sale's commission was deducted",
            body=f"Order {deduction.sale.order_id} was refunded after its commission was paid, so "
            f"{dollars(deduction.amount_cents)} was taken from your new earnings.",
            event_key=f"deduction-applied-{deduction.pk}",
            url=reverse("payouts:wallet"),
        )
    return deduction.amount_cents
