"""Many transfers at once: a bounded pool of threads, each with its own database connection,
sending at the pace the shared request budget (billing.ratelimit) allows.

Stripe answers a transfer in about 0.3 s and allows 25 a second, so one sender at a time would
pay 3 a second; a dozen in flight keep up with the limit. The threads only call Stripe (the
budget's token, then the transfer): the caller reads the rows before and records the results
after, in its own short transactions, so no thread holds a lock while Stripe thinks.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from billing import gateway
from billing.ratelimit import Priority, RateBudgetExceeded

logger = logging.getLogger(__name__)

# How long a bulk sender waits at most for the budget when its caller set no deadline.
_UNBOUNDED_WAIT = 300.0


@dataclass(slots=True)
class Payout:
    """A payout record's transfer as the run reads it (no model instance per row)."""

    pk: int
    promoter_id: int
    amount: int
    currency: str
    idempotency_key: str
    transfer_group: str
    payout_record_id: int
    attempts: int
    destination: str


@dataclass(slots=True)
class Outcome:
    """What Stripe said about one transfer: `remote` (sent), `error` (refused or unreachable),
    or neither (still rate-limited at the deadline: left pending, not failed)."""

    transfer: Payout
    remote: gateway.Transfer | None = None
    error: gateway.GatewayError | None = None
    rate_limited: int = 0  # 429s Stripe answered on the way


def transfers_send(
    transfers: Iterable[Payout], *, deadline: float | None, workers: int, priority: Priority = Priority.BULK
) -> Iterator[Outcome]:
    """Send each transfer once (same idempotency key on every retry), `workers` at a time, and
    yield the outcomes as they come. Past `deadline` (time.monotonic()) nothing new is sent: the
    rows not yet yielded stay as they are, for the next slice."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    count = 0
    for transfer in transfers:
        todo.put(transfer)
        count += 1
    if not count:
        return
    done: queue.SimpleQueue = queue.SimpleQueue()
    finished = object()

    def work():
        try:
            while deadline is None or time.monotonic() < deadline:
                try:
                    transfer = todo.get_nowait()
                except queue.Empty:
                    return
                done.put(transfer_send_paced(transfer, deadline=deadline, priority=priority))
        except Exception:
            logger.exception("payout sender stopped; its transfers stay pending")
        finally:
            connection.close()  # this thread's own connection (the budget's statements)
            done.put(finished)

    threads = [
        threading.Thread(target=work, name=f"payout-sender-{n}", daemon=True) for n in range(min(workers, count))
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        item = done.get()
        if item is finished:
            running -= 1
        else:
            yield item


def transfer_send_paced(transfer: Payout, *, deadline: float | None, priority: Priority) -> Outcome:
    """One transfer. A 429 from Stripe backs off (exponentially, with jitter) and sends the same
    request again under the same idempotency key, up to STRIPE_RATE_LIMIT_RETRIES times, waiting
    STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS at most in all and never past `deadline`."""
    outcome = Outcome(transfer)
    delay = settings.STRIPE_RATE_LIMIT_BACKOFF_SECONDS
    wait_until = time.monotonic() + settings.STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS
    if deadline is not None:
        wait_until = min(wait_until, deadline)
    for attempt in range(settings.STRIPE_RATE_LIMIT_RETRIES + 1):
        budget_wait = (deadline - time.monotonic()) if deadline is not None else _UNBOUNDED_WAIT
        try:
            outcome.remote = gateway.transfer_create(
                amount=transfer.amount,
                currency=transfer.currency,
                destination=transfer.destination,
                transfer_group=transfer.transfer_group,
                source_transaction=None,
                idempotency_key=transfer.idempotency_key,
                metadata={"payout_record": str(transfer.payout_record_id)},
                priority=priority,
                max_wait=max(budget_wait, 0.0),
            )
            return outcome
        except gateway.GatewayRateLimited as error:
            if isinstance(error.__cause__, RateBudgetExceeded):
                return outcome  # our own budget had no token before the deadline: left pending
            outcome.rate_limited += 1
            pause = delay * (1 + random.random())  # jitter, so the senders' retries spread out
            if attempt == settings.STRIPE_RATE_LIMIT_RETRIES or time.monotonic() + pause > wait_until:
                return outcome
            time.sleep(pause)
            delay = min(delay * 2, 8.0)
        except gateway.GatewayError as error:
            outcome.error = error
            return outcome
    return outcome
