"""Stripe for the demo: an in-process simulator whose state the running demo loads."""

from __future__ import annotations

import contextlib
import logging
import socket
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.test.utils import override_settings

from demo.people import DemoError

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def stripe_simulator(*, state_file: str | None):
    """A Stripe simulator on a free port, with the gateway's settings aimed at it meanwhile.

    Hosted-page URLs it hands out name the address the Procfile's simulator will have
    (STRIPE_API_BASE), so links stored in the database keep working in the live demo. With
    `state_file`, the state is saved there at the end; an existing file is loaded first only
    when the database already refers to Stripe objects (otherwise it belongs to a database that
    is gone, and its idempotency keys would collide with this one's fresh row ids)."""
    from stripe_simulator import StripeSimulator

    live_base = settings.STRIPE_API_BASE or "http://127.0.0.1:12111"
    if state_file and _listening(live_base):
        raise DemoError(
            f"A Stripe simulator is already running at {live_base}: stop it first (it saves its own state "
            f"to its state file and would overwrite {state_file}), then run demo_data again."
        )
    sim = StripeSimulator(public_url=live_base)
    if state_file and Path(state_file).exists() and _database_has_stripe_objects():
        sim.load_state(state_file)
    sim.start("127.0.0.1", 0)
    try:
        with override_settings(
            STRIPE_API_BASE=sim.base_url,
            STRIPE_SECRET_KEY=sim.api_key,
            STRIPE_MAX_NETWORK_RETRIES=0,
            STRIPE_TIMEOUT_SECONDS=20,
        ):
            yield sim
        if state_file:
            sim.save_state(state_file)
    finally:
        sim.stop()


def _listening(base_url: str) -> bool:
    parts = urlsplit(base_url)
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


def _database_has_stripe_objects() -> bool:
    from billing.models import BillingCustomer
    from payouts.models import StripeConnectAccount

    return BillingCustomer.objects.exists() or StripeConnectAccount.objects.exists()
