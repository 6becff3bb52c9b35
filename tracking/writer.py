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
  itself; other refusals drop the batch.
- With `committed` (the redirect's writer has it), every batch carries an id that its statement
  commits with it. A batch whose fate is unknown (the connection died while it ran) is checked
  once the database answers again (a server shutdown or a read-only standby after a failover
  counts as not answering) and written again only if its id is not there. While the database
  does not answer, the writer keeps retrying (backing off to one try every few seconds) and the
  queue grows up to `max_queued`; beyond that, and for as long as the outage lasts, clicks go
  to spill files in `spill_dir` (tracking/spill.py), written back in order once the database
  answers, each chunk under an id derived from its place in its file. A process that stops
  during an outage spills what it holds, a batch of unknown fate under its own id; the next
  writer to start claims the files of processes that are gone. So a clean stop, a lost
  connection or an outage loses nothing and counts nothing twice; a process killed outright
  (SIGKILL, out of memory) still loses what it held in memory, never more than `max_queued`.
- Without `committed`, a batch of unknown fate is dropped and logged, never repeated.
"""

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection

from tracking.spill import SpillChunk, SpillFile, SpillFolder, derived_id

logger = logging.getLogger(__name__)

# SQLSTATEs after which the same statement may well succeed at once.
RETRY_WHOLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
# SQLSTATE classes that one bad item causes (data exception, integrity constraint violation):
# worth splitting the batch to find it. Anything else (disk full, a missing table) would fail
# every half too, and splitting would only hammer a database that is already in trouble.
SPLIT_SQLSTATE_CLASSES = ("22", "23")
LOG_EVERY_SECONDS = 60


# SQLSTATEs after which a statement's fate is unknown or the database is not serving it: the
# server shut down (57P01-57P03) or the connection reached a read-only standby after a failover
# (25006). Treated like a lost connection: wait, then check the batch's id.
OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "25006"}


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _outage(sqlstate: str | None) -> bool:
    """True if the statement may or may not have committed, or the database is not answering."""
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in OUTAGE_SQLSTATES


def _refused_by_server(exc: BaseException) -> str | None:
    """The SQLSTATE if the database answered `exc` (the statement was rolled back, nothing of it
    written); None if we cannot know what happened to it (the connection was lost)."""
    sqlstate = _sqlstate(exc)
    return None if _outage(sqlstate) else sqlstate


@dataclass
class _Outcome:
    """What became of a batch: items that could not be written, and (stopping mid-outage) the
    parts left to write, each with the batch id it must be written under."""

    failed: int = 0
    left: list = field(default_factory=list)  # [(items, batch_id)]

    def __add__(self, other):
        return _Outcome(self.failed + other.failed, self.left + other.left)


class BackgroundWriter:
    """`submit(item)` queues an item; a daemon thread calls `execute(items)` on batches of them.

    The thread waits for a first item, then up to `interval` seconds more for a batch to gather
    (or until `max_batch` are queued), and calls `execute` with up to `max_batch` items in arrival
    order, in its own thread and so with its own database connection, in autocommit. `flush()`
    waits until everything queued before it has been executed.

    With `committed`, `execute(items, batch_id)` must commit the batch id with the batch (and
    write nothing for an id already committed), and `committed(batch_id)` says whether it did;
    with `spill_dir` too (JSON-serialisable items), an outage longer than the queue spills to
    disk (tracking/spill.py).
    """

    def __init__(
        self,
        execute: Callable[..., Any],
        *,
        name: str,
        interval: float = 0.05,
        max_batch: int = 1000,
        max_queued: int = 100_000,
        committed: Callable[[str], bool] | None = None,
        spill_dir: Path | None = None,
        retry_max_seconds: float = 5.0,
    ):
        self._execute = execute
        self._name = name
        self._interval = interval
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._committed = committed
        self._spill_dir = Path(spill_dir) if spill_dir and committed else None
        self._retry_max_seconds = retry_max_seconds
        self._folder = SpillFolder(self._spill_dir, name) if self._spill_dir else None
        self._reset()

    def _reset(self):
        self._cond = threading.Condition()
        self._queue: list[Any] = []
        self._submitted = 0  # items this process queued or dropped
        self._finished = 0  # of those: executed, failed, dropped or left on disk for later
        self._dropped = 0
        self._failed = 0
        self._flushing = 0  # callers waiting in flush(): write without waiting for a batch to gather
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_logged = float("-inf")
        self._unlogged_failures = 0
        self._spills: list[SpillFile] = []  # oldest first: claimed files, then this process's
        self._spilling: SpillFile | None = None  # where new items go while older ones are on disk
        self._orphans_claimed = False

    @property
    def dropped(self) -> int:
        """Items refused because the queue was full (and nowhere to spill them)."""
        return self._dropped

    @property
    def failed(self) -> int:
        """Items that could not be written."""
        return self._failed

    def submit(self, item) -> bool:
        """Queue `item`; False if it was dropped (the queue full and nowhere to spill)."""
        with self._cond:
            self._ensure_thread()
            self._submitted += 1
            if self._spilling is not None or len(self._queue) >= self._max_queued:
                return self._spill_item(item)
            self._queue.append(item)
            if len(self._queue) == 1 or len(self._queue) >= self._max_batch:
                # Wake the thread: for a first item (it then lets a batch gather) or a full batch.
                self._cond.notify_all()
            return True

    def _spill_item(self, item) -> bool:
        if self._folder is not None:
            try:
                if self._spilling is None:
                    self._spilling = self._folder.new_file()
                    self._spills.append(self._spilling)
                self._spilling.append([item])
                self._cond.notify_all()
                return True
            except OSError:
                logger.exception("%s: could not spill to %s", self._name, self._spill_dir)
        self._dropped += 1
        self._finished += 1
        self._log_failure(1, "queue full, item dropped", exc_info=False)
        return False

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
        may have been held at the fork. Start afresh, with spill files of its own."""
        if self._folder is not None:
            self._folder.release()
        self._reset()

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._claim_orphans()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _claim_orphans(self):
        if self._folder is None or self._orphans_claimed:
            return
        self._orphans_claimed = True
        try:
            orphans = self._folder.claim_orphans()
            if orphans:
                self._spills[:0] = orphans
                self._submitted += sum(spill.pending for spill in orphans)
                if self._spilling is None:
                    # Clicks of a process that is gone are older than ours: ours wait behind them.
                    self._spilling = self._folder.new_file()
                    self._spills.append(self._spilling)
        except OSError:
            logger.exception("%s: could not claim spill files in %s", self._name, self._spill_dir)

    def _next_batch(self):
        """A list of queued items, a SpillChunk, or None when stopping with nothing left."""
        with self._cond:
            while True:
                self._cond.wait_for(lambda: self._queue or self._stopping or self._spills)
                if self._queue:
                    # Let a batch gather: one statement for many clicks costs little more than for one.
                    self._cond.wait_for(
                        lambda: len(self._queue) >= self._max_batch or self._stopping or self._flushing,
                        timeout=self._interval,
                    )
                    batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                    return batch
                if not self._spills:
                    self._thread = None  # stopping and written out; a later submit starts a new thread
                    return None
                chunk = self._spill_chunk()
                if chunk is not None:
                    return chunk

    def _spill_chunk(self) -> SpillChunk | None:
        """The next chunk of the oldest spill file; a file read to its end is let go (and removed
        once written through)."""
        spill = self._spills[0]
        try:
            chunk = spill.chunk(self._max_batch)
        except (OSError, ValueError, KeyError):
            logger.exception("%s: spill file %s is unreadable; left for an operator", self._name, spill.path)
            chunk = None
            spill.pending = 0
        if chunk is None:
            self._spills.pop(0)
            if spill is self._spilling:
                self._spilling = None  # caught up: new items go to the queue again
            if spill.exhausted():
                spill.remove()
        return chunk

    def _run(self):
        try:
            while (batch := self._next_batch()) is not None:
                count = len(batch.items) if isinstance(batch, SpillChunk) else len(batch)
                failed = count
                try:
                    failed = self._write_batch(batch)
                finally:
                    with self._cond:
                        self._failed += failed
                        self._finished += count
                        self._cond.notify_all()
        finally:
            connection.close()

    def _write_batch(self, batch) -> int:
        """Write a batch; returns how many of its items could not be written."""
        if self._committed is None:
            return self._write(batch)
        if isinstance(batch, SpillChunk):
            outcome = self._write_once(batch.items, batch.batch_id)
            if outcome.left:
                # Stopping mid-outage: the chunk stays in its file, recorded as being written.
                with self._cond:
                    self._spill_back([])
                return 0
            batch.spill.written_through(batch.end)
            if batch.spill not in self._spills and batch.spill.exhausted():
                batch.spill.remove()
            return outcome.failed
        outcome = self._write_once(batch, str(uuid.uuid4()))
        if outcome.left:
            with self._cond:
                self._spill_back(outcome.left)
        return outcome.failed

    def _spill_back(self, left: list):
        """Stopping while the database does not answer: the batches of unknown fate (under their
        ids) and the queue go to a file the next writer to start will claim, before this
        process's other files (they are older)."""
        self._stopping = True
        queued, self._queue = self._queue, []
        self._spills.clear()  # the rest waits on disk for the next writer
        self._spilling = None
        if not left and not queued:
            return
        try:
            self._folder.new_file(older=True).append([("batch", batch_id, items) for items, batch_id in left] + queued)
        except OSError:
            logger.exception("%s: %d clicks could not be spilled and are lost", self._name, len(queued))
        self._finished += len(queued)

    def _write_once(self, items: list, batch_id: str, *, retried: bool = False) -> _Outcome:
        """Write `items` as batch `batch_id` until its fate is known."""
        delay = 0.05
        while True:
            if connection.connection is not None and not connection.is_usable():
                connection.close()  # dropped by the server, a pooler or a failover: open a new one
            try:
                self._execute(items, batch_id)
                return _Outcome()
            except DatabaseError as exc:
                sqlstate = _sqlstate(exc)
                if not _outage(sqlstate):
                    return self._refused(items, batch_id, sqlstate, retried=retried)
                connection.close()
                self._log_failure(0, f"the database does not answer; holding a batch of {len(items)}")
            while True:  # did the batch commit before the connection died?
                if self._stopping and self._folder is not None:
                    return _Outcome(left=[(items, batch_id)])
                time.sleep(delay)
                delay = min(delay * 2, self._retry_max_seconds)
                try:
                    if self._committed(batch_id):
                        return _Outcome()
                    break  # it did not: write it again, under the same id
                except DatabaseError:
                    connection.close()

    def _refused(self, items: list, batch_id: str, sqlstate: str, *, retried: bool) -> _Outcome:
        """The database refused the batch (nothing of it written): once more after a deadlock,
        in halves (ids derived from this one, so a replay splits alike) after a bad item."""
        if sqlstate in RETRY_WHOLE_SQLSTATES and not retried:
            return self._write_once(items, batch_id, retried=True)
        if sqlstate.startswith(SPLIT_SQLSTATE_CLASSES) and len(items) > 1:
            half = len(items) // 2
            first = self._write_once(items[:half], derived_id(batch_id, "a"), retried=retried)
            if first.left:
                return first + _Outcome(left=[(items[half:], derived_id(batch_id, "b"))])
            return first + self._write_once(items[half:], derived_id(batch_id, "b"), retried=retried)
        self._log_failure(len(items), f"a batch of {len(items)} was not written (SQLSTATE {sqlstate})")
        return _Outcome(failed=len(items))

    def _write(self, batch: list, *, retried: bool = False) -> int:
        """Without batch ids: execute `batch`; returns how many of its items could not be written."""
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
                "%s: %s (%d items lost since the last report)",
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
