"""Get paid (Connect onboarding) and wallet pages, and the Connect webhooks end to end."""

import datetime
import json

import pytest
import stripe
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from campaigns.tests.factories import CampaignFactory
from payouts import services
from payouts.models import BillingPeriodSummary, StripeConnectAccount, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import earn

pytestmark = pytest.mark.django_db


def test_get_paid_creates_an_express_account_and_sends_the_promoter_to_stripe(promoter_client, promoter, stripe_sim):
    page = promoter_client.get(reverse("payouts:get_paid"))
    assert b"Set up payouts with Stripe" in page.content
    response = promoter_client.post(reverse("payouts:onboarding_start"))
    account = StripeConnectAccount.objects.get(user=promoter)
    assert response.status_code == 302
    assert response.url.startswith(f"{stripe_sim.base_url}/connect/onboard/{account.stripe_account_id}?link=")
    # A second click reuses the account.
    promoter_client.post(reverse("payouts:onboarding_start"))
    assert StripeConnectAccount.objects.filter(user=promoter).count() == 1
    page = promoter_client.get(reverse("payouts:get_paid"))
    assert b"a bank account for payouts" in page.content and b"accepting Stripe&#x27;s terms" in page.content
    assert not account.can_receive_money


def test_return_rereads_the_account_from_stripe(promoter_client, promoter, stripe_sim):
    promoter_client.post(reverse("payouts:onboarding_start"))
    account = StripeConnectAccount.objects.get(user=promoter)
    stripe_sim.complete_onboarding(account.stripe_account_id)
    response = promoter_client.get(reverse("payouts:onboarding_return"), follow=True)
    assert b"You are set up to get paid" in response.content
    account.refresh_from_db()
    assert account.can_receive_money and account.requirements_currently_due == [] and not account.disabled_reason


def test_refresh_gives_a_fresh_onboarding_link(promoter_client, promoter, stripe_sim):
    promoter_client.post(reverse("payouts:onboarding_start"))
    response = promoter_client.get(reverse("payouts:onboarding_refresh"))
    assert response.status_code == 302 and "/connect/onboard/" in response.url


def test_missing_items_say_what_stripe_needs_once_each():
    account = StripeConnectAccount(
        requirements_currently_due=["individual.dob.day", "individual.dob.month", "external_account", "odd.thing"]
    )
    assert account.missing_items() == ["your date of birth", "a bank account for payouts", "odd: thing"]


def test_advertisers_cannot_open_payout_pages(advertiser_client):
    assert advertiser_client.get(reverse("payouts:wallet")).status_code == 403
    assert advertiser_client.post(reverse("payouts:onboarding_start")).status_code == 403


def test_wallet_page_shows_figures_threshold_progress_next_payout_and_statements(promoter_client, promoter, stripe_sim):
    with time_machine.travel(datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC), tick=False):
        campaign = CampaignFactory(awaiting_funding=True)
        fund(campaign, 6000)
        earn(campaign, promoter, 1500, "views-1")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=datetime.date(2026, 1, 1))
        earn(campaign, promoter, 300, "views-2")
        page = promoter_client.get(reverse("payouts:wallet"))
    html = page.content.decode()
    assert "$15.00" in html and "$3.00" in html  # current, pending
    assert 'aria-valuenow="75"' in html
    assert "1 March 2026, 06:00 UTC" in html
    assert "$5.00 more is needed" in html
    assert "January 2026" in html and "Below the $20.00 payout threshold" in html
    assert BillingPeriodSummary.objects.filter(user=promoter).count() == 1
    assert "Get paid" in html


def _deliver(client, stripe_sim, event_type, obj, account=None):
    event = {
        "id": f"evt_test_{event_type}_{obj['id']}",
        "object": "event",
        "type": event_type,
        "created": 0,
        "livemode": False,
        "data": {"object": obj},
    }
    if account:
        event["account"] = account
    payload = json.dumps(event)
    from django.conf import settings

    signature = stripe.WebhookSignature.generate_signature_header(payload, settings.STRIPE_WEBHOOK_SECRET)
    return client.post(
        reverse("billing:stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def test_account_updated_webhook_rereads_the_account(client, promoter, stripe_sim):
    account = services.connect_account_get_or_create(user=promoter)
    stripe_sim.complete_onboarding(account.stripe_account_id)
    # The event's payload is stale on purpose: the handler must ask Stripe.
    response = _deliver(
        client, stripe_sim, "account.updated", {"id": account.stripe_account_id}, account.stripe_account_id
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.payouts_enabled and account.transfers_active and account.can_receive_money


def test_payout_failed_webhook_flags_the_account_and_tells_the_promoter(
    client, promoter, stripe_sim, mailoutbox, django_capture_on_commit_callbacks
):
    account = services.connect_account_get_or_create(user=promoter)
    payout = {
        "id": "po_test_1",
        "object": "payout",
        "failure_code": "no_account",
        "failure_message": "The bank account details do not match an account.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(client, stripe_sim, "payout.failed", payout, account.stripe_account_id)
        # Stripe delivers an event more than once: the promoter is told once.
        _deliver(client, stripe_sim, "payout.failed", payout, account.stripe_account_id)
    assert response.status_code == 200
    account.refresh_from_db()
    assert (account.payout_failure_code, account.payout_failure_message) == (
        "no_account",
        "The bank account details do not match an account.",
    )
    assert account.payout_failure_id == "po_test_1" and account.payout_failed_at is not None
    assert len(mailoutbox) == 1 and promoter.email in mailoutbox[0].to
    notice = Notification.objects.get(user=promoter, kind="payout_failed")
    assert "Bank account not found: The bank account details do not match an account." in notice.body
    assert Wallet.objects.filter(user=promoter).count() == 0
    assert_books_clean()


def test_refused_bank_payout_survives_account_updated_and_shows_until_a_payout_arrives(client, promoter, stripe_sim):
    account = services.connect_account_get_or_create(user=promoter)
    stripe_sim.complete_onboarding(account.stripe_account_id)
    payout = {"id": "po_test_2", "object": "payout", "failure_message": "The bank account has been closed."}
    _deliver(client, stripe_sim, "payout.failed", payout, account.stripe_account_id)
    # account.updated rewrites Stripe's own fields (disabled_reason among them), not this one.
    _deliver(client, stripe_sim, "account.updated", {"id": account.stripe_account_id}, account.stripe_account_id)
    account.refresh_from_db()
    assert account.payout_failure_message == "The bank account has been closed."

    client.force_login(promoter)
    page = client.get(reverse("payouts:get_paid")).content.decode()
    assert "Your bank refused a payout" in page and "The bank account has been closed." in page

    later = {"id": "po_test_3", "object": "payout", "created": int(timezone.now().timestamp()) + 60}
    _deliver(client, stripe_sim, "payout.paid", later, account.stripe_account_id)
    account.refresh_from_db()
    assert (account.payout_failure_code, account.payout_failure_message) == ("", "")
    assert account.payout_failed_at is None
    assert "Your bank refused a payout" not in client.get(reverse("payouts:get_paid")).content.decode()
