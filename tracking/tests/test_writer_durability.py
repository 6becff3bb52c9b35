"""Clicks survive the database's bad moments: a batch whose connection died is checked by its id
and written again only if it did not commit; an outage longer than the queue spills to disk and
is written back in order; a process stopping mid-outage leaves a file the next one writes."""

import threading

import pytest
from django.db import OperationalError

from tests.support.tracking import join, visibility_campaign
from tracking.models import ViewStat
from tracking.services import counting
from tracking.tests.test_view_batching import _request
from tracking.writer import BackgroundWriter


def _lost_connection():
    return OperationalError("server closed the connection unexpectedly")  # no SQLSTATE: fate unknown


class FakeDatabase:
    """execute/committed for a writer, with batch ids, that can fail in the ways a network does."""

    def __init__(self):
        self.lock = threading.Lock()
        self.committed_ids = set()
        self.written = []  # items, in the order they were committed
        self.down = False
        self.die_after_commit = 0  # the next N executions commit, then lose their connection
        self.die_before_commit = 0

    def execute(self, items, batch_id):
        with self.lock:
            if self.down:
                raise _lost_connection()
            if self.die_before_commit:
                self.die_before_commit -= 1
                raise _lost_connection()
            if batch_id not in self.committed_ids:
                self.committed_ids.add(batch_id)
                self.written.extend(items)
            if self.die_after_commit:
                self.die_after_commit -= 1
                raise _lost_connection()

    def committed(self, batch_id):
        with self.lock:
            if self.down:
                raise _lost_connection()
            return batch_id in self.committed_ids


def _writer(db, **options):
    options.setdefault("interval", 0.01)
    return BackgroundWriter(db.execute, name="test-clicks", committed=db.committed, retry_max_seconds=0.05, **options)


@pytest.mark.parametrize("failure", ["die_after_commit", "die_before_commit"])
def test_a_batch_whose_connection_died_is_written_exactly_once(failure):
    db = FakeDatabase()
    setattr(db, failure, 1)
    writer = _writer(db)
    for item in range(5):
        writer.submit(item)

    assert writer.flush(timeout=5) is True
    writer.stop()
    assert db.written == [0, 1, 2, 3, 4]
    assert writer.failed == 0


def test_an_outage_longer_than_the_queue_spills_to_disk_and_is_written_back_in_order(tmp_path):
    db = FakeDatabase()
    db.down = True
    writer = _writer(db, max_batch=4, max_queued=6, spill_dir=tmp_path)
    for item in range(30):
        assert writer.submit(item) is True  # none dropped
    assert list(tmp_path.glob("*.jsonl"))  # the overflow went to disk

    db.down = False
    for item in range(30, 35):
        writer.submit(item)  # arriving as the database comes back: after the spilled ones
    assert writer.flush(timeout=10) is True
    writer.stop()

    assert db.written == list(range(35))
    assert writer.dropped == 0 and writer.failed == 0
    assert list(tmp_path.glob("*.jsonl")) == []  # written through: the files are gone


def _lines(folder):
    return sum(len(path.read_text().splitlines()) - 1 for path in folder.glob("*.jsonl"))  # less headers


def _process_gone(writer):
    """What the operating system does when a writer's process exits: its lock is released."""
    writer._folder._lock_handle.close()


def test_a_process_stopping_mid_outage_leaves_its_clicks_to_the_next(tmp_path):
    db = FakeDatabase()
    db.down = True
    first = _writer(db, max_batch=4, max_queued=6, spill_dir=tmp_path)
    for item in range(12):
        first.submit(item)
    first.stop(timeout=5)
    _process_gone(first)
    assert _lines(tmp_path) >= 2  # the batch of unknown fate (one line) and the rest

    db.down = False
    second = _writer(db, spill_dir=tmp_path)
    second.submit("new")
    assert second.flush(timeout=10) is True
    second.stop()

    assert sorted(db.written[:-1]) == list(range(12)) and db.written[-1] == "new"
    assert len(db.written) == 13  # each once
    assert list(tmp_path.glob("*.jsonl")) == []


def test_a_batch_that_committed_as_its_process_stopped_is_not_written_again(tmp_path):
    """The connection died after the commit, the database went away, the process stopped: the
    batch is spilled under its own id, and the next writer finds that id committed."""
    db = FakeDatabase()
    db.die_after_commit = 1
    original_execute = db.execute

    def execute_then_outage(items, batch_id):
        try:
            original_execute(items, batch_id)
        finally:
            db.down = True

    first = BackgroundWriter(
        execute_then_outage, name="test-clicks", committed=db.committed, interval=30, spill_dir=tmp_path
    )
    for item in range(4):
        first.submit(item)
    first.flush(timeout=0.5)  # the batch is tried, commits, and its answer is lost
    first.stop(timeout=5)
    _process_gone(first)

    db.down = False
    second = _writer(db, spill_dir=tmp_path)
    second.submit("new")
    assert second.flush(timeout=10) is True
    second.stop()

    assert db.written == [0, 1, 2, 3, "new"]


def test_a_chunk_cut_short_by_a_crash_is_written_again_under_the_same_id(tmp_path):
    from tracking.spill import SpillFolder, derived_id

    gone = SpillFolder(tmp_path, "test-clicks")
    spill = gone.new_file()
    spill.append(list(range(6)))
    chunk = spill.chunk(3)  # recorded as being written: 0-2 ...
    db = FakeDatabase()
    db.execute(chunk.items, chunk.batch_id)  # ... and committed; then the process died
    gone._lock_handle.close()

    writer = _writer(db, spill_dir=tmp_path, max_batch=100)
    writer.submit("new")
    assert writer.flush(timeout=10) is True
    writer.stop()

    assert chunk.batch_id == derived_id(spill.file_id, f"{chunk.start}-{chunk.end}")
    assert db.written == [0, 1, 2, 3, 4, 5, "new"]  # 0-2 once: the replayed chunk was found committed


@pytest.mark.django_db(transaction=True)
def test_the_redirects_writer_counts_a_batch_once_when_its_connection_dies_after_commit():
    participation = join(visibility_campaign(max_views=100))
    calls = []

    def execute(rows, batch_id):
        counting._views_count(rows, batch_id)
        calls.append(batch_id)
        if len(calls) == 1:
            raise _lost_connection()  # it committed; the answer never arrived

    rows = [_request(participation, ip=f"198.51.100.{n}") for n in range(5)]
    # The batch gathers until flush() asks for it: one batch of five.
    writer = BackgroundWriter(execute, name="test-views", committed=counting._view_batch_committed, interval=30)
    for row in rows:
        writer.submit(row)
    assert writer.flush(timeout=10) is True
    writer.stop()

    assert len(calls) == 1  # its id was found: not written again
    row = ViewStat.objects.get(participation=participation)
    assert (row.requests, row.paid_views) == (5, 5)
    assert counting._views_count([_request(participation, ip="198.51.100.9")], calls[0]) == []  # a replay: nothing
