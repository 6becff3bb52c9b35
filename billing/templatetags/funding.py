"""Billing facts that other apps' pages show, read through billing's own services."""

from django import template

from billing import services

register = template.Library()


@register.simple_tag
def bank_payment_processing(campaign):
    """The campaign's bank payment still processing (its money not there yet), or None."""
    return services.bank_payment_processing(campaign)
