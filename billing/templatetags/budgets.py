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


@register.simple_tag
def campaign_budget_figures(campaign):
    """The campaign's budget figures (funded, spent, fixed fees taken, refunded, left) and its
    fee terms, or None before it is funded."""
    from billing import fees, selectors

    budget = selectors.campaign_budget(campaign=campaign)
    if budget is None:
        return None
    terms = fees.campaign_fee_terms(campaign)
    return {
        "budget": budget,
        "terms": terms,
        "per_spend": terms.describe_per_spend(),
        "unit": fees.UNIT_LABELS.get(campaign.campaign_type, ""),
    }


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


def _views_for(cents, campaign):
    """A Visibility amount as the views it buys (floor): the cap and the budget are one."""
    if campaign.campaign_type != "visibility" or not campaign.cpv or cents is None:
        return None
    return cents * 100 // campaign.cpv


@register.simple_tag
def campaign_forecast(campaign):
    """The campaign's latest budget forecast (billing.forecasts), with views for Visibility."""
    from billing.forecasts import forecast_latest

    row = forecast_latest(campaign)
    if row is None:
        return None
    return {
        "row": row,
        "views_per_day": _views_for(row.forecast_pace_cents, campaign),
        "topup_views": _views_for(row.forecast_topup_cents, campaign),
    }


@register.simple_tag
def advertiser_forecasts(advertiser):
    from billing.forecasts import forecasts_for_advertiser

    return forecasts_for_advertiser(advertiser)
