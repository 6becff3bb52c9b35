"""A server-rendered SVG bar chart of views per day (no JavaScript, no CDN)."""

from datetime import timedelta

from django.utils import timezone

CHART_HEIGHT = 160
CHART_TOP = 10
BAR_SLOT = 20
BAR_WIDTH = 14


def views_chart(stats, *, days: int = 30, today=None) -> dict:
    """Bars for the last `days` days: every request (raw) and, over it, the paid views.

    `stats` is an iterable of ViewStat rows (any participations; rows of one day are added up).
    """
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    by_day = {}
    for row in stats:
        if row.day < first or row.day > today:
            continue
        raw, paid = by_day.get(row.day, (0, 0))
        by_day[row.day] = (raw + row.requests, paid + row.paid_views)
    peak = max((raw for raw, _paid in by_day.values()), default=0) or 1
    bars = []
    for index in range(days):
        day = first + timedelta(days=index)
        raw, paid = by_day.get(day, (0, 0))
        raw_h = round(raw * CHART_HEIGHT / peak)
        paid_h = round(paid * CHART_HEIGHT / peak)
        x = index * BAR_SLOT + (BAR_SLOT - BAR_WIDTH) // 2
        bars.append(
            {
                "day": day,
                "x": x,
                "raw": raw,
                "paid": paid,
                "raw_y": CHART_TOP + CHART_HEIGHT - raw_h,
                "raw_h": raw_h,
                "paid_y": CHART_TOP + CHART_HEIGHT - paid_h,
                "paid_h": paid_h,
                "label_x": x + BAR_WIDTH // 2,
                "show_label": index % 5 == 0 or index == days - 1,
            }
        )
    return {
        "bars": bars,
        "width": days * BAR_SLOT,
        "height": CHART_TOP + CHART_HEIGHT + 20,
        "baseline": CHART_TOP + CHART_HEIGHT,
        "label_y": CHART_TOP + CHART_HEIGHT + 14,
        "bar_width": BAR_WIDTH,
        "peak": peak if by_day else 0,
        "total_raw": sum(raw for raw, _ in by_day.values()),
        "total_paid": sum(paid for _, paid in by_day.values()),
    }
