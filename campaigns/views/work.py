"""A participation's deliverables and work, for both parties."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import limits
from accounts.decorators import advertiser_required, promoter_required
from campaignplatform.http import content_length
from campaigns import services
from campaigns.forms import (
    MAX_WORK_FILE_BYTES,
    DeliverableForm,
    WorkForm,
    WorkReviewForm,
)
from campaigns.models import (
    CampaignDeliverable,
    PromoterCampaign,
)
from campaigns.storage import private_storage
from campaigns.views.access import MAX_FORM_OVERHEAD_BYTES, error_message, get_participation_for_user, get_work_for_user
from campaigns.views.advertiser import milestone_totals_set, participations_with_work


def _render_participation(request, participation, *, deliverable_form=None, work_forms=None, status=200):
    participation = participations_with_work(PromoterCampaign.objects.filter(pk=participation.pk)).get()
    is_advertiser = request.user.pk == participation.campaign.advertiser_id
    work_forms = work_forms or {}
    for deliverable in participation.deliverables.all():
        # One submission form per open milestone; distinct ids keep labels pointing at their own inputs.
        deliverable.work_form = work_forms.get(deliverable.pk) or WorkForm(auto_id=f"id_%s_{deliverable.pk}")
    milestone_totals_set(participation)
    context = {
        "participation": participation,
        "campaign": participation.campaign,
        "is_advertiser": is_advertiser,
        "is_promoter": request.user.pk == participation.promoter_id,
        "deliverable_form": deliverable_form or DeliverableForm(),
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
        error_message(request, error)
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
            form = WorkReviewForm(request.POST)
            if not form.is_valid():
                # The forms sit in a list of milestones: the first problem, said at the top.
                messages.error(request, next(iter(form.errors.values()))[0])
            elif action == "revise":
                services.work_request_revision(
                    work=work, actor=request.user, code=form.cleaned_data["reason_code"], note=form.cleaned_data["note"]
                )
                messages.success(request, "Revision requested.")
            else:
                services.work_reject(
                    work=work, actor=request.user, code=form.cleaned_data["reason_code"], note=form.cleaned_data["note"]
                )
                messages.success(request, "Work rejected.")
        else:
            raise Http404
    except services.CampaignError as error:  # WorkNotPayable too: the budget went back to the advertiser
        error_message(request, error)
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
