"""Stripe's pace, switchable: per-request latency (fixed plus jitter) and rate limits, global and
per endpoint, as token buckets refilled every second. All off by default (unit tests); the
benchmark and a few tests turn them on to prove the product copes.

Stripe counts each named operation as its own endpoint (`POST /v1/transfers`,
`GET /v1/payment_intents/<id>` whatever the id) and answers a request over a limit with 429, an
`invalid_request_error` of code `rate_limit`, and a `Stripe-Rate-Limited-Reason` header
(`global-rate` or `endpoint-rate`). By default Stripe allows 100 requests a second per account in
live mode (25 in test mode) and 25 a second on each endpoint.
"""

from __future__ import annotations

import random
import threading
import time

RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."
)


class TokenBucket:
    """`rate` requests a second, in bursts of at most `rate`."""

    def __init__(self, rate: float):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class Pace:
    """The simulator's latency and limits, read from its config (`configure(...)` rebuilds it)."""

    def __init__(
        self,
        *,
        latency_ms: float = 0,
        latency_jitter_ms: float = 0,
        rate_limit: float = 0,
        endpoint_rate_limit: float = 0,
        endpoint_rate_limits: dict | None = None,
    ):
        self.latency_ms, self.latency_jitter_ms = latency_ms, latency_jitter_ms
        self.global_bucket = TokenBucket(rate_limit) if rate_limit > 0 else None
        self.endpoint_rate_limit = endpoint_rate_limit
        self.endpoint_rate_limits = dict(endpoint_rate_limits or {})
        self.endpoint_buckets: dict[str, TokenBucket | None] = {}
        self.lock = threading.Lock()
        self.limited = 0  # requests answered 429 since the last configure or reset

    def wait(self) -> None:
        """The network and Stripe's own time, before the request is handled."""
        if self.latency_ms or self.latency_jitter_ms:
            time.sleep((self.latency_ms + random.uniform(0, self.latency_jitter_ms)) / 1000)

    def refused(self, endpoint: str | None) -> str | None:
        """The Stripe-Rate-Limited-Reason if this request is over a limit, else None. `endpoint`
        None: only the global limit (before the request is routed)."""
        if endpoint is None:
            reason = None if self.global_bucket is None or self.global_bucket.take() else "global-rate"
        else:
            bucket = self._endpoint_bucket(endpoint)
            reason = None if bucket is None or bucket.take() else "endpoint-rate"
        if reason:
            with self.lock:
                self.limited += 1
        return reason

    def _endpoint_bucket(self, endpoint: str) -> TokenBucket | None:
        with self.lock:
            if endpoint not in self.endpoint_buckets:
                rate = self.endpoint_rate_limits.get(endpoint, self.endpoint_rate_limit)
                self.endpoint_buckets[endpoint] = TokenBucket(rate) if rate > 0 else None
            return self.endpoint_buckets[endpoint]


def parse_endpoint_limits(text: str) -> dict:
    """`"POST /v1/transfers=25, GET /v1/balance=50"` -> {"POST /v1/transfers": 25.0, ...}."""
    limits = {}
    for part in filter(None, (piece.strip() for piece in (text or "").split(","))):
        endpoint, _, rate = part.rpartition("=")
        limits[endpoint.strip()] = float(rate)
    return limits
