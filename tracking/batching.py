"""Group commit for the redirect: concurrent requests of one process share one database statement.

Counting a view is one statement whose fixed cost (a round trip, the statement's own steps, the
row locks every request of a campaign shares) is several times the cost of one more view in it.
So while a thread of a process runs the statement, the threads that arrive meanwhile queue
their views; when it returns, the first of them runs one statement for all of them (the
"combiner"), and each thread gets its own result. Under light load every batch holds one view
and nothing waits; under load batches grow with the queue, so the hot rows see one update per
batch instead of one per click. (A combiner may let a few batches run at once.)

Each request still waits for its own view to be committed before it answers, exactly as if it
had run alone: nothing is counted after the response, and nothing is lost when a process stops.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Any

MAX_BATCH = 200


class _Slot:
    __slots__ = ("done", "error", "item", "result", "taken")

    def __init__(self, item):
        self.item = item
        self.taken = False  # in a batch that is running
        self.done = False
        self.result = None
        self.error: BaseException | None = None


class Combiner:
    """`submit(item)` runs `execute(items)` for a batch holding `item` and returns its result.

    `execute` receives the items in arrival order and returns one result per item, in the same
    order; if it raises, every request of that batch gets the exception. It runs in the thread
    of one of the batch's requests (with that thread's database connection), at most
    `max_running` batches at once.
    """

    def __init__(
        self, execute: Callable[[Sequence[Any]], Sequence[Any]], *, max_batch: int = MAX_BATCH, max_running: int = 1
    ):
        self._execute = execute
        self._max_batch = max_batch
        self._max_running = max_running
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._running = 0

    def submit(self, item):
        slot = _Slot(item)
        with self._cond:
            self._queue.append(slot)
        while True:
            with self._cond:
                while not slot.done and (slot.taken or self._running >= self._max_running):
                    self._cond.wait()
                if slot.done:
                    break
                # A batch may start: this thread runs one for the oldest queued views (its own
                # among them, unless more than a batch is queued: then it loops).
                self._running += 1
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                for queued in batch:
                    queued.taken = True
            self._run(batch)
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _run(self, batch: list[_Slot]):
        try:
            results = self._execute([slot.item for slot in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} returned {len(results)} results")
            for slot, result in zip(batch, results, strict=True):
                slot.result = result
        except BaseException as exc:
            for slot in batch:
                slot.error = exc
        finally:
            with self._cond:
                for slot in batch:
                    slot.done = True
                self._running -= 1
                self._cond.notify_all()
