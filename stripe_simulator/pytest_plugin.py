"""pytest fixtures for the Stripe simulator.

    pytest_plugins = ["stripe_simulator.pytest_plugin"]

    def test_pay(stripe_sim):
        client = stripe_sim.client()
        ...

`stripe_simulator_server` (session) starts one simulator on a free port in a
daemon thread; `stripe_sim` (function) resets it and returns it. Nothing here
needs a database.
"""

from __future__ import annotations

import pytest

from .simulator import StripeSimulator


@pytest.fixture(scope="session")
def stripe_simulator_server():
    sim = StripeSimulator()
    sim.start("127.0.0.1", 0)
    yield sim
    sim.stop()


@pytest.fixture
def stripe_sim(stripe_simulator_server):
    sim = stripe_simulator_server
    sim.reset(keep_config=False)
    yield sim
    # Leave nothing queued or held for the next test.
    sim.reset(keep_config=False)


@pytest.fixture
def stripe_client(stripe_sim):
    """A real `stripe.StripeClient` aimed at the simulator, retries off."""
    return stripe_sim.client()
