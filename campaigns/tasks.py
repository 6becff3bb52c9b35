"""Background jobs (django-q2). Each takes ids or nothing and calls a service; safe to run twice."""

from campaigns import services


def auto_approve_overdue_work():
    """Hourly: approve submissions the advertiser did not review within AUTO_APPROVE_DAYS."""
    return services.works_auto_approve_overdue()
