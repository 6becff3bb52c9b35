"""Disputes: test card 4000000000000259 disputes its charge; the control opens one on any charge
and closes it won or lost; the platform balance moves as Stripe moves it."""

from __future__ import annotations

import pytest
import stripe

from stripe_simulator.resources.disputes import DISPUTE_FEE


def _pay(client, pm="pm_card_visa", amount=10_000):
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": pm, "confirm": True}
    )


def _available(client):
    return next(b.amount for b in client.v1.balance.retrieve().available if b.currency == "usd")


def test_the_dispute_test_card_pays_then_disputes_the_charge(stripe_client, stripe_sim):
    before = _available(stripe_client)
    pi = _pay(stripe_client, "pm_card_createDispute")
    assert pi.status == "succeeded"
    types = stripe_sim.event_types()
    assert types.index("charge.dispute.created") < types.index("charge.dispute.funds_withdrawn")
    (dispute,) = stripe_client.v1.disputes.list(params={"charge": pi.latest_charge}).data
    assert (dispute.amount, dispute.status, dispute.reason) == (10_000, "needs_response", "fraudulent")
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.disputed is True
    fee = charge.amount - stripe_client.v1.balance_transactions.retrieve(charge.balance_transaction).net
    assert _available(stripe_client) == before + 10_000 - fee - 10_000 - DISPUTE_FEE


@pytest.mark.parametrize("won", [True, False])
def test_the_control_opens_and_closes_a_dispute_on_any_charge(stripe_client, stripe_sim, won):
    pi = _pay(stripe_client)
    after_payment = _available(stripe_client)
    dispute = stripe_sim.open_dispute(pi.latest_charge)
    assert _available(stripe_client) == after_payment - 10_000 - DISPUTE_FEE
    closed = stripe_sim.close_dispute(dispute["id"], won=won)
    assert closed["status"] == ("won" if won else "lost")
    assert ("charge.dispute.funds_reinstated" in stripe_sim.event_types()) is won
    assert stripe_sim.event_types()[-1] == "charge.dispute.closed"
    assert _available(stripe_client) == after_payment - DISPUTE_FEE - (0 if won else 10_000)
    assert stripe_client.v1.disputes.retrieve(dispute["id"]).status == closed["status"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.retrieve("dp_missing")


@pytest.mark.parametrize("closed", [None, "lost"])
def test_a_disputed_charge_cannot_be_refunded(stripe_client, stripe_sim, closed):
    pi = _pay(stripe_client)
    dispute = stripe_sim.open_dispute(pi.latest_charge)
    if closed:
        stripe_sim.close_dispute(dispute["id"], won=False)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 1_000})
    assert refused.value.code == "charge_disputed"
    assert stripe_client.v1.charges.retrieve(pi.latest_charge).amount_refunded == 0


def test_a_charge_whose_dispute_was_won_can_be_refunded(stripe_client, stripe_sim):
    pi = _pay(stripe_client)
    dispute = stripe_sim.open_dispute(pi.latest_charge)
    stripe_sim.close_dispute(dispute["id"], won=True)
    refund = stripe_client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 1_000})
    assert refund.status == "succeeded"
