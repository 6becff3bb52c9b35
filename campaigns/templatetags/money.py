"""Money display: integer cents to dollars. `{{ 6000|cents }}` -> "$60.00"."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def cents(value):
    """Cents (int) as dollars with thousands separators; empty for None or non-numbers."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(int(value)) / 100
    except (TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def percent(value):
    """A Decimal percentage without trailing zeros: 12.50 -> "12.5%"."""
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f}%"
