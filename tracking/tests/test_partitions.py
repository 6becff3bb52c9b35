"""unique_views by day: partitions made ahead, rows of a day without one kept and moved, old days
dropped, and no counted view lost or counted twice across midnight or during the maintenance."""

import datetime as dt
import threading

import pytest
from django.db import connection

from tests.support.tracking import BROWSER_UA, join, visibility_campaign
from tracking import services
from tracking.models import ViewStat
from tracking.partitions import partition_days, partition_name, unique_views_partitions_maintain

D = dt.date(2026, 3, 2)


def _click(participation, *, at: dt.datetime, ip: str = "203.0.113.7"):
    link = services.link_lookup(participation.tracking_code)
    return services.view_track(link=link, ip=ip, user_agent=BROWSER_UA, user_id=None, prefetch=False, now=at)


def _rows_by_partition() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM unique_views GROUP BY 1")
        return dict(cursor.fetchall())


def _at(day: dt.date, *hms) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, *hms, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_day_without_its_partition_counts_in_the_default_and_is_moved_with_its_dedupe():
    participation = join(visibility_campaign(max_views=100))
    assert _click(participation, at=_at(D, 10)) is None
    assert _rows_by_partition() == {"unique_views_default": 1}

    report = unique_views_partitions_maintain(today=D)

    assert report.created == [partition_name(D + dt.timedelta(days=n)) for n in range(3)]
    assert report.moved_rows == 1
    assert _rows_by_partition() == {partition_name(D): 1}
    # The same visitor later that day is still the same visitor: not paid twice.
    assert _click(participation, at=_at(D, 18)) == "duplicate"
    assert ViewStat.objects.get(participation=participation).paid_views == 1


@pytest.mark.django_db
def test_midnight_starts_a_new_day_in_its_own_partition_already_there():
    participation = join(visibility_campaign(max_views=100))
    unique_views_partitions_maintain(today=D)

    assert _click(participation, at=_at(D, 23, 59, 59)) is None
    assert _click(participation, at=_at(D + dt.timedelta(days=1), 0, 0, 0)) is None  # a new UTC day
    assert _click(participation, at=_at(D + dt.timedelta(days=1), 0, 0, 1)) == "duplicate"

    assert _rows_by_partition() == {partition_name(D): 1, partition_name(D + dt.timedelta(days=1)): 1}
    assert sum(ViewStat.objects.values_list("paid_views", flat=True)) == 2


@pytest.mark.django_db
def test_days_past_the_retention_are_dropped_and_their_totals_kept(settings):
    settings.TRACKING_UNIQUE_VIEWS_KEEP_DAYS = 35
    participation = join(visibility_campaign(max_views=100))
    unique_views_partitions_maintain(today=D)
    _click(participation, at=_at(D, 12))
    later = D + dt.timedelta(days=40)
    _click(participation, at=_at(D + dt.timedelta(days=3), 12))  # no partition: the default takes it

    with connection.cursor() as cursor:
        # This test's rows were inserted in its own open transaction: their deferred foreign-key
        # checks would keep PostgreSQL from detaching their partition (never so in production).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    report = unique_views_partitions_maintain(today=later)

    assert report.skipped == []
    oldest_kept = later - dt.timedelta(days=34)
    assert report.dropped == [partition_name(D + dt.timedelta(days=n)) for n in range(3)]
    assert min(partition_days()) == later
    assert all(day >= oldest_kept for day in partition_days())
    assert _rows_by_partition() == {}  # the expired default row went too
    assert sum(ViewStat.objects.values_list("paid_views", flat=True)) == 2
    assert unique_views_partitions_maintain(today=later).created == []  # nothing left to do


@pytest.mark.django_db(transaction=True)
def test_maintenance_beside_the_counting_loses_and_repeats_nothing():
    """Eight visitors' threads click while the maintenance creates, fills and drops partitions."""
    participation = join(visibility_campaign(max_views=10_000))
    days = [D + dt.timedelta(days=n) for n in range(4)]
    errors, results = [], []

    def visitor(n):
        try:
            for day in days:
                for second in range(10):
                    results.append(_click(participation, at=_at(day, 12, 0, second), ip=f"198.51.100.{n}"))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    def maintainer():
        try:
            for day in days:
                unique_views_partitions_maintain(today=day)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=visitor, args=(n,)) for n in range(8)] + [
            threading.Thread(target=maintainer)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        # Each visitor is paid once a day: 8 visitors x 4 days, every repeat refused.
        assert results.count(None) == 32 and results.count("duplicate") == 8 * 4 * 9
        rows = _rows_by_partition()
        assert sum(rows.values()) == 32
        # The maintenance did its work meanwhile: every clicked day has its own partition now.
        assert set(days) <= set(partition_days())
        assert "unique_views_default" not in rows  # and the rows a day without one got were moved
        assert sum(ViewStat.objects.values_list("paid_views", flat=True)) == 32
    finally:
        unique_views_partitions_maintain(today=D + dt.timedelta(days=400))  # drop what this test made
