"""Group commit of views: the combiner, and the batch statement's rules on PostgreSQL (a batch
must count exactly as the same requests would one by one)."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError

from campaigns.models import Campaign, PromoterCampaign
from tracking import services
from tracking.batching import Combiner
from tracking.models import RejectReason, UniqueView, ViewStat
from tracking.tests.conftest import BROWSER_UA, join, visibility_campaign, visit
from tracking.visitors import visitor_key

# --- The combiner ------------------------------------------------------------------------------


def _wait_until(condition):
    for _ in range(10_000_000):
        if condition():
            return
    raise AssertionError("condition never became true")


@pytest.mark.parametrize("max_running", [1, 2])
def test_a_lone_request_runs_its_own_batch(max_running):
    batches = []
    combiner = Combiner(
        lambda items: batches.append(list(items)) or [item * 2 for item in items], max_running=max_running
    )

    assert combiner.submit(3) == 6
    assert combiner.submit(4) == 8
    assert batches == [[3], [4]]


def test_requests_arriving_during_a_batch_share_the_next_one_and_each_gets_its_own_result():
    release = threading.Event()
    batches = []

    def execute(items):
        batches.append(list(items))
        if items == [0]:
            release.wait()
        return [item * 10 for item in items]

    combiner = Combiner(execute)
    results = {}

    def request(n):
        results[n] = combiner.submit(n)

    first = threading.Thread(target=request, args=(0,))
    first.start()
    _wait_until(lambda: batches)
    others = [threading.Thread(target=request, args=(n,)) for n in range(1, 20)]
    for thread in others:
        thread.start()
    _wait_until(lambda: len(combiner._queue) == 19)
    release.set()
    for thread in [first, *others]:
        thread.join()

    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 20)) and len(batches) == 2
    assert results == {n: n * 10 for n in range(20)}


def test_a_failed_batch_fails_each_of_its_requests_and_the_next_batch_runs():
    def execute(items):
        if "bad" in items:
            raise DatabaseError("deadlock")
        return items

    combiner = Combiner(execute)
    with pytest.raises(DatabaseError):
        combiner.submit("bad")
    assert combiner.submit("good") == "good"


def test_more_requests_than_a_batch_holds_are_run_in_several_batches():
    release = threading.Event()
    batches = []

    def execute(items):
        batches.append(len(items))
        if items == ["first"]:
            release.wait()
        return items

    combiner = Combiner(execute, max_batch=3)
    threads = [threading.Thread(target=combiner.submit, args=("first",))]
    threads[0].start()
    _wait_until(lambda: batches)
    threads += [threading.Thread(target=combiner.submit, args=(n,)) for n in range(7)]
    for thread in threads[1:]:
        thread.start()
    _wait_until(lambda: len(combiner._queue) == 7)
    release.set()
    for thread in threads:
        thread.join()

    assert batches == [1, 3, 3, 1]


def test_with_two_batches_allowed_a_second_runs_while_the_first_waits_and_a_third_queues():
    release = threading.Event()
    batches = []

    def execute(items):
        batches.append(list(items))
        if items in (["a"], ["b"]):
            release.wait()
        return items

    combiner = Combiner(execute, max_running=2)
    threads = [threading.Thread(target=combiner.submit, args=(item,)) for item in "ab"]
    threads[0].start()
    _wait_until(lambda: len(batches) == 1)
    threads[1].start()
    _wait_until(lambda: len(batches) == 2)
    threads += [threading.Thread(target=combiner.submit, args=(item,)) for item in "cd"]
    for thread in threads[2:]:
        thread.start()
    _wait_until(lambda: len(combiner._queue) == 2)
    assert len(batches) == 2  # both places taken: c and d wait together
    release.set()
    for thread in threads:
        thread.join()

    assert batches[:2] == [["a"], ["b"]]
    assert sorted(item for batch in batches[2:] for item in batch) == ["c", "d"]


# --- The redirect survives a failed count ----------------------------------------------------


@pytest.mark.django_db
def test_a_view_that_cannot_be_counted_still_redirects(client, monkeypatch):
    participation = join(visibility_campaign())

    def fail(**kwargs):
        raise DatabaseError("database unavailable")

    monkeypatch.setattr(services, "view_track", fail)
    response = visit(client, participation)

    assert response.status_code == 302
    assert response["Location"] == "https://example.com/product"


# --- The batch statement (PostgreSQL) --------------------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


def _request(participation, *, ip="203.0.113.7", ua=BROWSER_UA, reason=None, now=NOW):
    link = services.link_lookup(participation.tracking_code)
    day = now.date()
    if reason is not None:
        return services._ViewRequest(link=link, day=day, created_at=now, reason=reason)
    key, minute, _limit = services._rate_limit_key(ip=ip, day=day, now=now)
    return services._ViewRequest(
        link=link,
        day=day,
        created_at=now,
        reason=None,
        visitor=visitor_key(day_iso=day.isoformat(), ip=ip, user_agent=ua),
        ip_key=key,
        minute=minute,
    )


def _stat(participation):
    row = ViewStat.objects.get(participation=participation)
    return {
        name: getattr(row, name) for name in ["requests", "unique_views", "paid_views", *row.REJECT_FIELDS.values()]
    }


@pytest.mark.postgres
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

    reasons = services._views_count_postgresql(batch)

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
    assert services._views_count_postgresql([_request(participation, ip="198.51.100.2")]) == ["duplicate"]
    assert services._views_count_postgresql([_request(participation, ip="198.51.100.1", ua="other")]) == ["rate_limit"]


@pytest.mark.postgres
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
        reasons = services._views_count_postgresql(batch)

    assert reasons == [None, None, None, "cap", None]
    assert Campaign.objects.get(pk=near_cap.pk).paid_views == 5
    assert Campaign.objects.get(pk=other.campaign_id).paid_views == 2
    assert (_stat(first)["paid_views"], _stat(first)["rejected_cap"], _stat(first)["unique_views"]) == (1, 1, 2)
    assert _stat(second)["paid_views"] == 1
    assert PromoterCampaign.objects.get(pk=first.pk).views_generated == 1
    assert PromoterCampaign.objects.get(pk=other.pk).views_generated == 2
    assert len(callbacks) == 1  # the campaign that reached its cap is completed after commit


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_inactive_campaign_in_the_database_pays_nothing_whatever_the_cached_link_says():
    participation = join(visibility_campaign(max_views=10))
    batch = [_request(participation, ip="192.0.2.9")]  # the link was looked up while active
    Campaign.objects.filter(pk=participation.campaign_id).update(status="paused")

    assert services._views_count_postgresql(batch) == ["cap"]
    assert Campaign.objects.get(pk=participation.campaign_id).paid_views == 0
