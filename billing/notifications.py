"""What billing tells advertisers. Called inside the transaction that records the event, so a
rollback sends nothing; `notify` stores each (user, event_key) once."""

from django.urls import reverse

from accounts.models import NotificationKind
from accounts.notifications import notify
from billing.models import AdvertiserCharge, StripePaymentIntent
from campaignplatform.money import dollars


def refund_issued(*, row: AdvertiserCharge) -> None:
    """Stripe confirmed the refund. One per refund row: its pending -> succeeded move happens once,
    and a replayed webhook or retried task finds the same key."""
    parts = [f"{dollars(row.budget_amount)} of unused budget"]
    if row.fee_amount:
        parts.append(f"{dollars(row.fee_amount)} of unused platform fee")
    if row.fee_reserve_amount:
        parts.append(f"{dollars(row.fee_reserve_amount)} of unused milestone fees")
    body_parts = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    card = row.payment_method_label or "the card you paid with"
    notify(
        user=row.advertiser,
        kind=NotificationKind.REFUND_ISSUED,
        title=f"Refund of {dollars(row.amount)} for “{row.campaign.title}”",
        body=(
            f"We refunded {body_parts} of “{row.campaign.title}” to {card}. "
            "Banks usually show a refund within 5 to 10 business days."
        ),
        url=reverse("billing:receipt", args=[row.public_id]),
        event_key=f"refund:{row.pk}:issued",
    )


def bank_payment_failed(*, intent: StripePaymentIntent) -> None:
    """A bank debit that was processing came back unpaid: nothing was funded, and the advertiser
    can pay another way. Once per payment, however often Stripe tells us."""
    notify(
        user=intent.advertiser,
        kind=NotificationKind.PAYMENT_FAILED,
        title=f"Your bank payment of {dollars(intent.amount)} for “{intent.campaign.title}” failed",
        body=(
            f"Your bank did not pay the {dollars(intent.amount)} for “{intent.campaign.title}”: "
            f"{intent.failure_reason or 'it gave no reason'}. Nothing was funded or spent. Pay with a card or "
            "another bank account to fund the campaign."
        ),
        url=reverse("billing:fund", args=[intent.campaign.public_id]),
        event_key=f"payment:{intent.pk}:bank-failed",
    )
