"""Server-rendered SVG bar charts: figures in, geometry out (no JavaScript, no CDN).

`bar_chart(...)` returns a plain dict with the chart's figures and its `svg`: a y axis with round
tick values, gridlines, one (optionally stacked) bar per label, thinned x labels and a hover title
per bar. `templates/partials/chart.html` adds the caption and legend. The SVG is assembled here
rather than in template loops: a dashboard draws a few hundred bars, and the template engine
would spend more time on them than the database spends on the figures.
"""

from dataclasses import dataclass
from html import escape
from math import floor, log10

from django.utils.safestring import mark_safe

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
    chart = {
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
    chart["svg"] = _svg(chart)
    return chart


def tick_label(value: int, money: bool = False) -> str:
    """Short axis labels: "$1.2k" for cents, "1.2k" for counts."""
    number = int(value) / 100 if money else int(value)
    prefix = "$" if money else ""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(number) >= limit:
            short = f"{number / limit:.1f}".removesuffix(".0")
            return f"{prefix}{short}{suffix}"
    return f"{prefix}{number:.2f}".removesuffix(".00") if money else f"{number:g}"


def _value_text(value: int, money: bool) -> str:
    return f"${value / 100:,.2f}" if money else f"{value:,}"


def _svg(chart: dict) -> str:
    money, left, right, baseline = chart["money"], chart["left"], chart["right"], chart["baseline"]
    label = escape(chart["title"]) + (": no data yet" if chart["empty"] else "")
    parts = [
        f'<svg viewBox="0 0 {chart["width"]} {chart["height"]}" width="100%" role="img"'
        f' preserveAspectRatio="xMinYMin meet" aria-label="{label}">'
    ]
    for t in chart["ticks"]:
        y, text = t["y"], tick_label(t["value"], money)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 3}" text-anchor="end">{text}</text>'
        )
    parts.append(f'<line class="axis" x1="{left}" x2="{right}" y1="{baseline}" y2="{baseline}"/>')
    parts.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{baseline}" y2="0"/>')
    width = chart["bar_width"]
    for bar in chart["bars"]:
        details = ", ".join(f"{escape(name)} {_value_text(value, money)}" for name, value in bar["details"])
        parts.append(f'<g class="bar"><title>{escape(bar["label"])}: {details}</title>')
        parts.append(f'<rect class="hit" x="{bar["x"]}" y="0" width="{width}" height="{baseline}"/>')
        parts.extend(
            f'<rect class="{seg["css"]}" x="{bar["x"]}" y="{seg["y"]}" width="{width}" height="{seg["h"]}"/>'
            for seg in bar["segments"]
            if seg["h"]
        )
        if bar["show_label"]:
            parts.append(
                f'<text class="xlabel" x="{bar["label_x"]}" y="{chart["label_y"]}" text-anchor="middle">'
                f"{escape(bar['label'])}</text>"
            )
        parts.append("</g>")
    if chart["empty"]:
        parts.append(
            f'<text class="empty" x="{chart["center_x"]}" y="{baseline - 60}" text-anchor="middle">No data yet</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text part above is escaped


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
