"""The promoter's pages: the marketplace, a campaign's detail, joining, applying, their lists."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import promoter_required
from campaigns import marketplace as marketplace_orders
from campaigns import matching, pricing, services
from campaigns.forms import (
    ApplicationForm,
    MarketplaceFilterForm,
)
from campaigns.models import (
    Campaign,
    CampaignApplication,
    PromoterCampaign,
)
from campaigns.views.access import LIST_PAGE_SIZE, MARKETPLACE_PAGE_SIZE, error_message, get_campaign_for_promoter


@promoter_required
@require_GET
def marketplace(request):
    form = MarketplaceFilterForm(request.GET or None)
    # Skills and languages are read from each row's ids (matching.Catalogue), not prefetched.
    campaigns = Campaign.objects.listed().select_related("category", "advertiser__advertiser_details")
    if form.is_bound:
        campaigns = form.filter(campaigns)
    order_form = marketplace_orders.MarketplaceOrderForm(request.GET)
    order, profile = order_form.order_value(), matching.promoter_profile(request.user)
    campaigns = marketplace_orders.marketplace_order(campaigns, order, profile)
    page = Paginator(campaigns, MARKETPLACE_PAGE_SIZE).get_page(request.GET.get("page"))
    marketplace_orders.page_decorate(page, profile, best=order == "best")
    ids = [campaign.pk for campaign in page]
    joined = set(
        PromoterCampaign.objects.filter(promoter=request.user, campaign_id__in=ids).values_list(
            "campaign_id", flat=True
        )
    )
    applied = set(
        CampaignApplication.objects.filter(promoter=request.user, campaign_id__in=ids).values_list(
            "campaign_id", flat=True
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "order_form": order_form,
        "page": page,
        "joined": joined,
        "applied": applied,
        "query": query.urlencode(),
    }
    template = "campaigns/marketplace.html#results" if request.htmx else "campaigns/marketplace.html"
    return render(request, template, context)


@promoter_required
@require_GET
def promoter_detail(request, public_id):
    campaign = get_campaign_for_promoter(request.user, public_id)
    context = {
        "campaign": campaign,
        "participation": campaign.participants.filter(promoter=request.user).first(),
        "application": campaign.applications.filter(promoter=request.user).first(),
        "languages": list(campaign.languages.all()),
        "invitation": campaign.invitations.filter(promoter=request.user).first(),
    }
    return render(request, "campaigns/promoter_detail.html", context)


@promoter_required
@require_POST
def campaign_join(request, public_id):
    campaign = get_campaign_for_promoter(request.user, public_id)
    try:
        participation = services.campaign_join(campaign=campaign, promoter=request.user)
    except services.CampaignError as error:
        error_message(request, error)
        return redirect("campaigns:promoter_detail", public_id=campaign.public_id)
    messages.success(request, "You joined. Share the link or code below: every view or sale through it counts for you.")
    return redirect("tracking:promoter_participation", public_id=participation.public_id)


@promoter_required
@require_http_methods(["GET", "POST"])
def campaign_apply(request, public_id):
    campaign = get_campaign_for_promoter(request.user, public_id)
    if not campaign.takes_applications:
        raise Http404
    suggestion = pricing.application_amount_suggestion(
        campaign=campaign, followers=pricing.promoter_followers(request.user)
    )
    # Whole dollars read better; never below the campaign's minimum.
    initial = {"amount": max(campaign.min_budget, suggestion.middle // 100 * 100)} if suggestion else {}
    form = ApplicationForm(request.POST or None, campaign=campaign, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                campaign=campaign,
                promoter=request.user,
                amount_cents=form.cleaned_data["amount"],
                pitch=form.cleaned_data["pitch"],
            )
        except services.CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Application sent. You will see the advertiser's answer here.")
            return redirect("campaigns:application_detail", public_id=application.public_id)
    return render(request, "campaigns/apply.html", {"campaign": campaign, "form": form, "suggestion": suggestion})


@promoter_required
@require_GET
def my_applications(request):
    applications = (
        CampaignApplication.objects.filter(promoter=request.user).select_related("campaign").order_by("-updated_at")
    )
    page = Paginator(applications, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/my_applications.html", {"page": page})


@promoter_required
@require_GET
def my_campaigns(request):
    participations = (
        PromoterCampaign.objects.filter(promoter=request.user)
        .select_related("campaign__advertiser__advertiser_details")
        .order_by("-joined_at")
    )
    page = Paginator(participations, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/my_campaigns.html", {"page": page})
