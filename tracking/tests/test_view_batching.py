"""Counting after the response: the background writer, and the batch statement's rules on
PostgreSQL (a batch must count exactly as the same requests would one by one)."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError

from campaigns.models import Campaign, PromoterCampaign
from tests.support.tracking import (
    BROWSER_UA,
    assert_capped_exactly,
    join,
    participation_near_cap,
    visibility_campaign,
    visit,
)
from tracking import services
from tracking import writer as writer_module
from tracking.models import RejectReason, UniqueView, ViewStat
from tracking.services import counting
from tracking.visitors import visitor_key
from tracking.writer import BackgroundWriter, background_writer

# --- The background writer -------------------------------------------------------------------


def _writer(execute=None, **options):
    batches = []

    def record(items):
        batches.append(list(items))

    options.setdefault("interval", 30)  # a batch gathers until flush() or stop() asks for it
    return BackgroundWriter(execute or record, name="test-writer", **options), batches


def _refused(sqlstate):
    """A DatabaseError as Django raises it for an error the server answered with `sqlstate`."""
    error = DatabaseError(f"refused: {sqlstate}")
    error.__cause__ = psycopg.errors.lookup(sqlstate)(f"refused: {sqlstate}")
    return error


def test_items_queued_together_are_written_as_one_batch_in_arrival_order():
    writer, batches = _writer()
    for item in "abcde":
        assert writer.submit(item) is True

    assert writer.flush(timeout=5) is True
    assert batches == [list("abcde")]
    writer.stop()


def test_a_full_batch_is_written_at_once_without_waiting_for_the_interval():
    two_written = threading.Event()
    batches = []

    def execute(items):
        batches.append(list(items))
        if len(batches) == 2:
            two_written.set()

    writer = BackgroundWriter(execute, name="test-writer", interval=30, max_batch=3)
    for item in range(7):
        writer.submit(item)

    assert two_written.wait(timeout=5)  # no flush: only the full batches were written
    assert batches == [[0, 1, 2], [3, 4, 5]]
    writer.stop()
    assert batches[2:] == [[6]]


def test_a_lone_click_is_written_after_the_interval_without_anyone_flushing():
    written = threading.Event()
    writer = BackgroundWriter(lambda items: written.set(), name="test-writer", interval=0.01)
    writer.submit("click")

    assert written.wait(timeout=5)
    writer.stop()


def test_a_batch_that_fails_unexpectedly_is_logged_and_dropped_and_the_next_is_written(caplog):
    def execute(items):
        if "bad" in items:
            raise RuntimeError("bug")
        batches.append(list(items))

    writer, batches = _writer(execute)
    writer.submit("bad")
    assert writer.flush(timeout=5) is True
    writer.submit("good")
    assert writer.flush(timeout=5) is True

    assert batches == [["good"]]
    assert writer.failed == 1
    assert "a batch of 1 was not written" in caplog.text
    writer.stop()


def _write_all(execute, items) -> BackgroundWriter:
    """Queue `items` on a writer running `execute`, wait until it is done with them, stop it."""
    writer, _ = _writer(execute)
    for item in items:
        writer.submit(item)
    assert writer.flush(timeout=5) is True
    writer.stop()
    return writer


@pytest.mark.parametrize(
    "error",
    [
        DatabaseError("server closed the connection unexpectedly"),  # no SQLSTATE: it may have committed
        _refused("53100"),  # disk full: no item causes it, every half would fail too
    ],
    ids=["fate-unknown", "refused-for-every-item"],
)
def test_a_failed_batch_is_dropped_whole_and_never_written_again(error):
    calls = []

    def execute(items):
        calls.append(list(items))
        raise error

    writer = _write_all(execute, "abcd")

    assert calls == [list("abcd")]
    assert writer.failed == 4


def test_a_deadlocked_batch_is_written_again_whole_once():
    calls = []

    def execute(items):
        calls.append(list(items))
        if len(calls) == 1:
            raise _refused("40P01")

    writer = _write_all(execute, "abcd")

    assert calls == [list("abcd"), list("abcd")]
    assert writer.failed == 0


def test_one_bad_item_refused_by_the_database_loses_only_itself():
    written = []

    def execute(items):
        if "bad" in items:
            raise _refused("23503")  # foreign key: its participation was deleted meanwhile
        written.extend(items)

    writer = _write_all(execute, ["a", "b", "bad", "c", "d"])

    assert written == ["a", "b", "c", "d"]
    assert writer.failed == 1


def test_a_full_queue_drops_new_items_instead_of_growing():
    busy, release = threading.Event(), threading.Event()
    batches = []

    def execute(items):
        batches.append(list(items))
        busy.set()
        release.wait()

    writer = BackgroundWriter(execute, name="test-writer", interval=0, max_batch=1, max_queued=2)
    writer.submit("first")
    assert busy.wait(timeout=5)  # the thread is writing "first"
    accepted = [writer.submit(item) for item in ("a", "b", "c")]
    release.set()

    assert accepted == [True, True, False]
    assert writer.flush(timeout=5) is True
    assert batches == [["first"], ["a"], ["b"]]
    assert writer.dropped == 1
    writer.stop()


def test_stop_writes_what_is_queued_and_a_later_item_starts_the_thread_again():
    writer, batches = _writer()
    writer.submit(1)
    writer.submit(2)

    writer.stop(timeout=5)
    assert batches == [[1, 2]]

    writer.submit(3)
    assert writer.flush(timeout=5) is True
    assert batches == [[1, 2], [3]]
    writer.stop()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_process_writes_only_its_own_items_and_the_parent_keeps_its_queue():
    """gunicorn forks its workers from one process: each must count its own clicks, once."""
    batches = []
    writer = background_writer(lambda items: batches.append(list(items)), name="test-writer", interval=30)
    try:
        writer.submit("parent")
        pid = os.fork()
        if pid == 0:  # the child: its writer starts empty and works
            writer.submit("child")
            ok = writer.flush(timeout=5) and batches == [["child"]]
            os._exit(0 if ok else 1)
        _pid, status = os.waitpid(pid, 0)

        assert os.waitstatus_to_exitcode(status) == 0
        assert writer.flush(timeout=5) is True
        assert batches == [["parent"]]
    finally:
        writer.stop()
        writer_module._writers.remove(writer)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_redirect_answers_first_and_the_click_is_counted_with_the_next_batch(client, monkeypatch):
    participation = join(visibility_campaign(max_views=100))
    monkeypatch.setattr(counting._view_writer, "_interval", 60)  # the batch waits for flush()

    response = visit(client, participation)

    assert response.status_code == 302
    assert not ViewStat.objects.filter(participation=participation).exists()
    assert services.views_flush() is True
    assert _stat(participation)["paid_views"] == 1


@pytest.mark.django_db(transaction=True)
def test_with_counting_after_the_response_turned_off_the_click_is_counted_before_the_redirect(
    client, monkeypatch, settings
):
    settings.TRACKING_COUNT_AFTER_RESPONSE = False
    participation = join(visibility_campaign(max_views=100))
    monkeypatch.setattr(counting._view_writer, "_interval", 60)

    visit(client, participation)

    assert _stat(participation)["paid_views"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_web_process_that_exits_cleanly_counts_its_queued_clicks_first(database_url_for_subprocess):
    """A deploy stops web processes with SIGTERM: the clicks they queued must still count."""
    participation = join(visibility_campaign(max_views=100))
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess,
        "DJANGO_SETTINGS_MODULE": "campaignplatform.settings_test",
    }
    script = f"""
import django
django.setup()
from tracking import services
from tracking.services import counting
counting._view_writer._interval = 600  # nothing is written on its own before the process exits
link = services.link_lookup({participation.tracking_code!r})
for n in range(25):
    services.view_track_after_response(
        link=link, ip=f"192.0.2.{{n}}", user_agent={BROWSER_UA!r}, user_id=None, prefetch=False
    )
"""

    subprocess.run([sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR, check=True, timeout=120)  # noqa: S603 (our own script)

    assert ViewStat.objects.get(participation=participation).paid_views == 25
    assert Campaign.objects.get(pk=participation.campaign_id).paid_views == 25


# --- The redirect survives a failed count ----------------------------------------------------


@pytest.mark.django_db
def test_a_view_that_cannot_be_counted_still_redirects(client, monkeypatch):
    participation = join(visibility_campaign())

    def fail(**kwargs):
        raise DatabaseError("database unavailable")

    monkeypatch.setattr(services, "view_track_after_response", fail)
    response = visit(client, participation)

    assert response.status_code == 302
    assert response["Location"] == "https://example.com/product"


# --- The batch statement (PostgreSQL) --------------------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


def _request(participation, *, ip="203.0.113.7", ua=BROWSER_UA, reason=None, now=NOW):
    link = services.link_lookup(participation.tracking_code)
    day = now.date()
    if reason is not None:
        return counting._view_row(counting._ViewRequest(link=link, day=day, created_at=now, reason=reason))
    key, minute = counting._rate_limit_key(ip=ip, day=day, now=now)
    request = counting._ViewRequest(
        link=link,
        day=day,
        created_at=now,
        reason=None,
        visitor=visitor_key(day_iso=day.isoformat(), ip=ip, user_agent=ua),
        ip_key=key,
        minute=minute,
    )
    return counting._view_row(request)


def _stat(participation):
    row = ViewStat.objects.get(participation=participation)
    return {
        name: getattr(row, name) for name in ["requests", "unique_views", "paid_views", *row.REJECT_FIELDS.values()]
    }


@pytest.mark.django_db
def test_one_batch_applies_dedupe_rate_limit_and_reasons_in_arrival_order(settings):
    settings.TRACKING_RATE_LIMIT_PER_MINUTE = 2
    participation = join(visibility_campaign(max_views=100))
    batch = [
        _request(participation, ip="198.51.100.1"),  # paid
        _request(participation, ip="198.51.100.1"),  # same visitor: duplicate
        _request(participation, ip="198.51.100.1", ua=BROWSER_UA + " x"),  # 3rd from the IP: limited
        _request(participation, ip="198.51.100.2"),  # paid
        _request(participation, reason=RejectReason.BOT),
        _request(participation, reason=RejectReason.PREFETCH),
    ]

    reasons = counting._views_count(batch)

    assert reasons == [None, "duplicate", "rate_limit", None, "bot", "prefetch"]
    assert _stat(participation) == {
        "requests": 6,
        "unique_views": 2,
        "paid_views": 2,
        "rejected_prefetch": 1,
        "rejected_bot": 1,
        "rejected_inactive": 0,
        "rejected_self": 0,
        "rejected_rate_limit": 1,
        "rejected_duplicate": 1,
        "rejected_cap": 0,
    }
    assert UniqueView.objects.filter(participation=participation).count() == 2
    assert Campaign.objects.get(pk=participation.campaign_id).paid_views == 2
    assert PromoterCampaign.objects.get(pk=participation.pk).views_generated == 2
    # The next batch sees what this one recorded.
    assert counting._views_count([_request(participation, ip="198.51.100.2")]) == ["duplicate"]
    assert counting._views_count([_request(participation, ip="198.51.100.1", ua="other")]) == ["rate_limit"]


@pytest.mark.django_db
def test_a_batch_pays_only_the_room_left_first_come_first_paid_per_campaign(django_capture_on_commit_callbacks):
    near_cap = visibility_campaign(max_views=5)
    Campaign.objects.filter(pk=near_cap.pk).update(paid_views=3)
    first, second = join(near_cap), join(near_cap)
    other = join(visibility_campaign(max_views=100))
    batch = [
        _request(first, ip="192.0.2.1"),
        _request(other, ip="192.0.2.2"),
        _request(second, ip="192.0.2.3"),
        _request(first, ip="192.0.2.4"),  # no room left: cap
        _request(other, ip="192.0.2.5"),
    ]

    with django_capture_on_commit_callbacks() as callbacks:
        reasons = counting._views_count(batch)

    assert reasons == [None, None, None, "cap", None]
    assert Campaign.objects.get(pk=near_cap.pk).paid_views == 5
    assert Campaign.objects.get(pk=other.campaign_id).paid_views == 2
    assert (_stat(first)["paid_views"], _stat(first)["rejected_cap"], _stat(first)["unique_views"]) == (1, 1, 2)
    assert _stat(second)["paid_views"] == 1
    assert PromoterCampaign.objects.get(pk=first.pk).views_generated == 1
    assert PromoterCampaign.objects.get(pk=other.pk).views_generated == 2
    assert len(callbacks) == 1  # the campaign that reached its cap is completed after commit


@pytest.mark.django_db
def test_an_inactive_campaign_in_the_database_pays_nothing_whatever_the_cached_link_says():
    participation = join(visibility_campaign(max_views=10))
    batch = [_request(participation, ip="192.0.2.9")]  # the link was looked up while active
    Campaign.objects.filter(pk=participation.campaign_id).update(status="paused")

    assert counting._views_count(batch) == ["cap"]
    assert Campaign.objects.get(pk=participation.campaign_id).paid_views == 0


@pytest.mark.django_db(transaction=True)
def test_writers_of_four_web_processes_racing_for_the_last_10_paid_views_pay_exactly_10():
    """Each web process has its own writer and connection: their batches meet in the database."""
    campaign, participation = participation_near_cap(room=10)
    writers = [BackgroundWriter(counting._views_count, name=f"web-{n}", interval=60) for n in range(4)]
    for n, writer in enumerate(writers):
        for visitor in range(16):
            writer.submit(_request(participation, ip=f"198.51.100.{n * 16 + visitor}"))
    start = threading.Barrier(len(writers))
    flushed = []

    def flush(writer):
        start.wait()
        flushed.append(writer.flush(timeout=60))

    threads = [threading.Thread(target=flush, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.stop()

    assert flushed == [True] * len(writers)
    assert sum(writer.failed for writer in writers) == 0
    assert_capped_exactly(campaign, participation, requests=64, paid=10)
