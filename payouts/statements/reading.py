"""Finding statements: a user's list, the next one due, and one statement by period."""

from __future__ import annotations

import datetime

from django.utils import timezone

from payouts.models import (
    BillingPeriodSummary,
    SummaryRole,
)
from payouts.services import period_of
from payouts.statements.advertiser import AdvertiserStatement, advertiser_statement
from payouts.statements.base import StatementNotClosed, StatementNotFound, period_close_time, period_is_closed
from payouts.statements.promoter import PromoterStatement, promoter_statement


def statements_for_user(*, user) -> list[BillingPeriodSummary]:
    """The user's monthly summaries, newest first (one per closed month with something to say)."""
    return list(BillingPeriodSummary.objects.filter(user=user).order_by("-period"))


def statement_next_ready(*, now: datetime.datetime | None = None) -> tuple[datetime.date, datetime.datetime]:
    """The month whose statement comes next and when: the current month, at its close."""
    period = period_of(now or timezone.now())
    return period, period_close_time(period)


def statement_get(*, user, period: datetime.date) -> PromoterStatement | AdvertiserStatement:
    """The user's itemised statement for `period`.

    Raises StatementNotClosed for the current month and for an ended month whose close has not
    run, and StatementNotFound for a later month or a closed one with no summary of this user."""
    summary = BillingPeriodSummary.objects.filter(user=user, period=period).first()
    if summary is None:
        current = period_of(timezone.now())
        if period > current or (period < current and period_is_closed(period)):
            raise StatementNotFound(f"No statement for {period:%B %Y}.")
        raise StatementNotClosed(period, period_close_time(period))
    if summary.role == SummaryRole.PROMOTER:
        return promoter_statement(summary=summary)
    return advertiser_statement(summary=summary)
