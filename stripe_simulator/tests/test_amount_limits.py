"""Stripe's amount limits and supported currencies, on every endpoint that moves money."""

from __future__ import annotations

import pytest
import stripe

MAX = 99_999_999


def _errors(call):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        call()
    return exc.value


def _intent(client, amount, currency="usd"):
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": currency, "payment_method": "pm_card_visa", "confirm": True}
    )


def test_payment_intent_above_the_maximum_is_amount_too_large(stripe_client):
    error = _errors(lambda: _intent(stripe_client, MAX + 1))
    assert (error.code, error.param, error.http_status) == ("amount_too_large", "amount", 400)
    assert "$999,999.99" in error.user_message
    assert _intent(stripe_client, MAX).status == "succeeded"


def test_payment_intent_below_the_minimum_is_amount_too_small(stripe_client):
    error = _errors(lambda: _intent(stripe_client, 49))
    assert (error.code, error.param) == ("amount_too_small", "amount")


def test_raising_an_intent_above_the_maximum_is_refused(stripe_client):
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    error = _errors(lambda: stripe_client.v1.payment_intents.update(pi.id, params={"amount": MAX + 1}))
    assert error.code == "amount_too_large"


def test_unknown_currency_is_refused_on_the_currency_parameter(stripe_client):
    error = _errors(lambda: _intent(stripe_client, 1000, currency="xyz"))
    assert error.param == "currency" and error.user_message.startswith("Invalid currency: xyz.")


def test_checkout_line_item_above_the_maximum_is_refused(stripe_client):
    def create(unit_amount, currency="usd"):
        return stripe_client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "http://app.test/ok",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": {"name": "x"}},
                    }
                ],
            }
        )

    error = _errors(lambda: create(MAX + 1))
    assert (error.code, error.param) == ("amount_too_large", "line_items[0][price_data][unit_amount]")
    assert _errors(lambda: create(10, "usd")).code == "amount_too_small"
    assert _errors(lambda: create(1000, "xyz")).param == "line_items[0][price_data][currency]"
    assert create(MAX).amount_total == MAX


def test_transfer_and_payout_above_the_maximum_or_in_an_unknown_currency_are_refused(stripe_client, stripe_sim):
    account = stripe_client.v1.accounts.create(
        params={"type": "express", "email": "p@example.com", "capabilities": {"transfers": {"requested": True}}}
    )
    stripe_sim.complete_onboarding(account.id)
    stripe_sim.add_balance(2 * MAX)
    transfer = {"amount": MAX + 1, "currency": "usd", "destination": account.id}
    assert _errors(lambda: stripe_client.v1.transfers.create(params=transfer)).code == "amount_too_large"
    transfer.update(amount=1000, currency="xyz")
    assert _errors(lambda: stripe_client.v1.transfers.create(params=transfer)).param == "currency"
    payout = {"amount": MAX + 1, "currency": "usd"}
    assert _errors(lambda: stripe_client.v1.payouts.create(params=payout)).code == "amount_too_large"
