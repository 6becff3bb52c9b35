"""The day partitions of `unique_views` (migration 0003): created ahead, filled from the default
partition when a day had none, dropped once the de-duplication no longer needs them.

Run hourly by the `tracking.unique_views_partitions` schedule; every step is safe to repeat and to
run beside the counting. Each change takes the parent table's lock first (then the default
partition's), the order the counting's inserts take them in, so the two never deadlock; the
counting waits a few milliseconds while a partition is attached or dropped, and no click is lost:
a day without a partition is counted in the default partition and moved here, de-duplication
included (the unique key spans the partitions).
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

TABLE = "unique_views"
DEFAULT = f"{TABLE}_default"
_NAME = re.compile(rf"^{TABLE}_p(\d{{8}})$")
# Waiting longer than this for the counting's locks means a long transaction is in the way: try
# again at the next run rather than queue every click behind it.
LOCK_TIMEOUT = "5s"


@dataclass
class MaintenanceReport:
    created: list = field(default_factory=list)
    moved_rows: int = 0
    dropped: list = field(default_factory=list)
    skipped: list = field(default_factory=list)


def partition_name(day: dt.date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def partition_days() -> list[dt.date]:
    """The days that have a partition of their own, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    return sorted(dt.datetime.strptime(match[1], "%Y%m%d").date() for name in names if (match := _NAME.match(name)))


def unique_views_partitions_maintain(*, today: dt.date | None = None) -> MaintenanceReport:
    """Create the partitions of today and the next days, move rows out of the default partition,
    drop the days older than TRACKING_UNIQUE_VIEWS_KEEP_DAYS (today counted as day one)."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    oldest_kept = today - dt.timedelta(days=settings.TRACKING_UNIQUE_VIEWS_KEEP_DAYS - 1)
    report = MaintenanceReport()
    _default_expired_delete(oldest_kept)
    existing = set(partition_days())
    wanted = set(_default_days()) | {
        today + dt.timedelta(days=n) for n in range(settings.TRACKING_PARTITION_DAYS_AHEAD + 1)
    }
    for day in sorted(day for day in wanted - existing if day >= oldest_kept):
        _step(report, f"create {partition_name(day)}", lambda day=day: _partition_create(day, report))
    for day in sorted(day for day in existing if day < oldest_kept):
        _step(report, f"drop {partition_name(day)}", lambda day=day: _partition_drop(day, report))
    return report


def _step(report: MaintenanceReport, what: str, change) -> None:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
            change()
    except OperationalError:
        logger.warning("unique_views partitions: could not %s now (locks busy); the next run will", what)
        report.skipped.append(what)


def _default_days() -> list[dt.date]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT day FROM {DEFAULT}")  # noqa: S608 - constant names
        return [day for (day,) in cursor.fetchall()]


def _default_expired_delete(oldest_kept: dt.date) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DEFAULT} WHERE day < %s", [oldest_kept])  # noqa: S608 - constant names


def _partition_create(day: dt.date, report: MaintenanceReport) -> None:
    """The day's partition, with the rows the default partition holds for that day (a partition
    cannot be attached while the default partition holds rows of its range)."""
    name, bounds = partition_name(day), [day, day + dt.timedelta(days=1)]
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)")
        cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK (day >= %s AND day < %s)", bounds)
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE day = %s RETURNING *) INSERT INTO {name} SELECT * FROM moved",  # noqa: S608 - constant names
            [day],
        )
        report.moved_rows += cursor.rowcount
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", bounds)
        # The check only spared the attach a scan of the rows; the partition bound now says the same.
        cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")
    report.created.append(name)


def _partition_drop(day: dt.date, report: MaintenanceReport) -> None:
    name = partition_name(day)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")
    report.dropped.append(name)
