"""Monthly periods: their bounds, the next payout date and parsing YYYY-MM."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from payouts.services.base import PayoutError


def period_of(moment: datetime.datetime | datetime.date) -> datetime.date:
    return datetime.date(moment.year, moment.month, 1)


def period_previous(period: datetime.date) -> datetime.date:
    return period_of(period - datetime.timedelta(days=1))


def period_next(period: datetime.date) -> datetime.date:
    return period_of(period + datetime.timedelta(days=32))


def period_bounds(period: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the month in UTC."""
    start = datetime.datetime(period.year, period.month, 1, tzinfo=datetime.UTC)
    nxt = period_next(period)
    return start, datetime.datetime(nxt.year, nxt.month, 1, tzinfo=datetime.UTC)


def next_payout_at(now: datetime.datetime | None = None) -> datetime.datetime:
    """The next run: the 1st of next month, 06:00 UTC."""
    now = now or timezone.now()
    nxt = period_next(period_of(now))
    return datetime.datetime(nxt.year, nxt.month, 1, 6, 0, tzinfo=datetime.UTC)


_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_period(text: str) -> datetime.date:
    """`YYYY-MM` to the month's first day; PayoutError for anything else (2026-13, 0000-01, 2026-1)."""
    match = _PERIOD.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return datetime.date(int(match[1]), int(match[2]), 1)
    except ValueError as error:
        raise PayoutError(f"A period is written YYYY-MM, not {text!r}.") from error
