"""The monthly close: releasing pending earnings, deductions, statements, then the payout run."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from billing.ledger import Move, ledger_post_many
from billing.models import AccountKind, LedgerAccount, TransactionKind
from campaignplatform.bulk import AnyOf
from payouts.models import (
    PeriodClose,
)
from payouts.services.base import BATCH_SIZE, CloseReport, PayoutError, RunReport
from payouts.services.deductions import deductions_apply, deductions_outstanding
from payouts.services.immediate import transfers_resend_reversed
from payouts.services.periods import period_bounds, period_of
from payouts.services.run import payout_records_create, payout_run_send
from payouts.services.summaries import period_summaries_write


def period_close(*, period: datetime.date, slice_seconds: float | None = None) -> CloseReport:
    """Close `period`: release eligible pending to current, create the payout records, write
    statements and balance snapshots, then send the payouts (for about `slice_seconds` when
    given: `report.run.unfinished` says more are left). Safe to run twice, or again after a
    crash: each step skips what is already done."""
    if period >= period_of(timezone.now()):
        raise PayoutError("Only a month that has ended can be closed.")
    close, _ = PeriodClose.objects.get_or_create(period=period)
    report = CloseReport(period=period)
    if close.released_at is None:
        # Deductions first: they come out of pending earnings, and what they still need is
        # kept back from the release.
        report.deductions_applied, report.deductions_cents = deductions_apply()
        report.released_promoters, report.released_cents = pending_release(period=period)
        PeriodClose.objects.filter(pk=close.pk, released_at__isnull=True).update(released_at=timezone.now())
    run = RunReport(period=period)
    payout_records_create(period=period, report=run)
    if close.summarised_at is None:
        report.summaries = period_summaries_write(period=period)
        PeriodClose.objects.filter(pk=close.pk, summarised_at__isnull=True).update(summarised_at=timezone.now())
    payout_run_send(period=period, report=run, slice_seconds=slice_seconds)
    transfers_resend_reversed()
    report.run = run
    return report


_PENDING_AS_OF = """
    WITH batch AS (
        SELECT id, user_id, currency, balance FROM ledger_accounts
        WHERE kind = %s AND balance > 0 AND id > %s ORDER BY id LIMIT %s
    ),
    since AS (
        SELECT t.destination_id AS id, t.amount AS signed FROM transactions t
        WHERE t.created_at >= %s AND t.destination_id IN (SELECT id FROM batch)
        UNION ALL
        SELECT t.source_id, -t.amount FROM transactions t
        WHERE t.created_at >= %s AND t.source_id IN (SELECT id FROM batch)
    )
    SELECT batch.id, batch.user_id, batch.currency, batch.balance,
           CAST(batch.balance - COALESCE(SUM(since.signed), 0) AS BIGINT)
    FROM batch LEFT JOIN since ON since.id = batch.id
    GROUP BY batch.id, batch.user_id, batch.currency, batch.balance
    ORDER BY batch.id
"""


def _pending_batch(*, after_pk: int, end: datetime.datetime) -> list[tuple[int, int, str, int, int]]:
    """The next batch of pending accounts holding money: (pk, user id, currency, balance now,
    balance at `end`). The balance at the end is the balance now less what moved since, read
    in the same statement (one snapshot), so only the rows since the end are summed, not the
    account's whole history."""
    end_param = connection.ops.adapt_datetimefield_value(end)
    with connection.cursor() as cursor:
        cursor.execute(_PENDING_AS_OF, [AccountKind.PROMOTER_PENDING, after_pk, BATCH_SIZE, end_param, end_param])
        return cursor.fetchall()


def pending_release(*, period: datetime.date) -> tuple[int, int]:
    """Move what each promoter had pending at the period's end (capped by what they hold now)
    to available, in batches. Returns (promoters, cents) released by this call.

    What an outstanding commission deduction needs stays pending (it is taken from pending
    earnings, see deductions_apply), so it is neither released nor paid out meanwhile."""
    _, end = period_bounds(period)
    withheld = deductions_outstanding()
    promoters = released = 0
    last_pk = 0
    while True:
        batch = _pending_batch(after_pk=last_pk, end=end)
        if not batch:
            return promoters, released
        last_pk = batch[-1][0]
        by_currency = defaultdict(list)
        for pk, user_id, currency, balance, as_of in batch:
            eligible = min(as_of, balance - min(withheld.get((user_id, currency), 0), balance))
            if eligible > 0:
                by_currency[currency].append((pk, user_id, eligible))
        for currency, rows in by_currency.items():
            with transaction.atomic():
                available = dict(
                    LedgerAccount.objects.filter(
                        AnyOf("user_id", [u for _, u, _ in rows]),
                        kind=AccountKind.PROMOTER_AVAILABLE,
                        currency=currency,
                    ).values_list("user_id", "pk")
                )
                memo = f"Earnings of {period:%B %Y} released"
                moves = [
                    Move(
                        idempotency_key=f"release-{period:%Y-%m}-{user_id}",
                        source_id=pk,
                        # None: a promoter's first release creates their available account.
                        destination_id=available.get(user_id),
                        destination_user_id=user_id,
                        amount=amount,
                        memo=memo,
                    )
                    for pk, user_id, amount in rows
                ]
                # Capped under the locks by what each promoter holds now (a correction may have
                # lowered it since the batch was read).
                posted = ledger_post_many(
                    kind=TransactionKind.RELEASE,
                    moves=moves,
                    currency=currency,
                    cap_to_source=True,
                    new_destination_kind=AccountKind.PROMOTER_AVAILABLE,
                )
            promoters += len(posted)
            released += sum(move.amount for move in posted)
