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
  once the database answers again and written again only if its id is not there: never lost,
  never counted twice. While the database does not answer, the writer keeps retrying (backing
  off to one try every few seconds) and the queue grows up to `max_queued`; beyond that, and
  for as long as the outage lasts, clicks go to a spill file in `spill_dir` (one per process,
  JSON lines), written back in order once the database answers, each spilled batch with an id
  derived from its place in the file, so a replay cut short and repeated counts nothing twice.
  A process that stops during an outage spills what it holds; the next writer to start claims
  the files of processes that are gone and writes them.
- Without `committed`, a batch of unknown fate is dropped and logged, never repeated.
"""

import atexit
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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

    With `committed`, `execute(items, batch_id)` must commit the batch id with the batch (and
    write nothing for an id already committed), and `committed(batch_id)` says whether it did;
    with `spill_dir` (JSON-serialisable items), an outage longer than the queue spills to disk.
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
        self._spills: list[SpillFile] = []  # oldest first: claimed orphans, then this process's
        self._spilling: SpillFile | None = None  # where new items go while an outage lasts
        self._spill_seq = 0

    @property
    def dropped(self) -> int:
        """Items refused because the queue was full (and nowhere to spill them)."""
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
            if self._spilling is not None or len(self._queue) >= self._max_queued:
                return self._overflow(item)
            self._queue.append(item)
            if len(self._queue) == 1 or len(self._queue) >= self._max_batch:
                # Wake the thread: for a first item (it then lets a batch gather) or a full batch.
                self._cond.notify_all()
            return True

    def _overflow(self, item) -> bool:
        if self._spill_dir is None:
            self._dropped += 1
            self._finished += 1
            self._log_failure(1, "queue full, item dropped", exc_info=False)
            return False
        if self._spilling is None:
            self._spilling = self._spill_new()
        self._spilling.append([item])
        return True

    def _spill_new(self) -> "SpillFile":
        self._spill_seq += 1
        spill = SpillFile.create(self._spill_dir / f"{self._name}-{os.getpid()}-{self._spill_seq:06d}.jsonl")
        self._spills.append(spill)
        return spill

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
            if self._spill_dir is not None and not self._spills:
                self._spills.extend(SpillFile.claim_orphans(self._spill_dir, self._name))
                self._submitted += sum(spill.pending for spill in self._spills)
                if self._spills and self._spilling is None:
                    # Clicks of a process that is gone are older than ours: ours wait behind them.
                    self._spilling = self._spill_new()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _next_batch(self) -> list | None:
        with self._cond:
            self._refill_from_spills()
            self._cond.wait_for(lambda: self._queue or self._stopping)
            # Let a batch gather: one statement for many clicks costs little more than for one.
            self._cond.wait_for(
                lambda: len(self._queue) >= self._max_batch or self._stopping or self._flushing or self._spills,
                timeout=self._interval,
            )
            if not self._queue:
                self._thread = None  # stopping and written out; a later submit starts a new thread
                return None
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            return batch

    def _refill_from_spills(self):
        """Move spilled items back into the queue, oldest file first, as room allows. Each moved
        item is `_Spilled`: the file's read position advances once its batch is written."""
        while self._spills and len(self._queue) < self._max_batch:
            spill = self._spills[0]
            room = self._max_batch - len(self._queue)
            items = spill.take(room)
            self._queue.extend(items)
            if len(items) < room:
                if spill is self._spilling:
                    self._spilling = None  # caught up: new items go to the queue again
                spill.drained = True
                self._spills.pop(0)
                if not items and spill.done >= spill.read_offset:
                    spill.remove()  # every item of it is written already

    def _run(self):
        try:
            while (batch := self._next_batch()) is not None:
                failed = len(batch)
                try:
                    failed = self._write_batch(batch)
                finally:
                    with self._cond:
                        self._failed += failed
                        self._finished += len(batch)
                        self._cond.notify_all()
        finally:
            connection.close()

    def _write_batch(self, batch: list) -> int:
        items = [item.value if isinstance(item, _Spilled) else item for item in batch]
        if self._committed is None:
            return self._write(items)
        outcome = self._write_once(items, str(uuid.uuid4()))
        if outcome is _SPILL:
            with self._cond:
                self._spill_back(batch)
            return 0
        written_through = {}
        for item in batch:
            if isinstance(item, _Spilled):
                written_through[item.spill] = max(written_through.get(item.spill, 0), item.offset)
        for spill, offset in written_through.items():
            spill.written_through(offset)
        return outcome

    def _spill_back(self, batch: list):
        """Stopping while the database does not answer: the batch and the queue go to a file
        that the next writer to start will claim (they are older than any file of ours)."""
        items = [item for item in [*batch, *self._queue] if not isinstance(item, _Spilled)]
        self._queue = [item for item in self._queue if isinstance(item, _Spilled)]
        if items:
            path = self._spill_dir / f"{self._name}-{os.getpid()}-{0:06d}-{uuid.uuid4().hex[:8]}.jsonl"
            SpillFile.create(path).append(items)

    def _write_once(self, items: list, batch_id: str):
        """Write `items` as batch `batch_id` until its fate is known; returns how many could not be
        written, or _SPILL when stopping during an outage."""
        delay = 0.05
        while True:
            try:
                self._execute(items, batch_id)
                return 0
            except DatabaseError as exc:
                sqlstate = _refused_by_server(exc)
                if sqlstate is not None:
                    return self._write(items, refused=exc)
                connection.close()
                self._log_failure(0, f"the database does not answer; holding a batch of {len(items)}")
            while True:  # the connection died: did the batch commit before it did?
                if self._stopping and self._spill_dir is not None:
                    return _SPILL
                time.sleep(delay)
                delay = min(delay * 2, self._retry_max_seconds)
                try:
                    if self._committed(batch_id):
                        return 0
                    break  # not committed: write it again, same id
                except DatabaseError:
                    connection.close()

    def _write(self, batch: list, *, retried: bool = False, refused: DatabaseError | None = None) -> int:
        """Execute `batch`; returns how many of its items could not be written."""
        if connection.connection is not None and not connection.is_usable():
            connection.close()  # dropped by the server, a pooler or a failover: open a new one
        try:
            if refused is not None:
                raise refused
            if self._committed is None:
                self._execute(batch)
            else:
                self._execute(batch, str(uuid.uuid4()))
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


_SPILL = object()


@dataclass(frozen=True, slots=True)
class _Spilled:
    """An item read back from a spill file; `offset`: the file position just after it."""

    value: Any
    spill: "SpillFile"
    offset: int


class SpillFile:
    """Items of an outage, one JSON line each, append-only. `<file>.done` records how far its
    items are written (moved past only once the batch holding them has committed); a file
    written through to its end is removed."""

    def __init__(self, path: Path):
        self.path = path
        self.done_path = path.with_suffix(".done")
        self.done = self._done()
        self.read_offset = self.done
        self.drained = False

    @classmethod
    def create(cls, path: Path) -> "SpillFile":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return cls(path)

    @classmethod
    def claim_orphans(cls, folder: Path, name: str) -> list["SpillFile"]:
        """The files of processes that are gone, renamed to this process, oldest first."""
        claimed = []
        for path in sorted(folder.glob(f"{name}-*.jsonl")) if folder.exists() else ():
            try:
                owner = int(path.name[len(name) + 1 :].split("-", 1)[0])
            except ValueError:
                continue  # not a spill file of ours
            if owner == os.getpid() or _alive(owner):
                continue
            target = path.with_name(f"{name}-{os.getpid()}-claimed-{path.name[len(name) + 1 :]}")
            try:
                path.rename(target)
                if path.with_suffix(".done").exists():
                    path.with_suffix(".done").rename(target.with_suffix(".done"))
            except FileNotFoundError:
                continue  # claimed by another process first
            claimed.append(cls(target))
        return claimed

    @property
    def pending(self) -> int:
        with self.path.open("rb") as handle:
            handle.seek(self.read_offset)
            return sum(1 for _ in handle)

    def append(self, items: list):
        with self.path.open("a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(item, separators=(",", ":")) + "\n" for item in items)

    def take(self, count: int) -> list[_Spilled]:
        items = []
        with self.path.open("rb") as handle:
            handle.seek(self.read_offset)
            while len(items) < count and (line := handle.readline()).endswith(b"\n"):
                items.append(_Spilled(json.loads(line), self, handle.tell()))
            self.read_offset = handle.tell() if items else self.read_offset
        return items

    def written_through(self, offset: int):
        self.done = max(self.done, offset)
        if self.drained and self.done >= self.path.stat().st_size:
            self.remove()
            return
        temporary = self.done_path.with_suffix(".tmp")
        temporary.write_text(str(self.done))
        temporary.replace(self.done_path)

    def remove(self):
        self.path.unlink(missing_ok=True)
        self.done_path.unlink(missing_ok=True)

    def _done(self) -> int:
        try:
            return int(self.done_path.read_text())
        except (FileNotFoundError, ValueError):
            return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
