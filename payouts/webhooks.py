"""Connect events. Each is a trigger: the handler re-reads the object from Stripe (events
arrive late, twice and out of order) and is idempotent. Called outside any transaction."""

from billing.webhooks import register
from payouts import services


@register("account.updated")
def account_updated(event: dict) -> None:
    services.connect_account_refresh(stripe_account_id=event["data"]["object"]["id"])


@register("transfer.reversed")
def transfer_reversed(event: dict) -> None:
    services.transfer_reversed(stripe_transfer_id=event["data"]["object"]["id"])


@register("payout.failed")
def payout_failed(event: dict) -> None:
    payout = event["data"]["object"]
    services.payout_failed(
        stripe_account_id=event.get("account") or "",
        failure_code=payout.get("failure_code") or "",
        failure_message=payout.get("failure_message") or "",
        payout_id=payout.get("id") or "",
        created=payout.get("created"),
    )


@register("payout.paid")
def payout_paid(event: dict) -> None:
    payout = event["data"]["object"]
    services.payout_paid(
        stripe_account_id=event.get("account") or "", payout_id=payout.get("id") or "", created=payout.get("created")
    )
