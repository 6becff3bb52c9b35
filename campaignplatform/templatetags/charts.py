"""`{{ value|tick:chart.money }}`: short axis labels, "$1.2k" for cents and "1.2k" for counts."""

from django import template

register = template.Library()


@register.filter
def tick(value, money=False):
    number = int(value) / 100 if money else int(value)
    prefix = "$" if money else ""
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(number) >= limit:
            short = f"{number / limit:.1f}".removesuffix(".0")
            return f"{prefix}{short}{suffix}"
    return f"{prefix}{number:.2f}".removesuffix(".00") if money else f"{number:g}"
