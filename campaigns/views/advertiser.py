"""The advertiser's campaign pages: list, create, edit, detail, and the lifecycle actions."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import advertiser_required
from campaigns import services
from campaigns.forms import (
    DeliverableForm,
    ReasonForm,
    campaign_form_class,
)
from campaigns.models import (
    OPEN_APPLICATION_STATUSES,
    TYPE_DESCRIPTIONS,
    Campaign,
    CampaignDeliverable,
    CampaignStatus,
    CampaignType,
    CampaignWork,
    ParticipationStatus,
)
from campaigns.views.access import (
    ADVERTISER_TABS,
    APPLICATION_ONLY_TABS,
    LIST_PAGE_SIZE,
    error_message,
    get_campaign_for_advertiser,
)


@advertiser_required
@require_GET
def advertiser_list(request):
    campaigns = (
        Campaign.objects.filter(advertiser=request.user)
        .select_related("category")
        .annotate(
            participant_count=Count("participants", distinct=True),
            open_application_count=Count(
                "applications", filter=Q(applications__status__in=OPEN_APPLICATION_STATUSES), distinct=True
            ),
        )
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in CampaignStatus.values:
        campaigns = campaigns.filter(status=status)
    page = Paginator(campaigns, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/advertiser_list.html",
        {
            "page": page,
            "status": status,
            "statuses": CampaignStatus.choices,
            "query": f"status={status}" if status else "",
        },
    )


def _type_choices():
    return [(value, label, TYPE_DESCRIPTIONS[value]) for value, label in CampaignType.choices]


@advertiser_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    campaign_type = request.POST.get("campaign_type") or request.GET.get("type", "")
    context = {
        "types": _type_choices(),
        "campaign_type": campaign_type,
        "form": None,
        "campaign": None,
        "fee_percent": settings.PLATFORM_FEE_PERCENT,
    }
    if campaign_type not in CampaignType.values:
        if request.method == "POST":
            messages.error(request, "Pick a campaign type.")
        return render(request, "campaigns/campaign_form.html", context)
    form = campaign_form_class(campaign_type)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = services.campaign_create(advertiser=request.user, campaign_type=campaign_type, **form.terms())
        messages.success(request, "Campaign saved as a draft. Publish it when it is ready.")
        return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
    context.update(form=form, type_label=CampaignType(campaign_type).label)
    template = "campaigns/campaign_form.html"
    if request.htmx and request.method == "GET":
        template += "#type_form"
    return render(request, template, context)


@advertiser_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, public_id):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    if not campaign.is_editable:
        messages.info(request, "Only draft campaigns can be edited.")
        return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
    form = campaign_form_class(campaign.campaign_type)(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, **form.terms())
        except services.CampaignError as error:
            error_message(request, error)
        else:
            messages.success(request, "Campaign saved.")
        return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
    return render(
        request,
        "campaigns/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "campaign_type": campaign.campaign_type,
            "type_label": campaign.get_campaign_type_display(),
            "fee_percent": settings.PLATFORM_FEE_PERCENT,
        },
    )


def _tab_context(campaign, tab):
    """Only the selected tab's rows are read."""
    if tab == "participants":
        return {"participants": campaign.participants.select_related("promoter__promoter_details")}
    if tab == "applications":
        return {
            "applications": campaign.applications.select_related("promoter__promoter_details").order_by(
                "status", "-updated_at"
            )
        }
    if tab == "work":
        participations = list(participations_with_work(campaign.participants.all()))
        for participation in participations:
            milestone_totals_set(participation)
        return {"participations": participations}
    return {
        "status_changes": campaign.status_changes.select_related(
            "actor__advertiser_details", "actor__promoter_details"
        )[:10],
        "languages": list(campaign.languages.all()),
    }


def participations_with_work(participations):
    # Each approved work's payment (stripe_transfer) and the promoter's payout account, to say
    # whether a payment was sent, failed or waits for the promoter's onboarding.
    works = CampaignWork.objects.select_related("stripe_transfer").order_by("-submitted_at")
    deliverables = CampaignDeliverable.objects.prefetch_related(Prefetch("works", queryset=works))
    return participations.select_related(
        "promoter__promoter_details", "promoter__connect_account", "campaign"
    ).prefetch_related(Prefetch("deliverables", queryset=deliverables))


def _tabs_for(campaign):
    """Applications and milestones exist only for Consultant and Seller campaigns."""
    if campaign.takes_applications:
        return ADVERTISER_TABS
    return [(key, label) for key, label in ADVERTISER_TABS if key not in APPLICATION_ONLY_TABS]


def milestone_totals_set(participation):
    """What of the agreed amount is assigned to milestones, for `_deliverables.html`."""
    participation.assigned_cents = sum(deliverable.amount for deliverable in participation.deliverables.all())
    participation.unassigned_cents = max(0, (participation.agreed_amount or 0) - participation.assigned_cents)
    return participation


@advertiser_required
@require_GET
def advertiser_detail(request, public_id):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    tabs = _tabs_for(campaign)
    tab = request.GET.get("tab", "overview")
    if tab not in dict(tabs):
        tab = "overview"
    context = {
        "campaign": campaign,
        "tab": tab,
        "tabs": tabs,
        "cancel_form": ReasonForm(),
        "deliverable_form": DeliverableForm(),
        "participant_count": campaign.participants.count(),
        **_tab_context(campaign, tab),
    }
    template = "campaigns/advertiser_detail.html"
    if request.htmx and "tab" in request.GET:
        template += "#tab_panel"
    return render(request, template, context)


CAMPAIGN_ACTIONS = {
    "publish": (services.campaign_publish, "Published. The campaign goes live once it is funded."),
    "pause": (services.campaign_pause, "Campaign paused."),
    "resume": (services.campaign_resume, "Campaign resumed."),
    # Billing refunds the unused budget when these send `campaign_closed` (campaigns.signals).
    "complete": (services.campaign_complete, "Campaign ended. Unused budget is refunded to how you paid."),
    "cancel": (services.campaign_cancel, "Campaign cancelled. Unused budget is refunded to how you paid."),
}


# Ending and cancelling are confirmed on a page that says what happens to the money first.
CONFIRMED_ACTIONS = {"complete", "cancel"}


def _campaign_for_action(user, public_id, action: str, actions) -> Campaign:
    """The advertiser's own campaign, when `action` is one of `actions`; 404 otherwise."""
    campaign = get_campaign_for_advertiser(user, public_id)
    if action not in actions:
        raise Http404
    return campaign


@advertiser_required
@require_GET
def campaign_action_confirm(request, public_id, action):
    campaign = _campaign_for_action(request.user, public_id, action, CONFIRMED_ACTIONS)
    context = {
        "campaign": campaign,
        "action": action,
        "promoter_count": campaign.participants.filter(status=ParticipationStatus.ACTIVE).count(),
    }
    return render(request, "campaigns/confirm_action.html", context)


@advertiser_required
@require_POST
def campaign_action(request, public_id, action):
    campaign = _campaign_for_action(request.user, public_id, action, CAMPAIGN_ACTIONS)
    service, success = CAMPAIGN_ACTIONS[action]
    kwargs = {"campaign": campaign, "actor": request.user}
    if action == "cancel":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give a reason for cancelling: promoters taking part will see it.")
            return redirect("campaigns:action_confirm", public_id=campaign.public_id, action=action)
        kwargs["reason"] = form.cleaned_data["reason"]
    elif action == "complete":
        kwargs["reason"] = request.POST.get("reason", "").strip()[:500]
    try:
        service(**kwargs)
    except services.CampaignError as error:
        error_message(request, error)
    else:
        messages.success(request, success)
    return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
