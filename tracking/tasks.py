"""Scheduled and queued jobs. Each takes ids or nothing and calls a service; safe to run twice."""

from tracking import services


def accrue_view_earnings():
    """Hourly: post paid views' earnings to the ledger; complete campaigns left at their cap."""
    return services.views_accrue_hourly()


def auto_verify_sales():
    """Hourly: verify sales pending for SALE_AUTO_VERIFY_DAYS."""
    return services.sales_auto_verify_due()


def prune_rate_limits():
    """Hourly: drop rate-limit windows older than an hour, and counted batches' ids older than a day."""
    return services.rate_limits_prune() + services.view_batches_prune()


def campaigns_end_expired():
    """Daily: end Visibility and Salesman campaigns past their end date (billing refunds the rest)."""
    return services.campaigns_end_expired()


def campaign_cap_reached(campaign_id):
    """Queued after the last paid view commits."""
    return services.campaign_cap_reached(campaign_id=campaign_id)


def pay_awaiting_sales(campaign_id):
    """Queued by billing after a top-up commits."""
    from campaigns.models import Campaign

    return services.sales_pay_awaiting(campaign=Campaign.objects.get(pk=campaign_id))


def unique_views_partitions_maintain():
    from tracking.partitions import unique_views_partitions_maintain

    report = unique_views_partitions_maintain()
    return (
        f"created {report.created}, moved {report.moved_rows} rows, dropped {report.dropped}, skipped {report.skipped}"
    )
