"""The server-rendered bar chart: round axis ticks, stacked geometry and short tick labels."""

import pytest
from django.template.loader import render_to_string

from campaignplatform.charts import PLOT_HEIGHT, TOP, Series, bar_chart, nice_ticks
from campaignplatform.templatetags.charts import tick


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [(0, [0, 1]), (1, [0, 1]), (7, [0, 2, 4, 6, 8]), (80, [0, 20, 40, 60, 80]), (6_000, [0, 2000, 4000, 6000])],
)
def test_ticks_are_round_and_reach_the_peak(peak, ticks):
    assert nice_ticks(peak) == ticks


def test_stacked_segments_fill_the_bar_to_its_total():
    chart = bar_chart(labels=["a", "b"], series=[Series("x", [30, 0]), Series("y", [50, 0])], title="T")
    top_tick = chart["ticks"][-1]["value"]
    first, second = chart["bars"][0]["segments"]
    assert first["y"] + first["h"] == TOP + PLOT_HEIGHT  # the first series sits on the axis
    assert second["y"] + second["h"] == first["y"]  # the next one on top of it
    assert first["h"] + second["h"] == round(80 * PLOT_HEIGHT / top_tick)
    assert chart["bars"][1]["segments"] == [] and chart["total"] == 80 and not chart["empty"]


def test_the_latest_bar_is_always_labelled():
    chart = bar_chart(labels=[str(n) for n in range(30)], series=[Series("x", [1] * 30)], title="T")
    shown = [bar["label"] for bar in chart["bars"] if bar["show_label"]]
    assert shown[-1] == "29" and len(shown) <= 8


@pytest.mark.parametrize(
    ("value", "money", "label"),
    [(0, True, "$0"), (2000, True, "$20"), (150, True, "$1.50"), (250_000, True, "$2.5k"), (1_500_000, False, "1.5M")],
)
def test_tick_labels_are_short(value, money, label):
    assert tick(value, money) == label


def test_renders_an_accessible_svg_with_axes_and_legend():
    chart = bar_chart(
        labels=["Nov 1", "Nov 2"], series=[Series("paid", [3, 4]), Series("other", [1, 0])], title="Views"
    )
    html = render_to_string("partials/chart.html", {"chart": chart})
    assert 'role="img"' in html and 'aria-label="Views"' in html
    assert html.count('class="axis"') == 2 and "Nov 2: paid 4, other 0" in html
    assert "paid</span>" in html and "other</span>" in html


def test_an_empty_chart_says_so():
    html = render_to_string(
        "partials/chart.html", {"chart": bar_chart(labels=["a"], series=[Series("x", [0])], title="Sales")}
    )
    assert "No data yet" in html
