"""Payouts tests talk to the Stripe simulator (its fixtures come from the root conftest's plugin)."""

import pytest

from billing import gateway


@pytest.fixture(autouse=True)
def _simulator_settings(settings, stripe_sim):
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    gateway._client.cache_clear()
    yield
    gateway._client.cache_clear()
