"""The campaign form's live cost preview (HTMX): rate x views, the platform fee, the total to
fund, and a suggested rate with its workings. Billing serves it because the fee is billing's
rule (`fees`: the plan in force for this advertiser); the suggestion comes from campaigns.pricing."""

from decimal import Decimal

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import advertiser_required
from accounts.models import AdvertiserType
from billing import fees
from campaigns import pricing
from campaigns.forms import campaign_form_class
from campaigns.models import APPLICATION_TYPES, CampaignType


def _clean(form, name, data):
    """One field's value, or None when it is missing or invalid (the form shows the error on save)."""
    field = form.fields.get(name)
    if field is None:
        return None
    try:
        return field.clean(data.get(name, ""))
    except forms.ValidationError:
        return None


def _category(data):
    try:
        return AdvertiserType.objects.filter(pk=int(data.get("category") or 0)).first()
    except ValueError:
        return None


def cost_figures(campaign_type: str, data, *, advertiser_id: int | None = None) -> dict:
    form = campaign_form_class(campaign_type)()
    terms = fees.terms_of_plan(
        fees.plan_in_force(campaign_type=campaign_type, advertiser_id=advertiser_id), campaign_type
    )
    figures = {
        "fee_label": terms.describe_at_funding(),
        "fee_per_spend": terms.describe_per_spend(),
        "fee_reserve": terms.describe_reserve_rule(),
    }

    def fee(budget, views=None):
        return fees.fee_quote(budget_cents=budget, terms=terms, views=views).fee_cents

    if campaign_type == CampaignType.VISIBILITY:
        rate, views = _clean(form, "cpv_dollars", data), _clean(form, "max_views", data)
        if rate is not None and views is not None:
            budget = rate * views // 100
            figures.update(rate=rate, views=views, budget=budget, fee=fee(budget, views))
            figures["total"] = budget + figures["fee"]
    elif campaign_type in APPLICATION_TYPES:
        low, high = _clean(form, "min_budget_dollars", data), _clean(form, "max_budget_dollars", data)
        if low is not None and high is not None and low <= high:
            figures.update(low_total=low + fee(low), high_total=high + fee(high))
    else:
        commission = _clean(form, "commission_per_sale", data)
        if commission is not None:
            figures["per_hundred"] = int(commission * 100)  # cents on a $100 sale (2 decimals: exact)
    return figures


@advertiser_required
@require_GET
def cost_preview(request):
    campaign_type = request.GET.get("campaign_type", "")
    if campaign_type not in CampaignType.values:
        campaign_type = CampaignType.VISIBILITY
    suggestion = pricing.campaign_rate_suggestion(campaign_type=campaign_type, category=_category(request.GET))
    context = {
        "campaign_type": campaign_type,
        "figures": cost_figures(campaign_type, request.GET, advertiser_id=request.user.pk),
        "suggestion": suggestion,
        # Commission suggestions are in hundredths of a percent: 1250 -> "12.50".
        "suggested_percent": f"{Decimal(suggestion.middle) / 100:.2f}" if suggestion else "",
    }
    return render(request, "billing/_cost_preview.html", context)
