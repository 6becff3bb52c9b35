"""Counting views: the redirect's hot path and the batched writes behind it."""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from tracking.bots import is_bot
from tracking.models import (
    RejectReason,
    ViewBatch,
)
from tracking.services.links import Link
from tracking.visitors import ip_key, visitor_key
from tracking.writer import background_writer

logger = logging.getLogger(__name__)


# How a click is counted:
# - The redirect classifies it in Python (prefetch, bot, inactive, the promoter's own click) and
#   hashes who sent it (no raw IP is kept), then answers at once; a background thread of the
#   web process writes the clicks in batches (tracking.writer), because the
#   redirect's answer never depends on the count and one statement for a hundred clicks costs
#   little more than for one. See tracking/writer.py for what that trades (a hard crash loses
#   the clicks of the last ~50 ms: never counted, so never paid or charged).
# - The rules live in one place, the database function `tracking_views_count`
#   (tracking/sql/views_count_v1.sql, loaded by a migration), which counts a batch in one
#   statement with a cached plan. The rows every click of a campaign shares (the cap counter,
#   the participation, the day's stats) are locked and updated once per batch.
#
# The batch commits without waiting for the WAL flush (synchronous_commit off for
# that transaction only): the hot rows stay locked until commit, and waiting for the disk there
# would cap a campaign at one batch per fsync. If the database server itself crashes, the views
# committed in its last fraction of a second are lost atomically (cap counter, stats, dedupe
# rows together), so they are simply not paid. Nothing is ever paid twice, and no money is
# written here: the accrual and every ledger posting keep full durability.


@dataclass(frozen=True, slots=True)
class _ViewRequest:
    """One request to a tracking link, as the counting statement needs it (no raw IP)."""

    link: Link
    day: date
    created_at: datetime
    reason: str | None  # decided before the database (prefetch, bot, inactive, self), else None
    visitor: str | None = None
    ip_key: str | None = None
    minute: int | None = None


def _rate_limit_key(*, ip: str, day, now) -> tuple[str, int]:
    """The client IP's key for today (a keyed hash, not the IP) and the current minute."""
    return ip_key(day_iso=day.isoformat(), ip=ip), int(now.timestamp()) // 60


def _rate_limit() -> int:
    limit = settings.TRACKING_RATE_LIMIT_PER_MINUTE
    return limit if limit > 0 else 2**31 - 1


def _view_request(
    *, link: Link, ip: str, user_agent: str, user_id: int | None, prefetch: bool, now: datetime | None
) -> _ViewRequest:
    """Classify a click before the database: HEAD/prefetch, bots, inactive campaign, the
    promoter's own click; otherwise hash the visitor and the IP for the dedupe and rate limit."""
    now = now or timezone.now()
    day = now.astimezone(UTC).date()
    if prefetch:
        reason = RejectReason.PREFETCH
    elif is_bot(user_agent):
        reason = RejectReason.BOT
    elif not link.counts_views:
        reason = RejectReason.INACTIVE
    elif user_id is not None and user_id == link.promoter_id:
        reason = RejectReason.SELF
    else:
        key, minute = _rate_limit_key(ip=ip, day=day, now=now)
        visitor = visitor_key(day_iso=day.isoformat(), ip=ip, user_agent=user_agent)
        return _ViewRequest(link=link, day=day, created_at=now, reason=None, visitor=visitor, ip_key=key, minute=minute)
    return _ViewRequest(link=link, day=day, created_at=now, reason=reason)


def view_track(
    *, link: Link, ip: str, user_agent: str, user_id: int | None, prefetch: bool, now: datetime | None = None
) -> str | None:
    """Count one request to a Visibility tracking link now. Returns None for a paid view, else the
    RejectReason. Writes no ledger rows (the hourly accrual does).

    In order: HEAD/prefetch, bots, inactive campaign, the promoter's own click, the per-IP rate
    limit, the once-a-day dedupe, then the cap: a conditional UPDATE (`paid_views + n <=
    max_views AND status = 'active'`), so concurrent requests never pay more views than the
    campaign bought. The day's stats, `views_generated` and the cap counter change in the same
    transaction (the caller's, if it is in one).
    """
    return _view_count_now(
        _view_request(link=link, ip=ip, user_agent=user_agent, user_id=user_id, prefetch=prefetch, now=now)
    )


def _view_count_now(request: _ViewRequest) -> str | None:
    (reason,) = _views_count([_view_row(request)])
    return reason


def view_track_after_response(
    *, link: Link, ip: str, user_agent: str, user_id: int | None, prefetch: bool, now: datetime | None = None
) -> None:
    """The redirect's way to count a click: with TRACKING_COUNT_AFTER_RESPONSE it is queued for
    this process's writer thread and counted a few milliseconds later, by the same rules as
    `view_track`; without it, and inside a transaction, it is counted now."""
    request = _view_request(link=link, ip=ip, user_agent=user_agent, user_id=user_id, prefetch=prefetch, now=now)
    if connection.in_atomic_block or not settings.TRACKING_COUNT_AFTER_RESPONSE:
        _view_count_now(request)
    else:
        _view_writer.submit(_view_row(request))


def views_flush(timeout: float = 30) -> bool:
    """Wait until this process's queued clicks are counted (tests, and before reading counts that
    must include them). False if they were not written within `timeout` seconds."""
    return _view_writer.flush(timeout)


def _cap_reached_enqueue(campaign_id: int):
    # The last paid view: completing calls billing (accrual, refund of the rounding remainder),
    # so it is a queued task, after commit.
    transaction.on_commit(lambda: async_task("tracking.tasks.campaign_cap_reached", campaign_id))


def _view_row(request: _ViewRequest) -> list:
    """A request as the counting function takes it (and as the writer queues and spills it)."""
    return [
        request.link.participation_id,
        request.link.campaign_id,
        request.day.isoformat(),
        request.reason,
        request.visitor,
        request.ip_key,
        request.minute,
        request.created_at.isoformat(),
    ]


def _views_count(rows: list[list], batch_id: str | None = None) -> list[str | None]:
    """Count a batch of requests (`_view_row`s) in one statement (see `tracking_views_count`);
    returns each request's reason (None: paid), in order. With `batch_id`, the batch is counted
    only if that id was not committed before, and the id commits with it (the writer's way to
    know, after a lost connection, whether a batch was written); [] if it was."""
    relax = not connection.in_atomic_block  # our own transaction: its commit need not wait for the disk
    with transaction.atomic(), connection.cursor() as cursor:
        if batch_id is not None:
            cursor.execute(
                "INSERT INTO tracking_view_batches (id, written_at) VALUES (%s, now()) ON CONFLICT DO NOTHING",
                [batch_id],
            )
            if cursor.rowcount == 0:
                return []
        cursor.execute(
            "SELECT reason, cap_reached FROM tracking_views_count(%s::jsonb, %s, %s)",
            [json.dumps(rows), _rate_limit(), relax],
        )
        results = cursor.fetchall()
    reached = {row[1] for row, (_reason, cap_reached) in zip(rows, results, strict=True) if cap_reached}
    for campaign_id in sorted(reached):
        try:
            _cap_reached_enqueue(campaign_id)
        except Exception:
            # The views are committed: this must not fail (or repeat) their batch. The hourly
            # sweep (`campaigns_complete_capped`) completes a capped campaign that was missed.
            logger.exception("campaign %s reached its cap; completion not queued", campaign_id)
    return [reason for reason, _cap_reached in results]


def _view_batch_committed(batch_id: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM tracking_view_batches WHERE id = %s)", [batch_id])
        return cursor.fetchone()[0]


def view_batches_prune(*, now=None) -> int:
    """Batch ids are only checked right after a lost connection: a day of them is plenty."""
    now = now or timezone.now()
    deleted, _ = ViewBatch.objects.filter(written_at__lt=now - timedelta(days=1)).delete()
    return deleted


_view_writer = background_writer(
    _views_count,
    name="tracking-views",
    committed=_view_batch_committed,
    spill_dir=settings.TRACKING_SPILL_DIR,
    max_queued=settings.TRACKING_WRITER_MAX_QUEUED,
)
