"""The campaign form's live cost preview (HTMX): rate x views, the platform fee, the total to
fund, and a suggested rate with its workings. Billing serves it because the fee is billing's
rule (`limits.fee_cents`, the one formula); the suggestion comes from campaigns.pricing."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import advertiser_required
from accounts.models import AdvertiserType
from campaignplatform.payment_limits import fee_cents
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


def cost_figures(campaign_type: str, data) -> dict:
    form = campaign_form_class(campaign_type)()
    figures = {"fee_percent": settings.PLATFORM_FEE_PERCENT}
    if campaign_type == CampaignType.VISIBILITY:
        rate, views = _clean(form, "cpv_dollars", data), _clean(form, "max_views", data)
        if rate is not None and views is not None:
            budget = rate * views // 100
            figures.update(rate=rate, views=views, budget=budget, fee=fee_cents(budget))
            figures["total"] = budget + figures["fee"]
    elif campaign_type in APPLICATION_TYPES:
        low, high = _clean(form, "min_budget_dollars", data), _clean(form, "max_budget_dollars", data)
        if low is not None and high is not None and low <= high:
            figures.update(low_total=low + fee_cents(low), high_total=high + fee_cents(high))
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
        "figures": cost_figures(campaign_type, request.GET),
        "suggestion": suggestion,
        # Commission suggestions are in hundredths of a percent: 1250 -> "12.50".
        "suggested_percent": f"{Decimal(suggestion.middle) / 100:.2f}" if suggestion else "",
        "fee_percent": settings.PLATFORM_FEE_PERCENT,
    }
    return render(request, "billing/_cost_preview.html", context)
