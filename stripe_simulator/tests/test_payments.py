"""Payments contract: validation, cards, intents, refunds, balance — via the real stripe client."""

from __future__ import annotations

import time

import pytest
import stripe


def test_unknown_parameter_is_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "colour": "red"})
    err = exc.value
    assert err.http_status == 400
    assert err.code == "parameter_unknown"
    assert err.param == "colour"
    assert err.user_message == "Received unknown parameter: colour"


def test_missing_required_parameter(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.payment_intents.create(params={"amount": 1000})
    assert exc.value.code == "parameter_missing"
    assert exc.value.param == "currency"


def test_invalid_api_key_is_401(stripe_sim):
    client = stripe_sim.client(api_key="sk_live_nope_1234567890")
    with pytest.raises(stripe.AuthenticationError) as exc:
        client.v1.customers.list()
    assert exc.value.http_status == 401


def test_unknown_resource_is_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.customers.retrieve("cus_missing")
    assert exc.value.http_status == 404
    assert exc.value.code == "resource_missing"


def test_customer_update_merges_metadata_and_lists_paginate(stripe_client):
    ids = [stripe_client.v1.customers.create(params={"metadata": {"n": str(i)}}).id for i in range(3)]
    first = stripe_client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in first.data] == ids[::-1][:2]
    assert first.has_more is True
    rest = stripe_client.v1.customers.list(params={"limit": 2, "starting_after": first.data[-1].id})
    assert [c.id for c in rest.data] == [ids[0]] and rest.has_more is False
    cus = stripe_client.v1.customers.update(ids[0], params={"metadata": {"n": "", "k": "v"}, "name": "Ann"})
    assert cus.metadata.to_dict() == {"k": "v"} and cus.name == "Ann"


def test_successful_payment_creates_charge_and_fee(stripe_client, stripe_sim):
    cus = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    started = time.perf_counter()
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "usd",
            "customer": cus.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "transfer_group": "campaign_1",
            "metadata": {"campaign": "1"},
            "description": "Budget",
        }
    )
    assert time.perf_counter() - started < 0.5
    assert pi.status == "succeeded" and pi.amount_received == 1500
    assert isinstance(pi.latest_charge, str) and pi.latest_charge.startswith("ch_")
    ch = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert ch.transfer_group == "campaign_1" and ch.metadata.to_dict() == {"campaign": "1"}
    assert ch.payment_intent == pi.id and ch.paid and ch.status == "succeeded"
    txn = stripe_client.v1.balance_transactions.retrieve(ch.balance_transaction)
    # 2.9% of 1500 = 43.5 -> 44 (half up) + 30
    assert (txn.fee, txn.net, txn.type) == (74, 1426, "charge")
    assert txn.fee_details[0].type == "stripe_fee"
    bal = stripe_client.v1.balance.retrieve()
    assert bal.available[0].amount == 1426


def test_expand_latest_charge(stripe_client):
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_mastercard", "confirm": True}
    )
    got = stripe_client.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge.balance_transaction"]})
    assert got.latest_charge.id == pi.latest_charge
    assert got.latest_charge.balance_transaction.fee == 59


@pytest.mark.parametrize(
    "pm, decline_code",
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_declined_card_raises_card_error(stripe_client, pm, decline_code):
    pi = stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    with pytest.raises(stripe.CardError) as exc:
        stripe_client.v1.payment_intents.confirm(pi.id, params={"payment_method": pm})
    assert exc.value.http_status == 402
    assert exc.value.code == "card_declined"
    assert exc.value.error.decline_code == decline_code
    assert exc.value.error.payment_intent.id == pi.id
    after = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.decline_code == decline_code
    assert stripe_client.v1.charges.retrieve(after.latest_charge).status == "failed"


def test_raw_card_number_decline(stripe_client):
    pm = stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000000000000002", "exp_month": 12, "exp_year": 2034}}
    )
    with pytest.raises(stripe.CardError) as exc:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "payment_method": pm.id, "confirm": True}
        )
    assert exc.value.error.decline_code == "generic_decline"


def test_card_0341_attaches_then_declines(stripe_client):
    cus = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000000000000341", "exp_month": 1, "exp_year": 2035}}
    )
    attached = stripe_client.v1.payment_methods.attach(pm.id, params={"customer": cus.id})
    assert attached.customer == cus.id
    listed = stripe_client.v1.payment_methods.list(params={"customer": cus.id, "type": "card"})
    assert [p.id for p in listed.data] == [pm.id]
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "customer": cus.id,
                "payment_method": pm.id,
                "off_session": True,
                "confirm": True,
            }
        )


def test_always_declining_card_fails_to_attach(stripe_client):
    cus = stripe_client.v1.customers.create()
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": cus.id})


def test_authentication_required_then_completed(stripe_client, stripe_sim):
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_authenticationRequired", "confirm": True}
    )
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    done = stripe_sim.complete_authentication(pi.id)
    assert done["status"] == "succeeded"
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_authentication_required_off_session_declines(stripe_client):
    cus = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_authenticationRequired", params={"customer": cus.id})
    with pytest.raises(stripe.CardError) as exc:
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "customer": cus.id,
                "payment_method": pm.id,
                "off_session": True,
                "confirm": True,
            }
        )
    assert exc.value.code == "authentication_required"


def test_setup_intent_then_off_session_payment(stripe_client, stripe_sim):
    cus = stripe_client.v1.customers.create()
    si = stripe_client.v1.setup_intents.create(params={"customer": cus.id, "usage": "off_session"})
    si = stripe_client.v1.setup_intents.confirm(
        si.id, params={"payment_method": "pm_card_authenticationRequiredOnSetup"}
    )
    assert si.status == "requires_action"
    stripe_sim.complete_authentication(si.id)
    si = stripe_client.v1.setup_intents.retrieve(si.id)
    assert si.status == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(si.payment_method)
    assert pm.customer == cus.id
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "customer": cus.id,
            "payment_method": pm.id,
            "off_session": True,
            "confirm": True,
        }
    )
    assert pi.status == "succeeded"
    assert "setup_intent.succeeded" in stripe_sim.event_types()


def test_cancel_payment_intent(stripe_client):
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    pi = stripe_client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "abandoned"})
    assert pi.status == "canceled" and pi.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert exc.value.code == "payment_intent_unexpected_state"


def _paid(stripe_client, amount=1000):
    return stripe_client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )


def test_partial_refunds_then_over_refund_refused(stripe_client, stripe_sim):
    pi = _paid(stripe_client, 1000)
    r1 = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 400})
    assert r1.status == "succeeded" and r1.charge == pi.latest_charge
    ch = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert (ch.amount_refunded, ch.refunded) == (400, False)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.refunds.create(params={"charge": ch.id, "amount": 700})
    assert exc.value.code == "amount_too_large"
    assert exc.value.param == "amount"
    assert "($7.00)" in exc.value.user_message and "($6.00)" in exc.value.user_message
    rest = stripe_client.v1.refunds.create(params={"charge": ch.id})  # amount defaults to what remains
    assert rest.amount == 600
    ch = stripe_client.v1.charges.retrieve(ch.id)
    assert (ch.amount_refunded, ch.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.refunds.create(params={"charge": ch.id, "amount": 1})
    assert exc.value.code == "charge_already_refunded"
    # Stripe keeps its fee: balance = net of the charge - everything refunded.
    assert stripe_client.v1.balance.retrieve().available[0].amount == 941 - 1000
    assert stripe_sim.event_types().count("charge.refunded") == 2
    listed = stripe_client.v1.refunds.list(params={"payment_intent": pi.id})
    assert {r.id for r in listed.data} == {r1.id, rest.id}


def test_refund_needs_charge_or_payment_intent(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.refunds.create(params={"amount": 100})
    assert exc.value.code == "parameter_missing"


def test_idempotent_replay_and_conflict(stripe_client, stripe_sim):
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    first = stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": "key-1"})
    again = stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": "key-1"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(stripe_client.v1.charges.list().data) == 1
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.payment_intents.create(params={**params, "amount": 2000}, options={"idempotency_key": "key-1"})


def test_validation_errors_are_not_saved_for_idempotency(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create(params={"nope": "1"}, options={"idempotency_key": "k2"})
    cus = stripe_client.v1.customers.create(params={"email": "x@example.com"}, options={"idempotency_key": "k2"})
    assert cus.email == "x@example.com"


def test_declines_are_replayed_for_the_same_key(stripe_client):
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": "decline"})
    assert len(stripe_client.v1.payment_intents.list().data) == 1


def test_list_params_are_validated_and_data_expands(stripe_client):
    cus = stripe_client.v1.customers.create(params={"email": "e@example.com"})
    stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": cus.id})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe_client.v1.payment_intents.list(params={"colour": "red"})
    assert exc.value.code == "parameter_unknown"
    listed = stripe_client.v1.payment_intents.list(params={"customer": cus.id, "expand": ["data.customer"]})
    assert listed.data[0].customer.email == "e@example.com"
    assert listed.url == "/v1/payment_intents"


def test_objects_on_a_connected_account_are_invisible_to_the_platform(stripe_client, stripe_sim):
    acct = stripe_client.v1.accounts.create(params={"type": "express"})
    stripe_sim.complete_onboarding(acct.id)
    on_acct = {"stripe_account": acct.id}
    cus = stripe_client.v1.customers.create(options=on_acct)
    assert stripe_client.v1.customers.retrieve(cus.id, options=on_acct).id == cus.id
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve(cus.id)


def test_replay_keeps_the_original_request_id(stripe_client):
    first = stripe_client.v1.customers.create(options={"idempotency_key": "rid"})
    again = stripe_client.v1.customers.create(options={"idempotency_key": "rid"})
    assert again.last_response.request_id == first.last_response.request_id
