"""The state file: a snapshot a second simulator (or a restart) continues from, unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
import stripe

from stripe_simulator import StripeSimulator
from stripe_simulator.__main__ import parse_args


@pytest.fixture
def fresh_sim():
    """A simulator of its own (the session one is shared), stopped afterwards."""
    sims = []

    def start(**kwargs):
        sim = StripeSimulator(**kwargs)
        sim.start("127.0.0.1", 0)
        sims.append(sim)
        return sim

    yield start
    for sim in sims:
        sim.stop()


def _history(client, sim):
    """A bit of everything the product does: a customer and card, a paid and partly refunded
    payment, a Connect account onboarded and paid by transfer, an open Checkout page."""
    cus = client.v1.customers.create(params={"email": "ada@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    pi = client.v1.payment_intents.create(
        params={"amount": 6600, "currency": "usd", "customer": cus.id, "payment_method": pm.id, "confirm": True},
        options={"idempotency_key": "fund-1"},
    )
    client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 1100})
    acct = client.v1.accounts.create(params={"type": "express", "email": "pat@example.com"})
    sim.complete_onboarding(acct.id)
    tr = client.v1.transfers.create(
        params={"amount": 2000, "currency": "usd", "destination": acct.id, "source_transaction": pi.latest_charge}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": cus.id,
            "success_url": "http://127.0.0.1:8000/ok",
            "cancel_url": "http://127.0.0.1:8000/cancel",
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "x"}}}
            ],
        }
    )
    return cus, pm, pi, acct, tr, session


def test_a_loaded_snapshot_serves_the_same_objects_and_takes_new_requests(fresh_sim, tmp_path):
    path = tmp_path / "state.json"
    first = fresh_sim()
    client = first.client()
    cus, pm, pi, acct, tr, session = _history(client, first)
    first.save_state(str(path))
    before = {
        "charge": client.v1.charges.retrieve(pi.latest_charge).to_dict(),
        "balance": client.v1.balance.retrieve().to_dict(),
        "customers": [c.id for c in client.v1.customers.list().data],
        "events": first.event_types(),
    }

    second = fresh_sim()
    assert second.load_state(str(path)) > 10
    client = second.client()

    assert client.v1.charges.retrieve(pi.latest_charge).to_dict() == before["charge"]
    assert client.v1.balance.retrieve().to_dict() == before["balance"]
    assert [c.id for c in client.v1.customers.list().data] == before["customers"]
    assert second.event_types() == before["events"]
    assert client.v1.payment_methods.retrieve(pm.id).customer == cus.id
    assert client.v1.accounts.retrieve(acct.id).capabilities.transfers == "active"
    assert client.v1.transfers.retrieve(tr.id).amount == 2000
    # The rest of the payment can still be refunded, and no more than that.
    refund = client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 5500})
    assert refund.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 1})
    # An idempotency key used before the snapshot replays its first answer.
    replay = client.v1.payment_intents.create(
        params={"amount": 6600, "currency": "usd", "customer": cus.id, "payment_method": pm.id, "confirm": True},
        options={"idempotency_key": "fund-1"},
    )
    assert replay.id == pi.id
    assert replay.last_response.headers.get("Idempotent-Replayed") == "true"
    # The Checkout page opened before the snapshot can be paid after it.
    assert second.pay_checkout_session(session.id).startswith("http://127.0.0.1:8000/ok")
    # New objects sort after the loaded ones.
    newer = client.v1.customers.create(params={"email": "new@example.com"})
    assert client.v1.customers.list().data[0].id == newer.id


def test_with_a_state_file_every_change_is_saved(fresh_sim, tmp_path):
    path = tmp_path / "state.json"
    sim = fresh_sim(state_file=str(path))
    client = sim.client()

    cus = client.v1.customers.create(params={"email": "ada@example.com"})
    assert cus.id in json.loads(path.read_text())["objects"]["customer"]

    acct = client.v1.accounts.create(params={"type": "express"})
    sim.complete_onboarding(acct.id)  # a helper acting like a person is a change too
    saved = json.loads(path.read_text())["objects"]["account"][acct.id]
    assert saved["payouts_enabled"] is True

    sim.add_balance(5000)
    assert json.loads(path.read_text())["balances"][0][1]["available"]["usd"] == 5000


def test_a_file_that_is_not_a_snapshot_is_refused_with_its_name(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 0}')
    sim = StripeSimulator()
    with pytest.raises(ValueError, match=r"state\.json.*Delete the file"):
        sim.load_state(str(path))
    assert sim.state.objects == {}


def test_state_file_option_and_env(monkeypatch):
    assert parse_args([]).state_file is None
    assert parse_args(["--state-file", "/tmp/s.json"]).state_file == "/tmp/s.json"
    monkeypatch.setenv("STRIPE_SIM_STATE_FILE", "/tmp/env.json")
    assert parse_args([]).state_file == "/tmp/env.json"


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(path, port):
    process = subprocess.Popen(  # noqa: S603 - this package, fixed arguments
        [sys.executable, "-m", "stripe_simulator", "--port", str(port), "--state-file", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/health", timeout=1)
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"the simulator did not start: {process.communicate()[0]}") from None
            time.sleep(0.1)


def test_the_process_keeps_its_objects_across_a_restart(tmp_path):
    path, port = tmp_path / "state.json", _free_port()
    base = f"http://127.0.0.1:{port}"
    client = stripe.StripeClient(
        "sk_test_simulator", base_addresses={"api": base, "connect": base, "files": base}, max_network_retries=0
    )
    process = _run(path, port)
    try:
        cus = client.v1.customers.create(params={"email": "ada@example.com"})
    finally:
        process.terminate()
        process.wait(timeout=10)

    process = _run(path, port)
    try:
        assert client.v1.customers.retrieve(cus.id).email == "ada@example.com"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"loaded 1 objects from {path}" in output
