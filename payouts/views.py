"""Promoter pages: getting paid (Stripe Connect onboarding) and the wallet. Views read input,
call one service and render; gateway and payout errors become messages."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import promoter_required
from billing import gateway
from payouts import services
from payouts.models import BillingPeriodSummary, PayoutRecord, StripeConnectAccount, StripeTransfer, Wallet

HISTORY_SIZE = 24


def _onboarding_redirect(request, account):
    try:
        url = services.connect_onboarding_link(
            account=account,
            return_url=request.build_absolute_uri(reverse("payouts:onboarding_return")),
            refresh_url=request.build_absolute_uri(reverse("payouts:onboarding_refresh")),
        )
    except gateway.GatewayError as error:
        messages.error(request, f"Stripe could not start onboarding: {error.message}")
        return redirect("payouts:get_paid")
    return redirect(url)


@require_GET
@promoter_required
def get_paid(request):
    account = StripeConnectAccount.objects.filter(user=request.user).first()
    return render(request, "payouts/get_paid.html", {"account": account})


@require_POST
@promoter_required
def onboarding_start(request):
    try:
        account = services.connect_account_get_or_create(user=request.user)
    except gateway.GatewayError as error:
        messages.error(request, f"Stripe could not create your payout account: {error.message}")
        return redirect("payouts:get_paid")
    return _onboarding_redirect(request, account)


@require_GET
@promoter_required
def onboarding_return(request):
    """Stripe sends the promoter back here; the account is re-read, not trusted from the URL."""
    account = StripeConnectAccount.objects.filter(user=request.user).first()
    if account is None:
        return redirect("payouts:get_paid")
    try:
        account = services.connect_account_refresh(stripe_account_id=account.stripe_account_id)
    except gateway.GatewayError as error:
        messages.warning(request, f"We could not check your account with Stripe yet: {error.message}")
        return redirect("payouts:get_paid")
    if account.can_receive_money:
        messages.success(request, "You are set up to get paid.")
    else:
        messages.warning(request, "Stripe still needs a few details before you can be paid.")
    return redirect("payouts:get_paid")


@require_GET
@promoter_required
def onboarding_refresh(request):
    """An expired or used onboarding link: Stripe sends the promoter here for a fresh one."""
    account = StripeConnectAccount.objects.filter(user=request.user).first()
    if account is None:
        return redirect("payouts:get_paid")
    return _onboarding_redirect(request, account)


@require_GET
@promoter_required
def wallet(request):
    user = request.user
    wallet = Wallet.objects.filter(user=user).first() or Wallet(user=user)
    context = {
        "wallet": wallet,
        "account": StripeConnectAccount.objects.filter(user=user).first(),
        "next_payout_at": services.next_payout_at(),
        "payouts": PayoutRecord.objects.filter(promoter=user).select_related("stripe_transfer")[:HISTORY_SIZE],
        "transfers": StripeTransfer.objects.filter(promoter=user, kind="immediate").select_related(
            "campaign", "work__deliverable"
        )[:HISTORY_SIZE],
        "statements": BillingPeriodSummary.objects.filter(user=user, role="promoter")[:HISTORY_SIZE],
    }
    return render(request, "payouts/wallet.html", context)
