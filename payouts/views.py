"""Promoter pages: getting paid (Stripe Connect onboarding) and the wallet. Views read input,
call one service and render; gateway and payout errors become messages."""

import csv
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import advertiser_required, promoter_required
from accounts.models import Role
from billing import gateway
from campaigns.models import CampaignType, PromoterCampaign
from payouts import services, statements
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
        "views_waiting_cents": _view_earnings_waiting(user),
    }
    return render(request, "payouts/wallet.html", context)


def _view_earnings_waiting(user) -> int:
    """Counted views not yet credited by the hourly accrual, over the promoter's Visibility campaigns."""
    participations = PromoterCampaign.objects.filter(
        promoter=user, campaign__campaign_type=CampaignType.VISIBILITY
    ).select_related("campaign")
    return sum(participation.view_earnings_waiting_cents for participation in participations)


# --- Monthly statements (advertisers and promoters) ----------------------------------------------


def statement_user_required(view):
    """Both roles have statements: each gets its own role's checks (onboarding finished)."""
    as_advertiser, as_promoter = advertiser_required(view), promoter_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        guarded = as_advertiser if request.user.role == Role.ADVERTISER else as_promoter
        return guarded(request, *args, **kwargs)

    return wrapper


@require_GET
@statement_user_required
def statement_list(request):
    upcoming, ready_at = statements.statement_next_ready()
    context = {
        "summaries": statements.statements_for_user(user=request.user),
        "upcoming": upcoming,
        "ready_at": ready_at,
    }
    return render(request, "payouts/statement_list.html", context)


@require_GET
@statement_user_required
def statement_detail(request, period):
    try:
        statement = statements.statement_get(user=request.user, period=period)
    except statements.StatementNotFound as error:
        raise Http404(str(error)) from error
    except statements.StatementNotClosed as error:
        return render(request, "payouts/statement_detail.html", {"period": period, "not_closed": error})
    context = {"period": period, "statement": statement, "generated_at": timezone.now()}
    return render(request, "payouts/statement_detail.html", context)


@require_GET
@statement_user_required
def statement_csv(request, period):
    try:
        statement = statements.statement_get(user=request.user, period=period)
    except (statements.StatementNotFound, statements.StatementNotClosed) as error:
        raise Http404(str(error)) from error
    filename = statements.statement_csv_filename(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(statements.statement_csv_rows(statement))
    return response
