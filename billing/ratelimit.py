"""Stripe's request budget, shared by every process that calls Stripe: token buckets in PostgreSQL.

Stripe allows about 100 requests a second per account in live mode (25 in test mode) and 25 a
second on each endpoint (`POST /v1/transfers`, `POST /v1/refunds`), and answers 429 past that.
A budget kept in one process's memory lets two workers spend it twice; the buckets here are rows
of `stripe_rate_buckets` (billing.models.RateBucket) that every web process and worker takes
from, so the platform as a whole stays under the limits however many of them send.

One statement takes a token from every bucket a call needs, or from none: it locks the rows (in
name order, so two callers never deadlock), refills them for the time since they were last read
and decrements them only if each holds enough. It runs in autocommit on a connection outside any
transaction of the caller, so the row locks last that one statement and never a Stripe call.

Priority: the monthly payout run (`Priority.BULK`) takes a token only while a bucket holds more
than its reserve (`STRIPE_RATE_LIMIT_BULK_RESERVE` of it), so an immediate payment or a refund
(`Priority.HIGH`) finds a token at once even while the run keeps the bucket near empty: they go
ahead of the run's queue. The run still spends the whole refill rate when nothing else sends.

Rates are settings (`STRIPE_RATE_LIMIT_PER_SECOND`, `STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND`; 0 turns
a bucket off) scaled by `STRIPE_RATE_LIMIT_HEADROOM`, a little under Stripe's figures so that the
two clocks' differences do not turn into 429s; those still come now and then, and the caller backs
off and sends again under the same idempotency key.
"""

from __future__ import annotations

import enum
import random
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

GLOBAL = "global"


class Priority(enum.IntEnum):
    HIGH = 0  # a person waits: immediate payments, refunds
    BULK = 1  # the monthly payout run


class RateBudgetExceeded(Exception):
    """No token came within the caller's wait; the request was not sent."""

    def __init__(self, waited: float):
        super().__init__(f"no Stripe request budget after {waited:.1f}s")
        self.waited = waited


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    rate: float  # tokens a second
    burst: float  # the most it holds: one second's worth
    need: float  # tokens it must hold for this caller to take one


def buckets_for(endpoint: str, priority: Priority) -> list[Bucket]:
    """The buckets a request to `endpoint` ("POST /v1/transfers") takes from, in lock order."""
    headroom = settings.STRIPE_RATE_LIMIT_HEADROOM
    rates = {
        GLOBAL: settings.STRIPE_RATE_LIMIT_PER_SECOND * headroom,
        endpoint: settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND * headroom,
    }
    buckets = []
    for name, rate in sorted(rates.items()):
        if rate <= 0:
            continue
        reserve = rate * settings.STRIPE_RATE_LIMIT_BULK_RESERVE if priority == Priority.BULK else 0
        # A burst of at least one token, or a bucket slower than 1/s could never be taken from.
        burst = max(rate, 1.0 + reserve)
        buckets.append(Bucket(name, rate, burst, 1.0 + reserve))
    return buckets


_TAKE = """
    WITH wanted AS (
        SELECT * FROM unnest(%s::text[], %s::float8[], %s::float8[], %s::float8[]) AS w(name, rate, burst, need)
    ),
    locked AS (
        SELECT name, tokens, stamp FROM stripe_rate_buckets
        WHERE name IN (SELECT name FROM wanted) ORDER BY name FOR UPDATE
    ),
    level AS (
        SELECT locked.name, wanted.rate, wanted.need,
               GREATEST(locked.stamp, clock_timestamp()) AS at,
               LEAST(wanted.burst, locked.tokens + wanted.rate
                     * GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - locked.stamp))) AS tokens
        FROM locked JOIN wanted USING (name)
    ),
    verdict AS (SELECT count(*) = %s AND bool_and(tokens >= need) AS granted FROM level)
    UPDATE stripe_rate_buckets AS bucket
    SET tokens = level.tokens - CASE WHEN verdict.granted THEN 1 ELSE 0 END, stamp = level.at
    FROM level, verdict
    WHERE bucket.name = level.name
    RETURNING verdict.granted, level.tokens, level.need, level.rate
"""

_CREATE = """
    INSERT INTO stripe_rate_buckets (name, tokens, stamp)
    SELECT name, burst, clock_timestamp() FROM unnest(%s::text[], %s::float8[]) AS w(name, burst)
    ON CONFLICT (name) DO NOTHING
"""

# One bulk sender per process asks the database at a time; the others wait on this lock, so a
# pool of threads does not poll the row once per thread for every token it frees.
_bulk_turn = threading.Lock()


def take(*, endpoint: str, priority: Priority = Priority.HIGH, max_wait: float = 10.0) -> float:
    """Wait for a token for one request to `endpoint`; returns the seconds waited. Raises
    RateBudgetExceeded if none comes within `max_wait` seconds (nothing is taken then)."""
    buckets = buckets_for(endpoint, priority)
    if not buckets:
        return 0.0
    started = time.monotonic()
    with _bulk_turn if priority == Priority.BULK else nullcontext():
        while True:
            pause = _take_or_wait(buckets)
            if pause is None:
                return time.monotonic() - started
            waited = time.monotonic() - started
            if waited + pause > max_wait:
                raise RateBudgetExceeded(waited)
            # A little jitter so processes that wait for the same refill do not ask in lockstep.
            time.sleep(pause * (1 + random.random() * 0.1))


def _take_or_wait(buckets: list[Bucket]) -> float | None:
    """None when the token was taken, else the seconds until the buckets should hold enough."""
    params = [
        [bucket.name for bucket in buckets],
        [bucket.rate for bucket in buckets],
        [bucket.burst for bucket in buckets],
        [bucket.need for bucket in buckets],
        len(buckets),
    ]
    with _autocommit_cursor() as cursor:
        cursor.execute(_TAKE, params)
        rows = cursor.fetchall()
        if len(rows) < len(buckets):  # first use of a bucket in this database
            cursor.execute(_CREATE, [params[0], params[2]])
            cursor.execute(_TAKE, params)
            rows = cursor.fetchall()
    if rows and rows[0][0]:
        return None
    return max([(need - tokens) / rate for _, tokens, need, rate in rows if tokens < need] or [0.001])


def buckets_clear() -> None:
    """Forget every bucket, so each starts full on its next take: for tests, whose rollback does
    not undo what a taker wrote on a connection of its own, and for an operator after changing
    the limits."""
    with _autocommit_cursor() as cursor:
        cursor.execute("DELETE FROM stripe_rate_buckets")


def levels() -> dict[str, float]:
    """Each bucket's tokens as last written (for admin and tests)."""
    with _autocommit_cursor() as cursor:
        cursor.execute("SELECT name, tokens FROM stripe_rate_buckets ORDER BY name")
        return dict(cursor.fetchall())


@contextmanager
def _autocommit_cursor():
    """The thread's connection when it is in autocommit; inside a transaction, a connection of
    its own for the statement, so the caller's transaction does not keep the bucket rows locked
    (or roll a taken token back)."""
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            yield cursor
        return
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with own.cursor() as cursor:
            yield cursor
    finally:
        own.close()
