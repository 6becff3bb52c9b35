"""One way to write money: Python messages and the `cents` template filter agree, negatives
included, with integer arithmetic (no float rounding on large amounts)."""

import pytest
from django.template import Context, Template

from campaignplatform.money import dollars


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (6000, "$60.00"),
        (123_456_789, "$1,234,567.89"),
        (-500, "-$5.00"),
        (99_999_999_999_999_999, "$999,999,999,999,999.99"),
        (None, "—"),
    ],
)
def test_python_and_templates_write_the_same_amount(cents, text):
    assert dollars(cents) == text
    assert Template("{% load money %}{{ value|cents }}").render(Context({"value": cents})) == text
