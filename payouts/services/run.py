"""The payout run: one transfer per promoter wallet, paced to Stripe's rate limits."""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind
from accounts.notifications import notify_many
from billing import gateway, ledger
from billing.ledger import Move, accounts_for_users, ledger_post_many
from billing.models import AccountKind, TransactionKind
from billing.ratelimit import Priority
from campaignplatform.bulk import AnyOf, bulk_insert, bulk_set_columns
from campaignplatform.money import dollars
from campaignplatform.reasons import reason_text
from payouts.models import (
    PayoutRecord,
    PayoutRun,
    PayoutRunStatus,
    PayoutStatus,
    StripeConnectAccount,
    StripeTransfer,
    TransferFailure,
    TransferKind,
    TransferStatus,
    Wallet,
)
from payouts.services.base import BATCH_SIZE, PayoutError, RunReport, transfer_failure
from payouts.services.sending import Payout, transfers_send

logger = logging.getLogger(__name__)


def payout_run(*, period: datetime.date, slice_seconds: float | None = None) -> RunReport:
    """Pay every wallet at or above its threshold once for `period` (also: retry its failures).
    With `slice_seconds`, sends for about that long and says in the report whether it finished."""
    report = RunReport(period=period)
    payout_records_create(period=period, report=report)
    payout_run_send(period=period, report=report, slice_seconds=slice_seconds)
    return report


def payout_records_create(*, period: datetime.date, report: RunReport) -> int:
    # Long on purpose: one batched, set-based pass per 10,000 wallets; its steps share the batch's
    # rows.
    """One PayoutRecord + pending StripeTransfer per payable wallet; a second or concurrent run
    creates nothing new (unique promoter+period, ignore_conflicts).

    Each batch reads wallets over their threshold by primary key, then looks up its promoters'
    records and accounts by index, and decides in Python: a NOT EXISTS over payout_records,
    which this very run fills, can get a per-wallet plan from stale statistics (quadratic)."""
    candidates = Wallet.objects.filter(current_balance__gte=F("minimum_threshold"), current_balance__gt=0)
    created = 0
    last_pk = 0
    while True:
        wallets = list(
            candidates.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "user_id", "current_balance", "currency", "payout_hold")[:BATCH_SIZE]
        )
        if not wallets:
            break
        last_pk = wallets[-1][0]
        user_ids = [wallet[1] for wallet in wallets]
        has_record = set(
            PayoutRecord.objects.filter(AnyOf("promoter_id", user_ids))
            # An older record not paid yet (failed, or left by a crash) is retried first; paying
            # a new one beside it would promise the same money twice.
            .filter(Q(period=period) | Q(AnyOf("status", [PayoutStatus.PENDING, PayoutStatus.FAILED])))
            .values_list("promoter_id", flat=True)
        )
        ready = set(
            StripeConnectAccount.objects.filter(
                AnyOf("user_id", user_ids), payouts_enabled=True, transfers_active=True
            ).values_list("user_id", flat=True)
        )
        batch, waiting = [], []
        for _, user_id, amount, currency, held in wallets:
            if user_id in has_record:
                continue
            if held:
                report.skipped["held"] += 1
            elif user_id not in ready:
                report.skipped["account not ready"] += 1
                waiting.append(user_id)
            else:
                batch.append((user_id, amount, currency))
        with transaction.atomic():
            body = (
                f"Your earnings of {period:%B %Y} are ready to be paid, but your Stripe account cannot receive "
                "payouts yet. Finish setting it up on the Get paid page; the money waits in your wallet."
            )
            notify_many(
                [(user_id, f"onboarding-incomplete-close-{period:%Y-%m}", body) for user_id in waiting],
                kind=NotificationKind.ONBOARDING_INCOMPLETE,
                title="Finish setting up payouts to be paid",
                url=reverse("payouts:get_paid"),
            )
            if not batch:
                continue
            records = bulk_insert(
                PayoutRecord,
                [
                    {"promoter_id": user_id, "period": period, "amount": amount, "currency": currency}
                    for user_id, amount, currency in batch
                ],
                ignore_conflicts=True,
                returning=["id", "promoter_id", "amount", "currency"],
            )
            # Only the records this insert created (RETURNING skips the conflicts): a concurrent
            # run creates the transfers of its own.
            bulk_insert(
                StripeTransfer,
                [
                    {
                        "promoter_id": promoter_id,
                        "kind": TransferKind.PAYOUT,
                        "amount": amount,
                        "currency": currency,
                        "payout_record_id": pk,
                        "idempotency_key": f"payout-{pk}",
                        "transfer_group": f"payout-{period:%Y-%m}",
                    }
                    for pk, promoter_id, amount, currency in records
                ],
                ignore_conflicts=True,
            )
        created += len(records)
    report.records_created += created
    return created


def payout_run_send(*, period: datetime.date, report: RunReport, slice_seconds: float | None = None) -> None:
    """Send the records not paid yet of this period and earlier ones (pending, including those a
    crash left, and failed ones), in batches, many at once at the shared budget's pace.

    One process sends a period's run at a time (the run's lease); another that comes while it is
    held does nothing (`report.busy`). With `slice_seconds`, stops sending after about that long
    (`report.unfinished`): the worker's task queues the next slice. A run killed half-way leaves
    its records pending with their idempotency keys; the next slice sends them again and Stripe
    answers with the transfers it already made, which are recorded once."""
    run = run_claim(period=period, slice_seconds=slice_seconds)
    if run is None:
        report.busy = True
        return
    deadline = time.monotonic() + slice_seconds if slice_seconds else None
    last_pk = 0
    left_behind = 0
    try:
        while True:
            ids = list(
                _unpaid_records(period).filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                return
            last_pk = ids[-1]
            paid, paid_cents, failed, left = payout_records_send(record_ids=ids, deadline=deadline, run=run)
            report.paid += paid
            report.paid_cents += paid_cents
            report.failed += failed
            left_behind += left
            if deadline is not None and (left or time.monotonic() >= deadline):
                # Out of time (or of budget within it): the next slice goes on from here. Without
                # a deadline, what Stripe still refuses stays pending and the run open (below).
                report.unfinished = True
                return
    finally:
        # Payouts left unsent (Stripe still refusing, a sender that stopped) keep the run open:
        # the schedule resumes it (payout_runs_abandoned) rather than waiting for next month.
        run_release(run=run, finished=not report.unfinished and not left_behind)


def payout_runs_abandoned() -> list[datetime.date]:
    """Periods whose run stopped half-way with no process sending it (its lease ran out)."""
    return list(
        PayoutRun.objects.filter(status=PayoutRunStatus.RUNNING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))
        .values_list("period", flat=True)
    )


def _unpaid_records(period: datetime.date):
    return PayoutRecord.objects.filter(AnyOf("status", [PayoutStatus.PENDING, PayoutStatus.FAILED]), period__lte=period)


# A slice's worker renews its lease with each batch of results it records; one whose worker
# died is taken over once this has passed since its last renewal.
LEASE_SECONDS = 120


def run_claim(*, period: datetime.date, slice_seconds: float | None) -> PayoutRun | None:
    """Take the period's run for this process (a conditional update: one taker wins), or None
    when another process holds it."""
    run, _ = PayoutRun.objects.get_or_create(period=period)
    now = timezone.now()
    left = _unpaid_records(period).count()
    claimed = (
        PayoutRun.objects.filter(pk=run.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            status=PayoutRunStatus.RUNNING,
            finished_at=None,
            lease_until=now + datetime.timedelta(seconds=(slice_seconds or 0) + LEASE_SECONDS),
            left=left,
            slice_started_at=now,
            slice_sent=0,
            updated_at=now,
        )
    )
    if not claimed:
        return None
    run.refresh_from_db()
    return run


def run_release(*, run: PayoutRun, finished: bool) -> None:
    now = timezone.now()
    update = {"lease_until": None, "updated_at": now}
    if finished:
        update.update(status=PayoutRunStatus.FINISHED, finished_at=now, left=0)
    PayoutRun.objects.filter(pk=run.pk).update(**update)


def _run_progress(run: PayoutRun | None, *, sent: int, sent_cents: int, failed: int, rate_limited: int) -> None:
    """Count a batch of results on the run staff watch, and renew its lease."""
    if run is None:
        return
    now = timezone.now()
    PayoutRun.objects.filter(pk=run.pk).update(
        sent=F("sent") + sent,
        sent_cents=F("sent_cents") + sent_cents,
        failed=F("failed") + failed,
        left=Greatest(F("left") - sent - failed, 0),
        rate_limited=F("rate_limited") + rate_limited,
        slice_sent=F("slice_sent") + sent,
        lease_until=now + datetime.timedelta(seconds=LEASE_SECONDS),
        updated_at=now,
    )


# Results are recorded (one short transaction) every this many seconds, so a run killed half-way
# loses little and staff see it move: about 50 transfers at Stripe's pace. When Stripe answers
# faster than that (a zero-latency stand-in), every this many transfers: each recording has a
# fixed cost (ledger accounts, wallets, notifications), so not too often.
RECORD_EVERY = 10_000
RECORD_EVERY_SECONDS = 2.0


def payout_records_send(
    *,
    record_ids: list[int],
    deadline: float | None = None,
    run: PayoutRun | None = None,
    priority: Priority = Priority.BULK,
) -> tuple[int, int, int, int]:
    # Long on purpose: the paced sending loop; its waiting, backoff and recording steps share the
    # loop's state.
    """Call Stripe for each record (concurrently, no transaction open), recording the results
    in short transactions as they come. Returns (paid, paid cents, failed, left pending).

    Records of held wallets or of accounts that cannot receive money stay as they are; they are
    sent once the hold is lifted or the account is ready. Records still rate-limited when the
    deadline comes stay pending (not failed) for the next slice."""
    rows = [
        Payout(*row)
        for row in StripeTransfer.objects.filter(
            AnyOf("payout_record_id", record_ids),
            AnyOf("payout_record__status", [PayoutStatus.PENDING, PayoutStatus.FAILED]),
            promoter__connect_account__payouts_enabled=True,
            promoter__connect_account__transfers_active=True,
        )
        .exclude(promoter__wallet__payout_hold=True)
        .order_by("payout_record_id")
        .values_list(
            "pk",
            "promoter_id",
            "amount",
            "currency",
            "idempotency_key",
            "transfer_group",
            "payout_record_id",
            "attempts",
            "promoter__connect_account__stripe_account_id",
        )
    ]
    totals = [0, 0, 0, 0]  # paid, paid cents, failed, left pending
    successes, failures, limited = [], [], 0
    flushed_at = time.monotonic()

    def flush():
        nonlocal successes, failures, limited, flushed_at
        cents = _payouts_record_success(successes)
        _payouts_record_failure(failures)
        _run_progress(run, sent=len(successes), sent_cents=cents, failed=len(failures), rate_limited=limited)
        totals[0] += len(successes)
        totals[1] += cents
        totals[2] += len(failures)
        successes, failures, limited, flushed_at = [], [], 0, time.monotonic()

    workers = settings.PAYOUT_RUN_CONCURRENCY
    for outcome in transfers_send(rows, deadline=deadline, workers=workers, priority=priority):
        limited += outcome.rate_limited
        if outcome.remote is not None:
            successes.append((outcome.transfer, outcome.remote))
        elif outcome.error is not None:
            failures.append((outcome.transfer, outcome.error))
        else:
            logger.warning(
                "payout record %s: Stripe kept rate-limiting; left for the next slice",
                outcome.transfer.payout_record_id,
            )
        if len(successes) + len(failures) >= RECORD_EVERY or time.monotonic() - flushed_at >= RECORD_EVERY_SECONDS:
            flush()
    flush()
    # Rows the deadline stopped before they were sent were never yielded: left pending too.
    totals[3] = len(rows) - totals[0] - totals[2]
    return totals[0], totals[1], totals[2], totals[3]


def _payouts_record_success(successes) -> int:
    # Long on purpose: one set-based transaction posting a batch of paid transfers and their ledger
    # rows together.
    if not successes:
        return 0
    now = timezone.now()
    paid_cents = 0
    by_currency = defaultdict(list)
    for transfer, remote in successes:
        by_currency[transfer.currency].append((transfer, remote))
    for currency, items in by_currency.items():
        with transaction.atomic():
            record_ids = sorted(transfer.payout_record_id for transfer, _ in items)
            # Lock the records first (the fixed order), then only record those still unpaid:
            # a concurrent run that got the same transfer back from Stripe records it once.
            unpaid = set(
                PayoutRecord.objects.select_for_update()
                .filter(AnyOf("pk", record_ids), AnyOf("status", [PayoutStatus.PENDING, PayoutStatus.FAILED]))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            items = [(transfer, remote) for transfer, remote in items if transfer.payout_record_id in unpaid]
            if not items:
                continue
            available = accounts_for_users(
                AccountKind.PROMOTER_AVAILABLE, [transfer.promoter_id for transfer, _ in items], currency
            )
            external = ledger.external(currency)
            ledger_post_many(
                kind=TransactionKind.PAYOUT,
                moves=[
                    Move(
                        idempotency_key=f"payout-{transfer.payout_record_id}",
                        source_id=available[transfer.promoter_id],
                        destination_id=external.pk,
                        amount=transfer.amount,
                        memo=f"Stripe transfer {remote.id}",
                    )
                    for transfer, remote in items
                ],
                currency=currency,
                # The wallet's paid_out_total moves in the projection's own write of the wallet.
                extra_by_key={f"payout-{t.payout_record_id}": {"paid_out_total": t.amount} for t, _ in items},
            )
            PayoutRecord.objects.filter(AnyOf("pk", [t.payout_record_id for t, _ in items])).update(
                status=PayoutStatus.PAID,
                paid_at=now,
                failure_reason_code="",
                failure_reason="",
                attempts=F("attempts") + 1,
            )
            bulk_set_columns(
                StripeTransfer,
                ["stripe_transfer_id", "attempts"],
                {transfer.pk: (remote.id, 1) for transfer, remote in items},
                add=["attempts"],
                also={
                    "status": TransferStatus.SUCCEEDED,
                    "failure_reason_code": "",
                    "failure_reason": "",
                    "updated_at": now,
                },
            )
            notify_many(
                [
                    (
                        t.promoter_id,
                        f"payout-sent-{t.payout_record_id}",
                        f"Your payout of {dollars(t.amount)} was sent to your Stripe account; Stripe pays it "
                        "into your bank.",
                    )
                    for t, _ in items
                ],
                kind=NotificationKind.PAYOUT_SENT,
                title="Your payout is on its way",
                url=reverse("payouts:wallet"),
            )
            paid_cents += sum(transfer.amount for transfer, _ in items)
    return paid_cents


def _payouts_record_failure(failures) -> None:
    if not failures:
        return
    now = timezone.now()
    notices = []
    with transaction.atomic():
        for transfer, error in failures:
            failure = transfer_failure(error)
            PayoutRecord.objects.filter(pk=transfer.payout_record_id).exclude(status=PayoutStatus.PAID).update(
                status=PayoutStatus.FAILED, attempts=F("attempts") + 1, **failure
            )
            update = {"status": TransferStatus.FAILED, "updated_at": now, **failure}
            if not isinstance(error, gateway.GatewayUnavailable):
                # A definitive refusal created nothing at Stripe; the retry needs a fresh key.
                update["idempotency_key"] = f"payout-{transfer.payout_record_id}~{transfer.attempts + 1}"
            StripeTransfer.objects.filter(pk=transfer.pk).exclude(status=TransferStatus.SUCCEEDED).update(
                attempts=F("attempts") + 1, **update
            )
            why = reason_text(TransferFailure, failure["failure_reason_code"], failure["failure_reason"])
            # Once per record: the retry schedule may fail it again every few minutes.
            notices.append(
                (
                    transfer.promoter_id,
                    f"payout-failed-{transfer.payout_record_id}",
                    f"Stripe refused your payout of {dollars(transfer.amount)}: {why or 'no reason given'}. The "
                    "money stays in your wallet and we retry automatically; check your payout account on the Get "
                    "paid page.",
                )
            )
        notify_many(
            notices,
            kind=NotificationKind.PAYOUT_FAILED,
            title="Your payout could not be sent",
            url=reverse("payouts:get_paid"),
        )


def payout_record_retry(*, record: PayoutRecord) -> PayoutRecord:
    """Admin action: send a failed (or stuck pending) record again."""
    if record.status not in (PayoutStatus.FAILED, PayoutStatus.PENDING):
        raise PayoutError(f"This payout is {record.get_status_display().lower()}; only failed ones are retried.")
    payout_records_send(record_ids=[record.pk], priority=Priority.HIGH)
    return PayoutRecord.objects.get(pk=record.pk)
