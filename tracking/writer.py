"""Counting clicks after the response: a per-process background writer for the redirect.

A tracking link's answer does not depend on whether the click counts (every request redirects),
so the request only classifies the click (bot, prefetch, self, inactive) and queues it; a thread
of the web process writes the queue in batches through one statement. Every rule that protects
money (the once-a-day dedupe, the per-IP rate limit and the cap's conditional update) runs in
that statement, in the database, exactly as it would per request.

Why: one counting statement costs ~1 ms however few clicks it holds, and ~20 us more per click
(measured on PostgreSQL 15). Written while the visitor waits, the redirect ran at 0.4x the
throughput of a bare redirect; written after, at 0.73-0.80x (bench/tracking.py).

What this trades, on purpose:
- Counts lag the click by up to about twice `interval` (50 ms) plus one batch. Nobody waits on
  them: views are paid by the hourly accrual.
- Clicks still queued when a process dies without a clean exit (SIGKILL, out of memory) are
  lost: never counted, so never paid and never charged. A clean stop (SIGTERM from gunicorn or a
  deploy, any normal exit) writes the queue first (`atexit`).
- Each web process holds one more database connection, the writer's, for its whole life
  (checked before each batch, reopened when it has gone bad).
- A batch the database refuses is written again, safely, because a refused statement wrote
  nothing: whole, once, after a deadlock or serialization failure; in halves after a data or
  integrity error, so one bad click (say, of a participation deleted meanwhile) loses only
  itself; other refusals drop the batch. A batch whose fate is
  unknown (the connection died while it ran) is dropped and logged, never repeated: it may have
  committed, and counting it twice would count views twice. While the database is down every
  batch is dropped this way; if it is merely slow, the queue grows up to `max_queued`, and
  clicks beyond that are dropped rather than held in memory.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# SQLSTATEs after which the same statement may well succeed at once.
RETRY_WHOLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
# SQLSTATE classes that one bad item causes (data exception, integrity constraint violation):
# worth splitting the batch to find it. Anything else (disk full, a missing table) would fail
# every half too, and splitting would only hammer a database that is already in trouble.
SPLIT_SQLSTATE_CLASSES = ("22", "23")
LOG_EVERY_SECONDS = 60


def _refused_by_server(exc: BaseException) -> str | None:
    """The SQLSTATE if the database answered `exc` (the statement was rolled back, nothing of it
    written); None if we cannot know what happened to it (the connection was lost)."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate is None or sqlstate.startswith("08"):  # class 08: connection exception
        return None
    return sqlstate


class BackgroundWriter:
    """`submit(item)` queues an item; a daemon thread calls `execute(items)` on batches of them.

    The thread waits for a first item, then up to `interval` seconds more for a batch to gather
    (or until `max_batch` are queued), and calls `execute` with up to `max_batch` items in arrival
    order, in its own thread and so with its own database connection, in autocommit. `flush()`
    waits until everything queued before it has been executed.
    """

    def __init__(
        self,
        execute: Callable[[Sequence[Any]], Any],
        *,
        name: str,
        interval: float = 0.05,
        max_batch: int = 1000,
        max_queued: int = 100_000,
    ):
        self._execute = execute
        self._name = name
        self._interval = interval
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._reset()

    def _reset(self):
        self._cond = threading.Condition()
        self._queue: list[Any] = []
        self._submitted = 0  # items this process queued or dropped
        self._finished = 0  # of those: executed, failed or dropped
        self._dropped = 0
        self._failed = 0
        self._flushing = 0  # callers waiting in flush(): write without waiting for a batch to gather
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_logged = float("-inf")
        self._unlogged_failures = 0

    @property
    def dropped(self) -> int:
        """Items refused because the queue was full."""
        return self._dropped

    @property
    def failed(self) -> int:
        """Items that could not be written."""
        return self._failed

    def submit(self, item) -> bool:
        """Queue `item`; False if the queue is full and it was dropped."""
        with self._cond:
            self._ensure_thread()
            self._submitted += 1
            if len(self._queue) >= self._max_queued:
                self._dropped += 1
                self._finished += 1
                self._log_failure(1, "queue full, item dropped", exc_info=False)
                return False
            self._queue.append(item)
            if len(self._queue) == 1 or len(self._queue) >= self._max_batch:
                # Wake the thread: for a first item (it then lets a batch gather) or a full batch.
                self._cond.notify_all()
            return True

    def flush(self, timeout: float | None = 30) -> bool:
        """Wait until every item submitted before this call is executed (or failed); False on timeout."""
        with self._cond:
            target = self._submitted
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._finished >= target, timeout=timeout)
            finally:
                self._flushing -= 1

    def stop(self, timeout: float = 10):
        """Write what is queued, end the thread and close its database connection."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def after_fork_in_child(self):
        """A forked process inherits the parent's queue and lock but not its thread: the parent
        writes its own items (the child writing them too would count them twice), and the lock
        may have been held at the fork. Start afresh."""
        self._reset()

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _next_batch(self) -> list | None:
        with self._cond:
            self._cond.wait_for(lambda: self._queue or self._stopping)
            # Let a batch gather: one statement for many clicks costs little more than for one.
            self._cond.wait_for(
                lambda: len(self._queue) >= self._max_batch or self._stopping or self._flushing,
                timeout=self._interval,
            )
            if not self._queue:
                self._thread = None  # stopping and written out; a later submit starts a new thread
                return None
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            return batch

    def _run(self):
        try:
            while (batch := self._next_batch()) is not None:
                failed = len(batch)
                try:
                    failed = self._write(batch)
                finally:
                    with self._cond:
                        self._failed += failed
                        self._finished += len(batch)
                        self._cond.notify_all()
        finally:
            connection.close()

    def _write(self, batch: list, *, retried: bool = False) -> int:
        """Execute `batch`; returns how many of its items could not be written."""
        if connection.connection is not None and not connection.is_usable():
            connection.close()  # dropped by the server, a pooler or a failover: open a new one
        try:
            self._execute(batch)
            return 0
        except DatabaseError as exc:
            sqlstate = _refused_by_server(exc)
            if sqlstate in RETRY_WHOLE_SQLSTATES and not retried:
                return self._write(batch, retried=True)
            if sqlstate is not None and sqlstate.startswith(SPLIT_SQLSTATE_CLASSES) and len(batch) > 1:
                half = len(batch) // 2
                return self._write(batch[:half], retried=retried) + self._write(batch[half:], retried=retried)
            self._log_failure(len(batch), f"a batch of {len(batch)} was not written (SQLSTATE {sqlstate})")
            if sqlstate is None:
                connection.close()
            return len(batch)
        except Exception:
            self._log_failure(len(batch), f"a batch of {len(batch)} was not written")
            return len(batch)

    def _log_failure(self, count: int, message: str, *, exc_info: bool = True):
        # At most one log line a minute: a database outage fails a batch every 50 ms.
        self._unlogged_failures += count
        now = time.monotonic()
        if now - self._last_logged >= LOG_EVERY_SECONDS:
            logger.error(
                "%s: %s; %d items lost since the last report",
                self._name,
                message,
                self._unlogged_failures,
                exc_info=exc_info,
            )
            self._last_logged, self._unlogged_failures = now, 0


_writers: list[BackgroundWriter] = []


def background_writer(execute, **options) -> BackgroundWriter:
    """A writer of this process: its queue is written out when the process exits cleanly, and a
    forked child starts with an empty one."""
    writer = BackgroundWriter(execute, **options)
    _writers.append(writer)
    return writer


@atexit.register
def writers_stop():
    for writer in _writers:
        writer.stop()


def _writers_after_fork_in_child():
    for writer in _writers:
        writer.after_fork_in_child()


os.register_at_fork(after_in_child=_writers_after_fork_in_child)
