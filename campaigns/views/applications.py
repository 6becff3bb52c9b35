"""An application's negotiation thread, for both parties."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from campaigns import services
from campaigns.forms import (
    ApplicationRejectForm,
    CounterOfferForm,
    MessageForm,
)
from campaigns.views.access import error_message, get_application_for_user


def _render_application(request, application, *, counter_form=None, reject_form=None, message_form=None):
    party = application.party_of(request.user)
    context = {
        "application": application,
        "campaign": application.campaign,
        "party": party,
        "my_turn": application.awaiting == party,
        "thread": application.messages.select_related("author__promoter_details", "author__advertiser_details"),
        "counter_form": counter_form or CounterOfferForm(campaign=application.campaign),
        "reject_form": reject_form or ApplicationRejectForm(),
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
            form = ApplicationRejectForm(request.POST)
            if not form.is_valid():
                return _render_application(request, application, reject_form=form)
            services.application_reject(
                application=application,
                actor=actor,
                code=form.cleaned_data["reason_code"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Application rejected.")
        elif action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                return _render_application(request, application, message_form=form)
            services.application_message_post(application=application, actor=actor, body=form.cleaned_data["body"])
        else:
            raise Http404
    except services.CampaignError as error:
        error_message(request, error)
    return redirect("campaigns:application_detail", public_id=application.public_id)
