"""Connect and Checkout contract: onboarding, transfers, reversals, payouts, hosted pages."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(url: str, data: dict | None = None) -> tuple[int, dict, str]:
    """GET (or POST a form) without following redirects, like a browser we can inspect."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with _opener.open(urllib.request.Request(url, data=body), timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def _express(stripe_client):
    return stripe_client.v1.accounts.create(
        params={
            "type": "express",
            "email": "promoter@example.com",
            "capabilities": {"transfers": {"requested": True}},
        }
    )


def _onboarded(stripe_client, stripe_sim):
    acct = _express(stripe_client)
    stripe_sim.complete_onboarding(acct.id)
    return acct


def _fund(stripe_client, amount=10000):
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    return pi.latest_charge


# ----------------------------------------------------------------- onboarding
def test_onboarding_page_enables_payouts_and_sends_account_updated(stripe_client, stripe_sim, webhook_receiver):
    acct = _express(stripe_client)
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == (False, False, False)
    assert acct.capabilities.transfers == "inactive"
    assert acct.requirements.currently_due

    link = stripe_client.v1.account_links.create(
        params={
            "account": acct.id,
            "type": "account_onboarding",
            "refresh_url": "http://app.test/refresh",
            "return_url": "http://app.test/return",
        }
    )
    assert link.url.startswith(stripe_sim.base_url + f"/connect/onboard/{acct.id}")
    status, _, page = http(link.url)
    assert status == 200 and "Complete onboarding" in page
    status, headers, _ = http(link.url, {})
    assert status == 303 and headers["Location"] == "http://app.test/return"
    # A used link sends the person to refresh_url, as Stripe's do.
    assert http(link.url)[1]["Location"] == "http://app.test/refresh"

    acct = stripe_client.v1.accounts.retrieve(acct.id)
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == (True, True, True)
    assert acct.capabilities.transfers == "active"
    assert acct.requirements.currently_due == []

    assert stripe_sim.wait_for_webhooks()
    [event] = [r["event"] for r in webhook_receiver.received if r["event"]["type"] == "account.updated"]
    assert event["account"] == acct.id
    assert event["data"]["previous_attributes"]["payouts_enabled"] is False


def test_account_link_for_unknown_account(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.account_links.create(
            params={"account": "acct_nope", "type": "account_onboarding", "refresh_url": "x", "return_url": "y"}
        )
    assert exc.value.code == "resource_missing"


def test_account_update_and_delete(stripe_client):
    acct = _express(stripe_client)
    acct = stripe_client.v1.accounts.update(acct.id, params={"metadata": {"user": "7"}})
    assert acct.metadata.user == "7"
    deleted = stripe_client.v1.accounts.delete(acct.id)
    assert deleted.deleted is True


# ----------------------------------------------------------------- transfers
def test_transfer_beyond_balance_needs_source_transaction(stripe_client, stripe_sim):
    acct = _onboarded(stripe_client, stripe_sim)
    charge_id = _fund(stripe_client, 10000)  # net 9680 available
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create(params={"amount": 9700, "currency": "usd", "destination": acct.id})
    assert exc.value.code == "balance_insufficient"

    tr = stripe_client.v1.transfers.create(
        params={
            "amount": 9700,
            "currency": "usd",
            "destination": acct.id,
            "source_transaction": charge_id,
            "transfer_group": "campaign_9",
        }
    )
    assert tr.destination == acct.id and tr.source_transaction == charge_id and tr.transfer_group == "campaign_9"
    assert stripe_client.v1.balance.retrieve().available[0].amount == 9680 - 9700
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": acct.id})
    assert connected.available[0].amount == 9700
    assert [t.id for t in stripe_client.v1.transfers.list(params={"transfer_group": "campaign_9"}).data] == [tr.id]


def test_transfer_within_balance(stripe_client, stripe_sim):
    acct = _onboarded(stripe_client, stripe_sim)
    _fund(stripe_client, 10000)
    tr = stripe_client.v1.transfers.create(params={"amount": 5000, "currency": "usd", "destination": acct.id})
    assert stripe_client.v1.transfers.retrieve(tr.id).amount == 5000
    assert "transfer.created" in stripe_sim.event_types()


def test_transfer_requires_amount_currency_destination(stripe_client):
    for missing in ("amount", "currency", "destination"):
        params = {"amount": 100, "currency": "usd", "destination": "acct_x"}
        del params[missing]
        with pytest.raises(stripe.InvalidRequestError) as exc:
            stripe_client.v1.transfers.create(params=params)
        assert (exc.value.code, exc.value.param) == ("parameter_missing", missing)


def test_transfer_to_account_without_active_transfers_capability(stripe_client):
    acct = _express(stripe_client)
    _fund(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": acct.id})
    assert exc.value.code == "insufficient_capabilities_for_transfer"


def test_transfer_reversal(stripe_client, stripe_sim):
    acct = _onboarded(stripe_client, stripe_sim)
    _fund(stripe_client)
    tr = stripe_client.v1.transfers.create(params={"amount": 3000, "currency": "usd", "destination": acct.id})
    rev = stripe_client.v1.transfers.reversals.create(tr.id, params={"amount": 1000})
    assert rev.transfer == tr.id and rev.amount == 1000
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(tr.id, params={"amount": 2001})
    listed = stripe_client.v1.transfers.reversals.list(tr.id)
    assert [r.id for r in listed.data] == [rev.id]
    tr = stripe_client.v1.transfers.retrieve(tr.id)
    assert (tr.amount_reversed, tr.reversed) == (1000, False)
    assert "transfer.reversed" in stripe_sim.event_types()


def test_refund_does_not_reverse_transfers(stripe_client, stripe_sim):
    acct = _onboarded(stripe_client, stripe_sim)
    charge_id = _fund(stripe_client, 5000)
    stripe_client.v1.transfers.create(
        params={"amount": 4000, "currency": "usd", "destination": acct.id, "source_transaction": charge_id}
    )
    stripe_client.v1.refunds.create(params={"charge": charge_id})
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": acct.id})
    assert connected.available[0].amount == 4000


# ----------------------------------------------------------------- payouts
def test_failed_payout_event_carries_account(stripe_client, stripe_sim, webhook_receiver):
    acct = _onboarded(stripe_client, stripe_sim)
    _fund(stripe_client)
    stripe_client.v1.transfers.create(params={"amount": 2000, "currency": "usd", "destination": acct.id})
    po = stripe_client.v1.payouts.create(
        params={"amount": 2000, "currency": "usd"}, options={"stripe_account": acct.id}
    )
    failed = stripe_sim.fail_payout(acct.id)
    assert failed["id"] == po.id and failed["status"] == "failed"
    assert stripe_sim.wait_for_webhooks()
    [event] = [r["event"] for r in webhook_receiver.received if r["event"]["type"] == "payout.failed"]
    assert event["account"] == acct.id and event["data"]["object"]["id"] == po.id
    # The money comes back to the connected account.
    connected = stripe_client.v1.balance.retrieve(options={"stripe_account": acct.id})
    assert connected.available[0].amount == 2000


def test_unknown_stripe_account_header(stripe_client):
    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.balance.retrieve(options={"stripe_account": "acct_unknown"})


# ----------------------------------------------------------------- checkout
def _session(stripe_client, **extra):
    params = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Budget"}}, "quantity": 2}
        ],
        "success_url": "http://app.test/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.test/cancelled",
        "payment_intent_data": {"transfer_group": "campaign_3", "metadata": {"campaign": "3"}},
        "metadata": {"campaign": "3"},
    }
    params.update(extra)
    return stripe_client.v1.checkout.sessions.create(params=params)


def test_checkout_payment_flow(stripe_client, stripe_sim, webhook_receiver):
    cs = _session(stripe_client)
    assert cs.status == "open" and cs.amount_total == 5000 and cs.payment_intent is None
    assert cs.url == f"{stripe_sim.base_url}/checkout/{cs.id}"
    status, _, page = http(cs.url)
    assert status == 200 and "50.00 USD" in page

    status, headers, _ = http(cs.url + "/pay", {"card_number": "4242 4242 4242 4242", "email": "a@example.com"})
    assert status == 303
    assert headers["Location"] == f"http://app.test/ok?session_id={cs.id}"

    cs = stripe_client.v1.checkout.sessions.retrieve(cs.id, params={"expand": ["payment_intent"]})
    assert (cs.status, cs.payment_status) == ("complete", "paid")
    assert cs.payment_intent.status == "succeeded"
    assert cs.payment_intent.transfer_group == "campaign_3"
    assert cs.payment_intent.metadata.campaign == "3"
    items = stripe_client.v1.checkout.sessions.line_items.list(cs.id)
    assert items.data[0].quantity == 2 and items.data[0].amount_total == 5000

    assert stripe_sim.wait_for_webhooks()
    completed = [r["event"] for r in webhook_receiver.received if r["event"]["type"] == "checkout.session.completed"]
    assert completed and completed[0]["data"]["object"]["id"] == cs.id


def test_checkout_declined_card_keeps_session_open(stripe_client):
    cs = _session(stripe_client)
    status, _, page = http(cs.url + "/pay", {"card_number": "4000000000000002"})
    assert status == 402 and "declined" in page
    assert stripe_client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    status, _, _ = http(cs.url + "/pay", {"card_number": "4242424242424242"})
    assert status == 303
    assert stripe_client.v1.checkout.sessions.retrieve(cs.id).payment_status == "paid"


def test_checkout_cancel_redirects(stripe_client):
    cs = _session(stripe_client)
    status, headers, _ = http(cs.url + "/cancel", {})
    assert status == 303 and headers["Location"] == "http://app.test/cancelled"
    assert stripe_client.v1.checkout.sessions.retrieve(cs.id).status == "open"


def test_checkout_setup_mode(stripe_client, stripe_sim):
    cus = stripe_client.v1.customers.create()
    cs = stripe_client.v1.checkout.sessions.create(
        params={"mode": "setup", "customer": cus.id, "currency": "usd", "success_url": "http://app.test/ok"}
    )
    stripe_sim.pay_checkout_session(cs.id)
    cs = stripe_client.v1.checkout.sessions.retrieve(cs.id)
    si = stripe_client.v1.setup_intents.retrieve(cs.setup_intent)
    assert si.status == "succeeded"
    assert stripe_client.v1.payment_methods.retrieve(si.payment_method).customer == cus.id


def test_checkout_needs_line_items_in_payment_mode(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "http://x"})
    assert exc.value.param == "line_items"
