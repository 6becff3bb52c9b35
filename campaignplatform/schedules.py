"""Every recurring job, in one list, so `setup_schedules` can create them idempotently.

Each app adds its jobs here as it gains them. Times are UTC.
"""

from django_q.models import Schedule

SCHEDULES = [
    {
        # Read by /healthz?require=worker: the worker is alive while this keeps running.
        "name": "campaignplatform.heartbeat",
        "func": "campaignplatform.health.heartbeat",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "accounts.clear_expired_sessions",
        "func": "django.core.management.call_command",
        "args": "'clearsessions'",
        "schedule_type": Schedule.DAILY,
        "time": "03:00",
    },
    {
        "name": "accounts.abuse_counters_prune",
        "func": "accounts.tasks.abuse_counters_prune",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "campaigns.auto_approve_overdue_work",
        "func": "campaigns.tasks.auto_approve_overdue_work",
        "schedule_type": Schedule.HOURLY,
    },
]
SCHEDULES += [
    {
        "name": "billing.webhook_events_retry_failed",
        "func": "billing.tasks.webhook_events_retry_failed",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
    {
        "name": "billing.campaigns_end_expired",  # name kept: setup_schedules updates by name
        "func": "tracking.tasks.campaigns_end_expired",
        "schedule_type": Schedule.DAILY,
        "time": "00:30",
    },
    {
        "name": "billing.forecasts_refresh",
        "func": "billing.tasks.forecasts_refresh",
        "schedule_type": Schedule.DAILY,
        "time": "00:45",
    },
    {
        "name": "billing.stripe_reconcile",
        "func": "billing.tasks.stripe_reconcile",
        "schedule_type": Schedule.MINUTES,
        "minutes": 5,
    },
]

# --- Tracking ---
SCHEDULES += [
    {
        "name": "tracking.accrue_view_earnings",
        "func": "tracking.tasks.accrue_view_earnings",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "tracking.auto_verify_sales",
        "func": "tracking.tasks.auto_verify_sales",
        "schedule_type": Schedule.HOURLY,
    },
    {
        # Partitions of unique_views: today's and the next days' exist before their first click.
        "name": "tracking.unique_views_partitions",
        "func": "tracking.tasks.unique_views_partitions_maintain",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "tracking.prune_rate_limits",
        "func": "tracking.tasks.prune_rate_limits",
        "schedule_type": Schedule.HOURLY,
    },
]

# --- Payouts ---
SCHEDULES += [
    {
        "name": "payouts.close_previous_month",
        "func": "payouts.tasks.close_previous_month",
        "schedule_type": Schedule.MONTHLY,
        "time": "06:00",
    },
    {
        "name": "payouts.retry_failed_transfers",
        "func": "payouts.tasks.retry_failed_transfers",
        "schedule_type": Schedule.MINUTES,
        "minutes": 15,
    },
]
