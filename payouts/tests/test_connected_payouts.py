"""Connected accounts' payouts to their banks, as the simulator now runs them (`payout.created`,
then `payout.paid` or `payout.failed`, each with the top-level `account`): the product's handlers
take Stripe's own events, not hand-built ones."""

import json

import pytest
from django.urls import reverse

from payouts import services
from payouts.models import StripeConnectAccount
from stripe_simulator.webhooks import WebhookSignature

pytestmark = pytest.mark.django_db


def _deliver_new_events(client, stripe_sim, settings, seen: set) -> list[str]:
    """Post the simulator's events not delivered yet, signed, to the webhook; their types."""
    types = []
    for event in stripe_sim.events:
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        payload = json.dumps(event)
        header = WebhookSignature.generate_signature_header(payload, settings.STRIPE_WEBHOOK_SECRET)
        response = client.post(
            reverse("billing:stripe_webhook"),
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        assert response.status_code == 200
        types.append(event["type"])
    return types


def test_a_refused_bank_payout_is_flagged_until_the_next_one_arrives(client, promoter, stripe_sim, settings):
    account = services.connect_account_get_or_create(user=promoter)
    stripe_sim.complete_onboarding(account.stripe_account_id)
    seen = {event["id"] for event in stripe_sim.events}

    stripe_sim.add_balance(5_000, account=account.stripe_account_id)
    (created,) = stripe_sim.run_payouts()
    stripe_sim.settle_payouts(fail_accounts=[account.stripe_account_id])
    assert _deliver_new_events(client, stripe_sim, settings, seen) == ["payout.created", "payout.failed"]
    account.refresh_from_db()
    assert account.payout_failure_id == created["id"] and account.payout_failed_at is not None
    assert account.payout_failure_code == "account_closed"  # Stripe's failure_code, kept as ours
    assert account.payout_failure_text == "Bank account closed: The bank account has been closed."

    stripe_sim.run_payouts()  # the refused money came back to the balance: paid out again
    (paid,) = stripe_sim.settle_payouts()
    assert paid["status"] == "paid" and paid["automatic"] is True
    assert _deliver_new_events(client, stripe_sim, settings, seen) == ["payout.created", "payout.paid"]
    account = StripeConnectAccount.objects.get(pk=account.pk)
    assert account.payout_failure_message == "" and account.payout_failed_at is None
    assert account.payout_failure_code == ""


def test_only_accounts_that_can_be_paid_out_are(stripe_sim, stripe_client):
    ready = stripe_client.v1.accounts.create(params={"type": "express", "country": "US"})
    pending = stripe_client.v1.accounts.create(params={"type": "express", "country": "US"})
    stripe_sim.complete_onboarding(ready.id)
    for acct in (ready.id, pending.id):
        stripe_sim.add_balance(2_500, account=acct)

    payouts = stripe_sim.run_payouts()

    assert [(po["amount"], po["status"]) for po in payouts] == [(2_500, "pending")]
    assert stripe_client.v1.balance.retrieve(options={"stripe_account": ready.id}).available[0].amount == 0
