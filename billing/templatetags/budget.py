"""Billing's figures on other apps' pages, read where the page is drawn: campaign pages show the
budget left without campaigns importing billing (README, "Layout")."""

from django import template

from billing.services import campaign_budget_remaining

register = template.Library()


@register.simple_tag
def budget_left_cents(campaign) -> int:
    """Cents left to spend in the campaign's budget."""
    return campaign_budget_remaining(campaign)
