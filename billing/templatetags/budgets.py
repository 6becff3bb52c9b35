"""Budget figures for pages of other apps, read through billing: campaigns may not import
billing, but its templates may load these tags."""

from django import template

from billing.models import AccountKind, LedgerAccount

register = template.Library()


@register.simple_tag
def budgets_left(campaigns) -> dict:
    """{campaign id: cents left in its budget} for a page of campaigns, in one query."""
    ids = [campaign.pk for campaign in campaigns]
    return dict(
        LedgerAccount.objects.filter(kind=AccountKind.CAMPAIGN_BUDGET, campaign_id__in=ids).values_list(
            "campaign_id", "balance"
        )
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
