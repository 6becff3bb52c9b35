"""Server-rendered SVG bar charts: figures in, geometry out (no JavaScript, no CDN).

`bar_chart(...)` returns a plain dict that `templates/partials/chart.html` draws: a y axis with
round tick values, gridlines, one (optionally stacked) bar per label, thinned x labels, a legend
and a hover title per bar. Dashboards and tracking pages share it so every chart reads alike.
"""

from dataclasses import dataclass
from math import floor, log10

PLOT_HEIGHT = 150
TOP = 12
LEFT = 52  # room for the y tick labels
BOTTOM = 22  # room for the x labels
MAX_X_LABELS = 8
SERIES_CLASSES = ("s0", "s1", "s2", "s3", "s4")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def bar_chart(*, labels: list[str], series: list[Series], title: str, money: bool = False, slot: int = 20) -> dict:
    """Stacked bars, one per label; each series a colour. Values are ints (cents when `money`)."""
    totals = [sum(s.values[index] for s in series) for index in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    top_value = ticks[-1] or 1
    bar_width = max(4, slot * 7 // 10)
    bars = []
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - bar_width) // 2
        bars.append(
            {
                "label": label,
                "total": totals[index],
                "x": x,
                "label_x": x + bar_width // 2,
                "show_label": _show_label(index, len(labels)),
                "segments": list(_segments(series, index, top_value)),
                "details": [(s.name, s.values[index]) for s in series],
            }
        )
    width = LEFT + len(labels) * slot + 8
    return {
        "title": title,
        "money": money,
        "width": width,
        "height": TOP + PLOT_HEIGHT + BOTTOM,
        "left": LEFT,
        "right": width - 8,
        "center_x": (LEFT + width) // 2,
        "baseline": TOP + PLOT_HEIGHT,
        "label_y": TOP + PLOT_HEIGHT + 15,
        "bar_width": bar_width,
        "bars": bars,
        "ticks": [{"value": value, "y": _y(value, top_value)} for value in ticks],
        "legend": [{"name": s.name, "css": SERIES_CLASSES[i % len(SERIES_CLASSES)]} for i, s in enumerate(series)],
        "total": sum(totals),
        "empty": not any(totals),
    }


def nice_ticks(peak: int, *, count: int = 4) -> list[int]:
    """0 and round steps (1, 2 or 5 x 10^n) up to the first tick at or above `peak`."""
    if peak <= 0:
        return [0, 1]
    raw_step = peak / count
    magnitude = 10 ** floor(log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    step = max(1, int(step))
    ticks = [0]
    while ticks[-1] < peak:
        ticks.append(ticks[-1] + step)
    return ticks


def _segments(series, index, top_value):
    """Stacked rectangles of one bar, bottom-up; empty segments are left out."""
    below = 0
    for number, one in enumerate(series):
        value = one.values[index]
        if value <= 0:
            continue
        y_top = _y(below + value, top_value)
        yield {"css": SERIES_CLASSES[number % len(SERIES_CLASSES)], "y": y_top, "h": _y(below, top_value) - y_top}
        below += value


def _y(value, top_value) -> int:
    return TOP + PLOT_HEIGHT - round(value * PLOT_HEIGHT / top_value)


def _show_label(index: int, count: int) -> bool:
    """At most MAX_X_LABELS labels, counted back from the last bar so the latest is named."""
    every = max(1, -(-count // MAX_X_LABELS))
    return (count - 1 - index) % every == 0
