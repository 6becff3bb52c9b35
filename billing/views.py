"""Billing pages: cards, campaign funding, the billing overview, receipts, and Stripe's webhook."""

import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import advertiser_required
from billing import fees, gateway, selectors, services, webhooks
from billing.forms import FundForm
from billing.models import AdvertiserCharge, IntentStatus, PaymentMethod, PlatformFee, PlatformFeeKind
from campaignplatform.http import content_length
from campaigns.models import Campaign

logger = logging.getLogger(__name__)


def get_campaign_for_advertiser(user, public_id) -> Campaign:
    return get_object_or_404(Campaign, public_id=public_id, advertiser=user)


def get_payment_method_for_user(user, public_id) -> PaymentMethod:
    return get_object_or_404(PaymentMethod, public_id=public_id, user=user, removed_at__isnull=True)


def _absolute(request, name, *args):
    return request.build_absolute_uri(reverse(name, args=args))


@advertiser_required
@require_GET
def overview(request):
    user = request.user
    context = {
        "payment_methods": PaymentMethod.objects.filter(user=user, removed_at__isnull=True),
        "budgets": selectors.campaign_budgets(advertiser=user),
        "charges": selectors.charges_for(advertiser=user),
        "stripe_fees": PlatformFee.objects.filter(
            campaign__advertiser=user, kind=PlatformFeeKind.STRIPE_PROCESSING
        ).count(),
    }
    return render(request, "billing/overview.html", context)


@advertiser_required
@require_POST
def payment_method_add(request):
    try:
        url = services.payment_method_setup_start(
            user=request.user,
            success_url=_absolute(request, "billing:payment_method_return") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=_absolute(request, "billing:overview"),
        )
    except gateway.GatewayError as error:
        messages.error(request, error.message)
        return redirect("billing:overview")
    return redirect(url)


@advertiser_required
@require_GET
def payment_method_return(request):
    session_id = request.GET.get("session_id", "")[:255]
    if not session_id:
        return redirect("billing:overview")
    try:
        card = services.payment_method_setup_complete(user=request.user, session_id=session_id)
    except (services.BillingError, gateway.GatewayError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{card} added.")
    return redirect("billing:overview")


@advertiser_required
@require_POST
def payment_method_default(request, public_id):
    card = get_payment_method_for_user(request.user, public_id)
    services.payment_method_set_default(user=request.user, payment_method=card)
    messages.success(request, f"{card} is now your default payment method.")
    return redirect("billing:overview")


@advertiser_required
@require_POST
def payment_method_remove(request, public_id):
    card = get_payment_method_for_user(request.user, public_id)
    try:
        services.payment_method_remove(user=request.user, payment_method=card)
    except (services.BillingError, gateway.GatewayError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{card} removed.")
    return redirect("billing:overview")


def _quote(campaign, form):
    budget = form.cleaned_data.get("budget_dollars") if form.is_valid() else None
    views = form.cleaned_data.get("views") if form.is_valid() else None
    return services.funding_quote(campaign=campaign, budget_cents=budget, views=views)


@advertiser_required
@require_http_methods(["GET", "POST"])
def fund(request, public_id):
    """Show the amount itemised; pay on Stripe Checkout or with the saved card."""
    campaign = get_campaign_for_advertiser(request.user, public_id)
    if campaign.status == "awaiting_funding" and not campaign.is_ready_to_fund:
        # Nothing to pay yet: the amount is what the advertiser agrees with a promoter.
        messages.info(request, "Accept an application first: you then fund the amount you agreed with the promoter.")
        return redirect(reverse("campaigns:advertiser_detail", args=[campaign.public_id]) + "?tab=applications")
    purpose = services.funding_purpose(campaign)
    form = FundForm(request.POST or request.GET or None)
    quote, error = None, None
    needs_input = campaign.is_salesman or (campaign.is_visibility and purpose == "top_up")
    if purpose is None:
        error = f"A campaign that is {campaign.get_status_display().lower()} cannot be funded."
    elif form.is_bound or not needs_input:
        try:
            quote = _quote(campaign, form)
        except services.FundingNotAllowed as refusal:
            error = str(refusal)
    if request.method == "POST" and quote is not None and form.is_valid():
        return_url = _absolute(request, "billing:fund_return", campaign.public_id)
        try:
            if form.cleaned_data.get("method") == "card":
                intent = services.funding_pay_with_card(campaign=campaign, actor=request.user, quote=quote)
                _tell_funding(request, intent)
                return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
            intent = services.funding_checkout_start(
                campaign=campaign, actor=request.user, quote=quote, return_url=return_url
            )
            return redirect(intent.checkout_url)
        except gateway.PaymentRequiresAction as action:
            if action.redirect_url:
                return redirect(action.redirect_url)
            error = action.message
        except gateway.PaymentDeclined as declined:
            error = f"Your card was declined: {declined.message}"
        except (gateway.GatewayError, services.BillingError) as failure:
            error = str(failure)
    context = {
        "campaign": campaign,
        "purpose": purpose,
        "form": form,
        "quote": quote,
        "error": error,
        "needs_input": needs_input,
        "default_card": services.default_payment_method(request.user),
    }
    return render(request, "billing/fund.html", context, status=400 if error and request.method == "POST" else 200)


def _tell_funding(request, intent) -> None:
    if intent.status == IntentStatus.PROCESSING:
        messages.info(
            request,
            "Your bank payment is processing. Banks take up to 4 business days; the budget can be spent once "
            "it arrives, and we tell you if it fails.",
        )
    else:
        messages.success(request, "Payment received. Your campaign budget is funded.")


@advertiser_required
@require_GET
def fund_return(request, public_id):
    """Where Stripe Checkout and 3D Secure send the advertiser back: re-read Stripe, then say."""
    campaign = get_campaign_for_advertiser(request.user, public_id)
    try:
        intent_id = uuid.UUID(request.GET.get("intent", "")[:64])
    except ValueError:
        messages.error(request, "That payment was not found.")
        return redirect("billing:fund", public_id=campaign.public_id)
    try:
        intent = services.funding_for_return(user=request.user, intent_public_id=intent_id)
    except (services.BillingError, gateway.GatewayError) as error:
        messages.error(request, str(error))
        return redirect("billing:fund", public_id=campaign.public_id)
    if intent.status in (IntentStatus.SUCCEEDED, IntentStatus.PROCESSING):
        _tell_funding(request, intent)
        return redirect("campaigns:advertiser_detail", public_id=campaign.public_id)
    if intent.status == IntentStatus.FAILED:
        messages.error(request, f"The payment did not go through: {intent.failure_text}")
    elif request.GET.get("cancelled"):
        messages.info(request, "Payment cancelled. Nothing was charged.")
    else:
        messages.info(request, "Your payment is not complete yet. We will update the campaign when it is.")
    return redirect("billing:fund", public_id=campaign.public_id)


@advertiser_required
@require_GET
def receipt(request, public_id):
    charge = get_object_or_404(
        AdvertiserCharge.objects.select_related("campaign", "payment_intent"),
        public_id=public_id,
        advertiser=request.user,
    )
    # The plan fixed on the campaign when its funding started: the fee this charge carried.
    fee_terms = fees.campaign_fee_terms(charge.campaign)
    context = {
        "charge": charge,
        "fee_label": fee_terms.describe_at_funding(),
        "fee_per_spend": fee_terms.describe_per_spend(),
        "fee_reserve_label": fee_terms.describe_reserve(charge.fee_reserve_amount),
    }
    return render(request, "billing/receipt.html", context)


@csrf_exempt
@login_not_required
@require_POST
def stripe_webhook(request):
    """Stripe's events (platform and Connect). Signature checked on the raw body before storing."""
    if content_length(request) > webhooks.MAX_BODY_BYTES:
        return HttpResponse("payload too large", status=413)
    payload = request.body
    if len(payload) > webhooks.MAX_BODY_BYTES:
        return HttpResponse("payload too large", status=413)
    try:
        status = webhooks.webhook_receive(payload=payload, sig_header=request.headers.get("Stripe-Signature"))
    except gateway.WebhookSignatureError:
        return HttpResponseBadRequest("invalid signature")
    except gateway.WebhookPayloadInvalid as error:
        return HttpResponseBadRequest(f"invalid payload: {error}", content_type="text/plain; charset=utf-8")
    return HttpResponse("ok" if status == 200 else "handler failed", status=status)
