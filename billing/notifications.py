"""What billing tells advertisers. Called inside the transaction that records the event, so a
rollback sends nothing; `notify` stores each (user, event_key) once."""

from django.urls import reverse

from accounts.models import NotificationKind
from accounts.notifications import notify
from billing.models import AdvertiserCharge
from campaignplatform.money import dollars


def refund_issued(*, row: AdvertiserCharge) -> None:
    """Stripe confirmed the refund. One per refund row: its pending -> succeeded move happens once,
    and a replayed webhook or retried task finds the same key."""
    parts = [f"{dollars(row.budget_amount)} of unused budget"]
    if row.fee_amount:
        parts.append(f"{dollars(row.fee_amount)} of unused platform fee")
    card = row.payment_method_label or "the card you paid with"
    notify(
        user=row.advertiser,
        kind=NotificationKind.REFUND_ISSUED,
        title=f"Refund of {dollars(row.amount)} for “{row.campaign.title}”",
        body=(
            f"We refunded {' and '.join(parts)} of “{row.campaign.title}” to {card}. "
            "Banks usually show a refund within 5 to 10 business days."
        ),
        url=reverse("billing:receipt", args=[row.public_id]),
        event_key=f"refund:{row.pk}:issued",
    )
