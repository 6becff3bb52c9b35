"""django-q2 tasks: take ids, call services, safe to run twice."""

from django.utils import timezone

from payouts import services


def notifications_email(notification_ids: list[int]) -> int:
    """Emails queued under this name before they moved to accounts (drop after one release)."""
    from accounts.notifications import notifications_email_send

    return notifications_email_send(notification_ids)


def transfer_send(transfer_id: int) -> str:
    return services.transfer_send(transfer_id=transfer_id).status


def close_previous_month() -> str:
    """The monthly schedule (1st, 06:00 UTC): close last month and pay out."""
    period = services.period_previous(services.period_of(timezone.now()))
    report = services.period_close(period=period)
    run = report.run
    return (
        f"{period:%Y-%m}: deducted {report.deductions_cents} ({report.deductions_applied} refunded sales); "
        f"released {report.released_cents} to {report.released_promoters}; "
        f"paid {run.paid} ({run.paid_cents}), failed {run.failed}, skipped {dict(run.skipped)}"
    )


def retry_failed_transfers() -> int:
    """Every 15 minutes: failed immediate payments and failed payout records, again."""
    return services.transfers_retry_failed()
