"""django-q2 tasks: take ids, call services, safe to run twice."""

import datetime

from django.conf import settings
from django.utils import timezone
from django_q.tasks import async_task

from payouts import services


def notifications_email(notification_ids: list[int]) -> int:
    """Emails queued under this name before they moved to accounts (drop after one release)."""
    from accounts.notifications import notifications_email_send

    return notifications_email_send(notification_ids)


def transfer_send(transfer_id: int) -> str:
    return services.transfer_send(transfer_id=transfer_id).status


def close_previous_month() -> str:
    """The monthly schedule (1st, 06:00 UTC): close last month and start paying out. At Stripe's
    pace a big run outlasts a task's timeout: it goes on in slices, each queueing the next."""
    period = services.period_previous(services.period_of(timezone.now()))
    report = services.period_close(period=period, slice_seconds=settings.PAYOUT_RUN_SLICE_SECONDS)
    run = report.run
    _continue_if_unfinished(period, run)
    return (
        f"{period:%Y-%m}: deducted {report.deductions_cents} ({report.deductions_applied} refunded sales); "
        f"released {report.released_cents} to {report.released_promoters}; "
        f"paid {run.paid} ({run.paid_cents}), failed {run.failed}, skipped {dict(run.skipped)}"
    )


def payout_run_continue(period: str) -> str:
    """The next slice of a period's payout run; queues the one after while payouts are left."""
    day = datetime.date.fromisoformat(period)
    run = services.payout_run(period=day, slice_seconds=settings.PAYOUT_RUN_SLICE_SECONDS)
    _continue_if_unfinished(day, run)
    return f"{period}: paid {run.paid} ({run.paid_cents}), failed {run.failed}, unfinished {run.unfinished}"


def _continue_if_unfinished(period: datetime.date, run) -> None:
    if run.unfinished:
        async_task("payouts.tasks.payout_run_continue", period.isoformat())


def retry_failed_transfers() -> int:
    """Every 15 minutes: failed immediate payments and failed payout records, again; and payout
    runs whose worker died half-way (their lease ran out) go on."""
    for period in services.payout_runs_abandoned():
        async_task("payouts.tasks.payout_run_continue", period.isoformat())
    return services.transfers_retry_failed()
