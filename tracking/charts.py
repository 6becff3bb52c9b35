"""Views per day of a tracking link or campaign, drawn with the shared server-side bar chart."""

from datetime import timedelta

from django.utils import timezone

from campaignplatform.charts import Series, bar_chart


def views_chart(stats, *, days: int = 30, today=None) -> dict:
    """The last `days` days: paid (counted) views, and over them the requests that did not count.

    `stats` is an iterable of ViewStat rows (any participations; rows of one day are added up).
    """
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    by_day = {}
    for row in stats:
        if first <= row.day <= today:
            raw, paid = by_day.get(row.day, (0, 0))
            by_day[row.day] = (raw + row.requests, paid + row.paid_views)
    span = [first + timedelta(days=offset) for offset in range(days)]
    paid = [by_day.get(day, (0, 0))[1] for day in span]
    not_counted = [by_day.get(day, (0, 0))[0] - by_day.get(day, (0, 0))[1] for day in span]
    chart = bar_chart(
        title=f"Views per day, last {days} days",
        labels=[f"{day:%b} {day.day}" for day in span],
        series=[Series("counted (paid) views", paid), Series("not counted", not_counted)],
    )
    chart["total_paid"] = sum(paid)
    chart["total_raw"] = chart["total"]
    return chart
