"""Webhook signing and delivery, and the test switches (HTTP and Python)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import stripe

from stripe_simulator.__main__ import parse_args


def _pay(stripe_client, pm="pm_card_visa"):
    return stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": pm, "confirm": True}
    )


def _switch(sim, path: str, data: dict | None = None, method: str = "POST"):
    req = urllib.request.Request(
        sim.base_url + path,
        data=json.dumps(data or {}).encode() if method == "POST" else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_signature_verifies_with_construct_event(stripe_client, stripe_sim, webhook_receiver):
    pi = _pay(stripe_client)
    assert stripe_sim.wait_for_webhooks()
    by_type = {r["event"]["type"]: r for r in webhook_receiver.received}
    assert {"payment_intent.succeeded", "charge.succeeded"} <= set(by_type)
    delivery = by_type["payment_intent.succeeded"]
    event = stripe.Webhook.construct_event(delivery["body"], delivery["headers"]["Stripe-Signature"], "whsec_contract")
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.id == pi.id
    assert event.data.object.latest_charge == pi.latest_charge
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery["body"], delivery["headers"]["Stripe-Signature"], "whsec_other")


def test_events_are_retrievable_via_api(stripe_client, stripe_sim):
    pi = _pay(stripe_client)
    events = stripe_client.v1.events.list(params={"type": "payment_intent.succeeded"})
    assert [e.data.object.id for e in events.data] == [pi.id]
    again = stripe_client.v1.events.retrieve(events.data[0].id)
    assert again.type == "payment_intent.succeeded"


def test_failed_payment_event(stripe_client, stripe_sim, webhook_receiver):
    with pytest.raises(stripe.CardError):
        _pay(stripe_client, "pm_card_chargeDeclinedInsufficientFunds")
    assert stripe_sim.wait_for_webhooks()
    failed = [r["event"] for r in webhook_receiver.received if r["event"]["type"] == "payment_intent.payment_failed"]
    assert failed[0]["data"]["object"]["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_delivery_is_retried_after_failures(stripe_client, stripe_sim, webhook_receiver):
    stripe_sim.configure(enabled_events=["payment_intent.succeeded"])
    webhook_receiver.fail_statuses[:] = [500, 503]
    pi = _pay(stripe_client)
    assert stripe_sim.wait_for_webhooks()
    assert [r["event"]["data"]["object"]["id"] for r in webhook_receiver.received] == [pi.id]
    [delivery] = stripe_sim.deliveries
    assert delivery["attempts"] == 3 and delivery["delivered"] is True


def test_duplicate_next_events(stripe_client, stripe_sim, webhook_receiver):
    stripe_sim.configure(enabled_events=["payment_intent.succeeded"])
    stripe_sim.duplicate_next_events(1)
    _pay(stripe_client)
    assert stripe_sim.wait_for_webhooks()
    ids = webhook_receiver.event_ids()
    assert len(ids) == 2 and ids[0] == ids[1]


def test_hold_and_release_in_reverse_order(stripe_client, stripe_sim, webhook_receiver):
    stripe_sim.configure(enabled_events=["payment_intent.succeeded"], synchronous_webhooks=True)
    stripe_sim.hold_events()
    first, second = _pay(stripe_client), _pay(stripe_client)
    assert webhook_receiver.received == []
    assert stripe_sim.release_events(reverse=True) == 2
    got = [r["event"]["data"]["object"]["id"] for r in webhook_receiver.received]
    assert got == [second.id, first.id]


def test_switches_over_http(stripe_client, stripe_sim, webhook_receiver):
    _switch(stripe_sim, "/_sim/config", {"enabled_events": ["charge.succeeded"]})
    _switch(stripe_sim, "/_sim/hold_events")
    _switch(stripe_sim, "/_sim/duplicate_next_events", {"count": 1})
    _pay(stripe_client)
    assert _switch(stripe_sim, "/_sim/release_events", {"reverse": True}) == {"released": 1}
    assert _switch(stripe_sim, "/_sim/wait", {"timeout": 5}) == {"idle": True}
    assert webhook_receiver.types() == ["charge.succeeded", "charge.succeeded"]
    listing = _switch(stripe_sim, "/_sim/events", method="GET")
    assert "payment_intent.succeeded" in [e["type"] for e in listing["events"]]
    assert len(listing["deliveries"]) == 2
    _switch(stripe_sim, "/_sim/reset")
    assert stripe_client.v1.payment_intents.list().data == []


def test_fail_next_500_then_retry_succeeds(stripe_client, stripe_sim):
    stripe_sim.fail_next(1, mode="500")
    with pytest.raises(stripe.APIError) as exc:
        stripe_client.v1.customers.create(params={"email": "a@example.com"})
    assert exc.value.http_status == 500
    assert stripe_client.v1.customers.list().data == []  # the failed request did nothing
    cus = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    assert cus.email == "a@example.com"


def test_fail_next_over_http_and_client_retries(stripe_sim):
    _switch(stripe_sim, "/_sim/fail_next", {"count": 2, "mode": "500"})
    client = stripe_sim.client(max_network_retries=2)
    assert client.v1.customers.create().id.startswith("cus_")


def test_timeout_then_retry_with_same_key_replays(stripe_sim):
    stripe_sim.configure(timeout_seconds=0.6)
    stripe_sim.fail_next(1, mode="timeout")
    slow = stripe_sim.client(http_client=stripe.RequestsClient(timeout=0.2))
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    with pytest.raises(stripe.APIConnectionError):
        slow.v1.payment_intents.create(params=params, options={"idempotency_key": "slow-1"})
    # The stalled request is still running: the same key gets 409 until it finishes...
    with pytest.raises(stripe.StripeError) as exc:
        stripe_sim.client().v1.payment_intents.create(params=params, options={"idempotency_key": "slow-1"})
    assert exc.value.http_status == 409
    # ...and then the retry replays its result instead of charging twice (the client retries 409s).
    patient = stripe_sim.client(max_network_retries=5)
    pi = patient.v1.payment_intents.create(params=params, options={"idempotency_key": "slow-1"})
    assert pi.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(stripe_sim.client().v1.payment_intents.list().data) == 1


def test_connect_events_can_go_to_their_own_endpoint(stripe_client, stripe_sim, webhook_receiver):
    stripe_sim.configure(
        webhook_url="http://127.0.0.1:9/unused",
        connect_webhook_url=webhook_receiver.url,
        connect_webhook_secret="whsec_connect",
        webhook_retry_delays=[],
    )
    acct = stripe_client.v1.accounts.create(params={"type": "express"})
    stripe_sim.complete_onboarding(acct.id)
    assert stripe_sim.wait_for_webhooks()
    [delivery] = webhook_receiver.received
    event = stripe.Webhook.construct_event(delivery["body"], delivery["headers"]["Stripe-Signature"], "whsec_connect")
    assert event.type == "account.updated" and event.account == acct.id


def test_reset_is_fast(stripe_sim, stripe_client):
    import time

    for _ in range(20):
        _pay(stripe_client)
    started = time.perf_counter()
    stripe_sim.reset()
    assert time.perf_counter() - started < 0.05
    assert stripe_client.v1.charges.list().data == []


def test_cli_reads_env(monkeypatch):
    monkeypatch.setenv("STRIPE_SIM_PORT", "12345")
    monkeypatch.setenv("STRIPE_SIM_WEBHOOK_URL", "http://127.0.0.1:8000/billing/stripe/webhook/")
    args = parse_args([])
    assert args.port == 12345 and args.webhook_url.endswith("/webhook/")
    assert parse_args(["--port", "1", "--webhook-secret", "whsec_x"]).webhook_secret == "whsec_x"


def test_in_process_transport_shares_state(stripe_sim):
    from stripe_simulator.inprocess import InProcessHTTPClient

    client = stripe.StripeClient("sk_test_inproc", http_client=InProcessHTTPClient(stripe_sim), max_network_retries=0)
    pi = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert pi.status == "succeeded"
    assert stripe_sim.client().v1.payment_intents.retrieve(pi.id).id == pi.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(params={"amount": 1, "currency": "usd", "destination": "acct_x", "x": "1"})


def test_three_d_secure_page_redirects_to_return_url(stripe_client, stripe_sim):
    from stripe_simulator.tests.test_connect_checkout import http

    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "return_url": "http://app.test/after-3ds",
        }
    )
    assert pi.next_action.type == "redirect_to_url"
    url = pi.next_action.redirect_to_url.url
    assert http(url)[0] == 200
    status, headers, _ = http(url, {"success": "true"})
    assert status == 303
    assert headers["Location"].startswith(f"http://app.test/after-3ds?payment_intent={pi.id}&")
    assert headers["Location"].endswith("&redirect_status=succeeded")
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
