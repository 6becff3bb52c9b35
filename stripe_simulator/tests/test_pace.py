"""Stripe's pace, through the real `stripe` client: latency, and 429s over the global and
per-endpoint limits with Stripe's error body and header. Off by default."""

import time

import pytest
import stripe

from stripe_simulator.__main__ import parse_args
from stripe_simulator.pace import parse_endpoint_limits


def _customers(client, count):
    """Create `count` customers at once; returns the 429 errors met."""
    refused = []
    for n in range(count):
        try:
            client.v1.customers.create(params={"email": f"c{n}@example.com"})
        except stripe.RateLimitError as error:
            refused.append(error)
    return refused


def test_off_by_default(stripe_client):
    started = time.perf_counter()
    assert _customers(stripe_client, 40) == []
    assert time.perf_counter() - started < 2


def test_over_the_global_limit_stripe_answers_429_rate_limit(stripe_sim, stripe_client):
    stripe_sim.configure(rate_limit=5)

    refused = _customers(stripe_client, 12)

    assert len(refused) >= 6  # a burst of 5, then a token every 200 ms
    error = refused[0]
    assert error.http_status == 429
    assert error.error.code == "rate_limit"
    assert error.error.type == "invalid_request_error"
    assert error.headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    assert stripe_sim.pace.limited == len(refused)
    time.sleep(1.0)  # the bucket refills
    assert _customers(stripe_client, 3) == []


def test_an_endpoint_limit_leaves_other_endpoints_alone(stripe_sim, stripe_client):
    stripe_sim.configure(endpoint_rate_limits={"POST /v1/customers": 2})

    refused = _customers(stripe_client, 6)
    listed = [stripe_client.v1.customers.list() for _ in range(6)]  # GET /v1/customers: no limit

    assert len(refused) >= 3
    assert refused[0].headers["Stripe-Rate-Limited-Reason"] == "endpoint-rate"
    assert len(listed) == 6


def test_latency_is_fixed_plus_jitter(stripe_sim, stripe_client):
    stripe_sim.configure(latency_ms=120, latency_jitter_ms=40)

    started = time.perf_counter()
    stripe_client.v1.customers.create(params={"email": "slow@example.com"})
    elapsed = time.perf_counter() - started

    assert 0.12 <= elapsed < 1.0


@pytest.mark.parametrize(
    ("text", "limits"),
    [("POST /v1/transfers=25, GET /v1/balance=50", {"POST /v1/transfers": 25.0, "GET /v1/balance": 50.0}), ("", {})],
)
def test_endpoint_limits_from_the_command_line(text, limits, monkeypatch):
    assert parse_endpoint_limits(text) == limits
    monkeypatch.setenv("STRIPE_SIM_RATE_LIMIT", "25")
    monkeypatch.setenv("STRIPE_SIM_LATENCY_MS", "300")
    args = parse_args(["--endpoint-rate-limits", text])
    assert (args.rate_limit, args.latency_ms, args.endpoint_rate_limits) == (25.0, 300.0, text)
