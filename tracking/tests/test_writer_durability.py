"""Clicks survive the database's bad moments: a batch whose connection died is checked by its id
and written again only if it did not commit; an outage longer than the queue spills to disk and
is written back in order; a process stopping mid-outage leaves a file the next one writes."""

import json
import threading

import pytest
from django.db import OperationalError

from tracking import services
from tracking.models import ViewStat
from tracking.tests.conftest import join, visibility_campaign
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
    assert list(tmp_path.iterdir()) == []  # written through: the files are gone


def test_a_process_stopping_mid_outage_leaves_its_clicks_to_the_next(tmp_path):
    db = FakeDatabase()
    db.down = True
    first = _writer(db, max_batch=4, max_queued=6, spill_dir=tmp_path)
    for item in range(12):
        first.submit(item)
    first.stop(timeout=5)
    # The process exits: its files now belong to a pid that no longer runs.
    for path in tmp_path.iterdir():
        owner_part = path.name.split("-", 2)[2]
        path.rename(tmp_path / f"test-clicks-999999999-{owner_part.split('-', 1)[1]}")
    assert sum(len(path.read_text().splitlines()) for path in tmp_path.glob("*.jsonl")) == 12

    db.down = False
    second = _writer(db, spill_dir=tmp_path)
    second.submit("new")
    assert second.flush(timeout=10) is True
    second.stop()

    assert sorted(db.written[:-1]) == list(range(12)) and db.written[-1] == "new"
    assert len(db.written) == 13  # each once
    assert list(tmp_path.iterdir()) == []


def test_a_replay_cut_short_starts_where_its_written_items_end(tmp_path):
    spilled = tmp_path / "test-clicks-999999999-000001.jsonl"
    spilled.write_text("".join(json.dumps(item) + "\n" for item in range(6)))
    offset_after_three = len("".join(json.dumps(item) + "\n" for item in range(3)))
    spilled.with_suffix(".done").write_text(str(offset_after_three))  # 0-2 were written, then a crash

    db = FakeDatabase()
    writer = _writer(db, spill_dir=tmp_path)
    writer.submit("new")
    assert writer.flush(timeout=10) is True
    writer.stop()

    assert db.written == [3, 4, 5, "new"]


@pytest.mark.django_db(transaction=True)
def test_the_redirects_writer_counts_a_batch_once_when_its_connection_dies_after_commit():
    participation = join(visibility_campaign(max_views=100))
    calls = []

    def execute(rows, batch_id):
        services._views_count(rows, batch_id)
        calls.append(batch_id)
        if len(calls) == 1:
            raise _lost_connection()  # it committed; the answer never arrived

    rows = [_request(participation, ip=f"198.51.100.{n}") for n in range(5)]
    # The batch gathers until flush() asks for it: one batch of five.
    writer = BackgroundWriter(execute, name="test-views", committed=services._view_batch_committed, interval=30)
    for row in rows:
        writer.submit(row)
    assert writer.flush(timeout=10) is True
    writer.stop()

    assert len(calls) == 1  # its id was found: not written again
    row = ViewStat.objects.get(participation=participation)
    assert (row.requests, row.paid_views) == (5, 5)
    assert services._views_count([_request(participation, ip="198.51.100.9")], calls[0]) == []  # a replay: nothing
