"""Campaign pages. Views read input, check access through the scoped getters below, call one
service and render; domain errors (`services.CampaignError`) become messages."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import limits
from accounts.decorators import advertiser_required, promoter_required
from billing import services as billing_services
from campaignplatform.http import content_length
from campaigns import marketplace as marketplace_orders
from campaigns import matching, pricing, services
from campaigns.forms import (
    MAX_WORK_FILE_BYTES,
    ApplicationForm,
    CounterOfferForm,
    DeliverableForm,
    MarketplaceFilterForm,
    MessageForm,
    ReasonForm,
    WorkForm,
    campaign_form_class,
)
from campaigns.models import (
    OPEN_APPLICATION_STATUSES,
    TYPE_DESCRIPTIONS,
    Campaign,
    CampaignApplication,
    CampaignDeliverable,
    CampaignStatus,
    CampaignType,
    CampaignWork,
    ParticipationStatus,
    PromoterCampaign,
)
from campaigns.storage import private_storage

MARKETPLACE_PAGE_SIZE = 12
MAX_FORM_OVERHEAD_BYTES = 64 * 1024
LIST_PAGE_SIZE = 20
ADVERTISER_TABS = [
    ("overview", "Overview"),
    ("participants", "Participants"),
    ("applications", "Applications"),
    ("work", "Deliverables & work"),
]
APPLICATION_ONLY_TABS = {"applications", "work"}


# --- Permission-scoped getters: the row, or 404 (never a hint that it exists) -----------------


def get_campaign_for_advertiser(user, public_id) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("category"), public_id=public_id, advertiser=user)


def get_campaign_for_promoter(user, public_id) -> Campaign:
    """A campaign a promoter may look at: listed in the marketplace, or one they joined or applied to."""
    campaign = get_object_or_404(
        Campaign.objects.select_related("category", "advertiser__advertiser_details"), public_id=public_id
    )
    if campaign.status == CampaignStatus.DRAFT:
        raise Http404
    listed = Campaign.objects.listed().filter(pk=campaign.pk).exists()
    involved = (
        campaign.participants.filter(promoter=user).exists() or campaign.applications.filter(promoter=user).exists()
    )
    if not (listed or involved):
        raise Http404
    return campaign


def get_application_for_user(user, public_id) -> CampaignApplication:
    return get_object_or_404(
        CampaignApplication.objects.select_related("campaign", "promoter__promoter_details"),
        Q(promoter=user) | Q(campaign__advertiser=user),
        public_id=public_id,
    )


def get_participation_for_user(user, public_id) -> PromoterCampaign:
    return get_object_or_404(
        PromoterCampaign.objects.select_related("campaign", "promoter__promoter_details"),
        Q(promoter=user) | Q(campaign__advertiser=user),
        public_id=public_id,
    )


def get_work_for_user(user, public_id) -> CampaignWork:
    works = CampaignWork.objects.select_related("deliverable__promoter_campaign__campaign")
    if not user.is_staff:
        works = works.filter(
            Q(deliverable__promoter_campaign__promoter=user)
            | Q(deliverable__promoter_campaign__campaign__advertiser=user)
        )
    return get_object_or_404(works, public_id=public_id)


def _error(request, error):
    messages.error(request, str(error))


# --- Advertiser: list, create, edit, detail, lifecycle ---------------------------------------


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
        campaign = services.campaign_create(advertiser=request.user, form=form)
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
            services.campaign_update(campaign=campaign, form=form)
        except services.CampaignError as error:
            _error(request, error)
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
        participations = list(_participations_with_work(campaign.participants.all()))
        for participation in participations:
            _milestone_totals_set(participation)
        return {"participations": participations}
    return {
        "status_changes": campaign.status_changes.select_related(
            "actor__advertiser_details", "actor__promoter_details"
        )[:10],
        "languages": list(campaign.languages.all()),
    }


def _participations_with_work(participations):
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


def _milestone_totals_set(participation):
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
    # Billing ends/cancels through the campaigns service, then refunds the unused budget.
    "complete": (billing_services.campaign_end, "Campaign ended. Unused budget is refunded to your card."),
    "cancel": (billing_services.campaign_cancel, "Campaign cancelled. Unused budget is refunded to your card."),
}


# Ending and cancelling are confirmed on a page that says what happens to the money first.
CONFIRMED_ACTIONS = {"complete", "cancel"}


@advertiser_required
@require_GET
def campaign_action_confirm(request, public_id, action):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    if action not in CONFIRMED_ACTIONS:
        raise Http404
    context = {
        "campaign": campaign,
        "action": action,
        "budget_left_cents": billing_services.campaign_budget_remaining(campaign),
        "promoter_count": campaign.participants.filter(status=ParticipationStatus.ACTIVE).count(),
    }
    return render(request, "campaigns/confirm_action.html", context)


@advertiser_required
@require_POST
def campaign_action(request, public_id, action):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    if action not in CAMPAIGN_ACTIONS:
        raise Http404
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
        _error(request, error)
    else:
        messages.success(request, success)
    return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)


# --- Promoter: marketplace, detail, join, apply, lists ---------------------------------------


@promoter_required
@require_GET
def marketplace(request):
    form = MarketplaceFilterForm(request.GET or None)
    campaigns = (
        Campaign.objects.listed()
        .select_related("category", "advertiser__advertiser_details")
        .prefetch_related("languages", "skills")
    )
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
        _error(request, error)
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


# --- Applications: the negotiation thread (both parties) -------------------------------------


def _render_application(request, application, *, counter_form=None, reject_form=None, message_form=None):
    party = application.party_of(request.user)
    context = {
        "application": application,
        "campaign": application.campaign,
        "party": party,
        "my_turn": application.awaiting == party,
        "thread": application.messages.select_related("author__promoter_details", "author__advertiser_details"),
        "counter_form": counter_form or CounterOfferForm(campaign=application.campaign),
        "reject_form": reject_form or ReasonForm(),
        "message_form": message_form or MessageForm(),
    }
    return render(request, "campaigns/application_detail.html", context)


@require_GET
def application_detail(request, public_id):
    application = get_application_for_user(request.user, public_id)
    return _render_application(request, application)


@require_POST
def application_action(request, public_id, action):
    application = get_application_for_user(request.user, public_id)
    actor = request.user
    try:
        if action == "accept":
            services.application_accept(application=application, actor=actor)
            messages.success(request, "Offer accepted.")
        elif action == "withdraw":
            services.application_withdraw(application=application, actor=actor)
            messages.success(request, "Application withdrawn.")
        elif action == "counter":
            form = CounterOfferForm(request.POST, campaign=application.campaign)
            if not form.is_valid():
                return _render_application(request, application, counter_form=form)
            services.application_counter(
                application=application,
                actor=actor,
                amount_cents=form.cleaned_data["amount"],
                message=form.cleaned_data["pitch"],
            )
            messages.success(request, "Counter-offer sent.")
        elif action == "reject":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                return _render_application(request, application, reject_form=form)
            services.application_reject(application=application, actor=actor, reason=form.cleaned_data["reason"])
            messages.success(request, "Application rejected.")
        elif action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                return _render_application(request, application, message_form=form)
            services.application_message_post(application=application, actor=actor, body=form.cleaned_data["body"])
        else:
            raise Http404
    except services.CampaignError as error:
        _error(request, error)
    return redirect("campaigns:application_detail", public_id=application.public_id)


# --- Participation: deliverables and work (both parties) -------------------------------------


def _render_participation(request, participation, *, deliverable_form=None, work_forms=None, status=200):
    participation = _participations_with_work(PromoterCampaign.objects.filter(pk=participation.pk)).get()
    is_advertiser = request.user.pk == participation.campaign.advertiser_id
    work_forms = work_forms or {}
    for deliverable in participation.deliverables.all():
        # One submission form per open milestone; distinct ids keep labels pointing at their own inputs.
        deliverable.work_form = work_forms.get(deliverable.pk) or WorkForm(auto_id=f"id_%s_{deliverable.pk}")
    _milestone_totals_set(participation)
    context = {
        "participation": participation,
        "campaign": participation.campaign,
        "is_advertiser": is_advertiser,
        "is_promoter": request.user.pk == participation.promoter_id,
        "deliverable_form": deliverable_form or DeliverableForm(),
        "review_form": ReasonForm(),
    }
    return render(request, "campaigns/participation_detail.html", context, status=status)


@require_GET
def participation_detail(request, public_id):
    participation = get_participation_for_user(request.user, public_id)
    return _render_participation(request, participation)


@advertiser_required
@require_POST
def deliverable_create(request, public_id):
    participation = get_participation_for_user(request.user, public_id)
    if participation.campaign.advertiser_id != request.user.pk:
        raise Http404
    form = DeliverableForm(request.POST)
    if not form.is_valid():
        return _render_participation(request, participation, deliverable_form=form)
    try:
        services.deliverable_create(
            promoter_campaign=participation,
            actor=request.user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            amount_cents=form.cleaned_data["amount"],
            due_date=form.cleaned_data["due_date"],
        )
    except services.CampaignError as error:
        form.add_error(None, str(error))
        return _render_participation(request, participation, deliverable_form=form)
    messages.success(request, "Milestone added.")
    return redirect("campaigns:participation_detail", public_id=participation.public_id)


@promoter_required
@require_POST
def work_submit(request, public_id):
    deliverable = get_object_or_404(
        CampaignDeliverable.objects.select_related("promoter_campaign"),
        public_id=public_id,
        promoter_campaign__promoter=request.user,
    )
    participation = deliverable.promoter_campaign
    refusal = limits.attempt("work_upload_user", request.user.pk)
    if refusal is not None:
        return limits.too_many_requests(request, refusal)
    # Refuse an oversized body before Django spools it to disk (the form checks the file itself too).
    if content_length(request) > MAX_WORK_FILE_BYTES + MAX_FORM_OVERHEAD_BYTES:
        messages.error(request, f"The upload is too large; files can be at most {MAX_WORK_FILE_BYTES // 2**20} MB.")
        return _render_participation(request, participation)
    form = WorkForm(request.POST, request.FILES, auto_id=f"id_%s_{deliverable.pk}")
    if not form.is_valid():
        return _render_participation(request, participation, work_forms={deliverable.pk: form})
    try:
        services.work_submit(
            deliverable=deliverable,
            actor=request.user,
            text=form.cleaned_data["text"],
            link=form.cleaned_data["link"],
            file=form.cleaned_data["file"],
        )
    except services.CampaignError as error:
        # A message, not a form error: the form is hidden when the milestone or campaign is closed.
        _error(request, error)
        return _render_participation(request, participation, work_forms={deliverable.pk: form})
    messages.success(request, "Work submitted for review.")
    return redirect("campaigns:participation_detail", public_id=participation.public_id)


@advertiser_required
@require_POST
def work_review(request, public_id, action):
    work = get_work_for_user(request.user, public_id)
    participation = work.deliverable.promoter_campaign
    if participation.campaign.advertiser_id != request.user.pk:
        raise Http404
    try:
        if action == "approve":
            if services.work_approve(work=work, actor=request.user):
                messages.success(request, "Work approved.")
            else:
                messages.info(request, "This work was already approved.")
        elif action in ("revise", "reject"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Add a comment so the promoter knows what to change.")
            elif action == "revise":
                services.work_request_revision(work=work, actor=request.user, comment=form.cleaned_data["reason"])
                messages.success(request, "Revision requested.")
            else:
                services.work_reject(work=work, actor=request.user, comment=form.cleaned_data["reason"])
                messages.success(request, "Work rejected.")
        else:
            raise Http404
    except services.CampaignError as error:
        _error(request, error)
    except billing_services.BudgetExhausted:
        # Not a server error: the campaign's money went back to the advertiser (cancelled or ended).
        messages.error(
            request,
            "The campaign's budget cannot pay for this work any more, so it was not approved. "
            "Contact support to settle it.",
        )
    return redirect("campaigns:participation_detail", public_id=participation.public_id)


@require_GET
def work_file(request, public_id):
    """The submitted file, to the two parties and staff only, always as a download."""
    work = get_work_for_user(request.user, public_id)
    if not work.file:
        raise Http404
    try:
        handle = private_storage().open(work.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=work.original_filename or work.file.name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
