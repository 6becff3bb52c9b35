"""Money display: integer cents to dollars. `{{ 6000|cents }}` -> "$60.00"."""

from decimal import Decimal

from django import template

from campaignplatform.money import dollars

register = template.Library()


@register.filter
def cents(value):
    """Cents (int) as dollars, as campaignplatform.money.dollars writes them; "—" for none, empty
    for what is not a number."""
    if value is None or value == "":
        return "—"
    try:
        return dollars(int(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def percent(value):
    """A Decimal percentage without trailing zeros: 12.50 -> "12.5%"."""
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f}%"
