"""What billing tells advertisers. Called inside the transaction that records the event, so a
rollback sends nothing; `notify` stores each (user, event_key) once."""

from django.urls import reverse

from accounts.models import NotificationKind
from accounts.notifications import notify
from billing.models import AdvertiserCharge, Dispute, StripePaymentIntent
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
            f"{intent.failure_text or 'it gave no reason'}. Nothing was funded or spent. Pay with a card or "
            "another bank account to fund the campaign."
        ),
        url=reverse("billing:fund", args=[intent.campaign.public_id]),
        event_key=f"payment:{intent.pk}:bank-failed",
    )


# --- Disputes: each stage told once (the dispute row's stage names the event) ---------------------


def dispute_opened(*, dispute: Dispute, campaign, held: int) -> None:
    _about_dispute(
        dispute,
        campaign,
        "opened",
        title=f"A payment for “{campaign.title}” is disputed",
        body=(
            f"Your card issuer disputed a payment of {dollars(dispute.amount)} for “{campaign.title}”. "
            f"The card network has taken it back while the dispute is reviewed, so "
            f"{dollars(held)} of the campaign's unspent budget and fee is held "
            "against it and the campaign is paused. We will tell you how the dispute ends."
        ),
    )


def dispute_won(*, dispute: Dispute, campaign, resumed: bool) -> None:
    _about_dispute(
        dispute,
        campaign,
        "won",
        title=f"The dispute on “{campaign.title}” was won",
        body=(
            f"The dispute of {dollars(dispute.amount)} was decided in your favour: the held "
            f"{dollars(dispute.budget_covered + dispute.fee_covered)} is back in “{campaign.title}”"
            + (" and the campaign runs again." if resumed else ".")
            + f" Stripe keeps its dispute fee of {dollars(dispute.stripe_fee)}."
        ),
    )


def dispute_lost(*, dispute: Dispute, campaign) -> None:
    _about_dispute(
        dispute,
        campaign,
        "lost",
        title=f"The dispute on “{campaign.title}” was lost",
        body=(
            f"The card issuer kept the disputed {dollars(dispute.amount)}. The "
            f"{dollars(dispute.budget_covered + dispute.fee_covered)} of unspent budget and fee held against "
            f"it paid for it; promoters keep what they earned. The campaign stays paused."
        ),
    )


def _about_dispute(dispute: Dispute, campaign, stage: str, *, title: str, body: str) -> None:
    url, event_key = reverse("campaigns:advertiser_detail", args=[campaign.public_id]), f"dispute:{dispute.pk}:{stage}"
    kind = NotificationKind.PAYMENT_DISPUTED
    notify(user=campaign.advertiser, kind=kind, title=title, body=body, url=url, event_key=event_key)
