"""Funding a campaign through Stripe (the real client against the simulator)."""

import pytest
from django.urls import reverse

from billing import gateway, services
from billing.audit import ledger_audit
from billing.models import (
    AdvertiserCharge,
    CampaignBudgetAllocation,
    IntentStatus,
    LedgerAccount,
    PlatformFee,
    StripePaymentIntent,
    Transaction,
)
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from tests.support.funding import fund_with_card as fund

pytestmark = pytest.mark.django_db


def balances(campaign):
    return {
        account.kind: account.balance
        for account in LedgerAccount.objects.filter(campaign=campaign) | LedgerAccount.objects.filter(campaign=None)
    }


def test_visibility_funding_with_saved_card_allocates_activates_and_posts_the_ledger(card_for, stripe_client):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    card_for(campaign.advertiser)

    quote = services.funding_quote(campaign=campaign)
    assert (quote.budget_cents, quote.fee_cents, quote.total_cents) == (6000, 600, 6600)
    intent = fund(campaign)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert intent.status == IntentStatus.SUCCEEDED
    allocation = CampaignBudgetAllocation.objects.get(campaign=campaign)
    assert (allocation.allocated_amount, allocation.fee_amount, allocation.spent_amount) == (6000, 600, 0)
    assert allocation.rate_per_100_views == 300 and allocation.views_funded == 2000
    charge = AdvertiserCharge.objects.get(campaign=campaign)
    stripe_fee = 191 + 30  # 2.9 % of $66.00 rounded half up, plus 30 cents
    assert (charge.amount, charge.budget_amount, charge.fee_amount, charge.stripe_fee_amount) == (
        6600,
        6000,
        600,
        stripe_fee,
    )
    assert charge.payment_method_label.endswith("4242")
    assert balances(campaign) == {
        "campaign_budget": 6000,
        "campaign_fee_held": 600,
        "external": -6600 + stripe_fee,
        "stripe_fees": -stripe_fee,
    }
    assert PlatformFee.objects.get(campaign=campaign, kind="stripe_processing").amount == stripe_fee
    pi = stripe_client.v1.payment_intents.retrieve(intent.stripe_payment_intent_id)
    assert pi.transfer_group == f"campaign-{campaign.public_id}"
    assert pi.metadata["campaign_public_id"] == str(campaign.public_id)
    assert pi.metadata["intent_row_id"] == str(intent.pk)
    assert services.campaign_budget_remaining(campaign) == 6000
    assert ledger_audit().clean


@pytest.mark.parametrize("fee_percent, budget, fee", [(10, 2005, 201), (10, 2004, 200), (15, 2010, 302)])
def test_platform_fee_rounds_half_up_to_the_cent(settings, fee_percent, budget, fee):
    settings.PLATFORM_FEE_PERCENT = fee_percent
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    quote = services.funding_quote(campaign=campaign, budget_cents=budget)
    assert (quote.fee_cents, quote.total_cents) == (fee, budget + fee)


def test_consultant_funds_the_agreed_amount_and_salesman_needs_twenty_dollars():
    consultant = CampaignFactory(consultant=True, awaiting_funding=True)
    with pytest.raises(services.FundingNotAllowed, match="Accept an application"):
        services.funding_quote(campaign=consultant)
    PromoterCampaignFactory(campaign=consultant, agreed_amount=25_000)
    assert services.funding_quote(campaign=consultant).total_cents == 27_500

    salesman = CampaignFactory(salesman=True, awaiting_funding=True)
    with pytest.raises(services.FundingNotAllowed, match=r"at least \$20.00"):
        services.funding_quote(campaign=salesman, budget_cents=1999)
    with pytest.raises(services.FundingNotAllowed):
        services.funding_quote(campaign=CampaignFactory(active=True, consultant=True))


def test_fund_page_itemises_the_amount(client, stripe_settings):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    client.force_login(campaign.advertiser)

    response = client.get(reverse("billing:fund", args=[campaign.public_id]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "$60.00" in body and "$6.00" in body and "$66.00" in body
    assert "Platform fee (10%)" in body


def test_checkout_happy_path_through_the_pages(client, stripe_settings, stripe_sim):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    client.force_login(campaign.advertiser)

    response = client.post(
        reverse("billing:fund", args=[campaign.public_id]), {"budget_dollars": "50", "method": "checkout"}
    )

    assert response.status_code == 302 and "/checkout/cs_test" in response.url
    intent = StripePaymentIntent.objects.get(campaign=campaign)
    assert (intent.budget_amount, intent.fee_amount, intent.amount, intent.status) == (5000, 500, 5500, "open")
    success_url = stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)
    response = client.get(success_url.replace("http://testserver", ""))

    assert response.status_code == 302 and response.url == reverse(
        "campaigns:advertiser_detail", args=[campaign.public_id]
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    allocation = CampaignBudgetAllocation.objects.get(payment_intent=intent)
    assert allocation.allocated_amount == 5000 and allocation.commission_rate == campaign.commission_per_sale
    assert services.campaign_budget_remaining(campaign) == 5000
    # The return page again, or the webhook after it: nothing more.
    client.get(success_url.replace("http://testserver", ""))
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert ledger_audit().clean


@pytest.mark.parametrize(
    ("decline_code", "code", "shown"),
    [
        ("expired_card", "expired_card", "Card expired: The bank said no."),
        ("do_not_honor", "other", "The bank said no."),  # a code we do not know: OTHER, message kept
    ],
)
def test_a_decline_keeps_stripes_code_as_ours_or_other(client, card_for, monkeypatch, decline_code, code, shown):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser)

    def declined(**kwargs):
        raise gateway.PaymentDeclined("The bank said no.", decline_code)

    monkeypatch.setattr(gateway, "payment_intent_create", declined)
    client.force_login(campaign.advertiser)
    response = client.post(reverse("billing:fund", args=[campaign.public_id]), {"method": "card"})

    assert response.status_code == 400
    intent = StripePaymentIntent.objects.get(campaign=campaign)
    assert (intent.status, intent.failure_reason_code, intent.decline_code, intent.failure_reason) == (
        IntentStatus.FAILED,
        code,
        decline_code,
        "The bank said no.",
    )
    assert intent.failure_text == shown


def test_declined_card_shows_stripes_reason_and_changes_nothing(client, card_for):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser, "4000000000000341")  # attaches, then declines
    client.force_login(campaign.advertiser)

    response = client.post(reverse("billing:fund", args=[campaign.public_id]), {"method": "card"})

    assert response.status_code == 400
    assert "Your card was declined" in response.content.decode()
    intent = StripePaymentIntent.objects.get(campaign=campaign)
    assert (intent.status, intent.failure_reason_code, intent.decline_code) == (
        IntentStatus.FAILED,
        "card_declined",  # Stripe's generic_decline
        "generic_decline",
    )
    assert intent.failure_text == "Card declined: Your card was declined."
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.AWAITING_FUNDING
    assert not CampaignBudgetAllocation.objects.exists() and not Transaction.objects.exists()
    assert ledger_audit().clean


def test_card_requiring_authentication_changes_nothing_until_confirmed(card_for, stripe_sim, client):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser, "pm_card_authenticationRequired")

    with pytest.raises(gateway.PaymentRequiresAction) as raised:
        fund(campaign)

    assert raised.value.redirect_url
    intent = StripePaymentIntent.objects.get(campaign=campaign)
    assert intent.status == IntentStatus.REQUIRES_ACTION
    assert not CampaignBudgetAllocation.objects.exists() and not Transaction.objects.exists()

    stripe_sim.complete_authentication(intent.stripe_payment_intent_id)
    client.force_login(campaign.advertiser)
    response = client.get(reverse("billing:fund_return", args=[campaign.public_id]), {"intent": intent.public_id})

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert CampaignBudgetAllocation.objects.get(campaign=campaign).allocated_amount == 6000
    assert ledger_audit().clean


def test_abandoned_checkout_changes_nothing(client, stripe_settings, stripe_client):
    campaign = CampaignFactory(awaiting_funding=True)
    client.force_login(campaign.advertiser)
    client.post(reverse("billing:fund", args=[campaign.public_id]), {"method": "checkout"})
    intent = StripePaymentIntent.objects.get(campaign=campaign)

    response = client.get(
        reverse("billing:fund_return", args=[campaign.public_id]), {"intent": intent.public_id, "cancelled": 1}
    )
    assert response.status_code == 302
    stripe_client.v1.checkout.sessions.expire(intent.stripe_checkout_session_id)
    services.funding_sync(intent=intent)

    intent.refresh_from_db()
    campaign.refresh_from_db()
    assert intent.status == IntentStatus.CANCELED
    assert campaign.status == CampaignStatus.AWAITING_FUNDING
    assert not CampaignBudgetAllocation.objects.exists() and not Transaction.objects.exists()


def test_stripe_failing_mid_flow_loses_nothing_and_the_retry_pays_once(card_for, stripe_sim, stripe_client):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser)
    stripe_sim.fail_next(1, "500")

    with pytest.raises(gateway.GatewayUnavailable):
        fund(campaign)

    intent = StripePaymentIntent.objects.get(campaign=campaign)
    assert intent.status == IntentStatus.PENDING and not CampaignBudgetAllocation.objects.exists()
    fund(campaign)

    assert StripePaymentIntent.objects.filter(campaign=campaign).count() == 1
    assert len(stripe_client.v1.payment_intents.list().data) == 1
    assert CampaignBudgetAllocation.objects.get(campaign=campaign).payment_intent_id == intent.pk
    assert ledger_audit().clean


def test_a_timeout_after_stripe_charged_is_settled_by_the_same_key(card_for, stripe_sim, stripe_client, settings):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser)
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    stripe_sim.configure(timeout_seconds=0.8)
    stripe_sim.fail_next(1, "timeout")

    with pytest.raises(gateway.GatewayUnavailable):
        fund(campaign)
    settings.STRIPE_TIMEOUT_SECONDS = 5

    import time

    time.sleep(1.5)  # the simulator finishes the stalled request: Stripe has charged
    intent = StripePaymentIntent.objects.get(campaign=campaign)
    services.payment_intents_reconcile(older_than_minutes=0)

    intent.refresh_from_db()
    assert intent.status == IntentStatus.SUCCEEDED
    assert len(stripe_client.v1.payment_intents.list().data) == 1
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert ledger_audit().clean


def test_salesman_top_up_adds_budget_and_visibility_top_up_adds_views(card_for):
    salesman = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(salesman.advertiser)
    fund(salesman, budget_cents=2000)
    salesman.refresh_from_db()
    fund(salesman, budget_cents=3000)
    assert services.campaign_budget_remaining(salesman) == 5000

    visibility = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    card_for(visibility.advertiser)
    fund(visibility)
    visibility.refresh_from_db()
    fund(visibility, views=500)
    visibility.refresh_from_db()
    assert visibility.max_views == 2500
    assert services.campaign_budget_remaining(visibility) == 7500
    assert ledger_audit().clean


def test_salesman_fund_page_asks_for_the_budget_then_pays_with_the_saved_card(client, card_for):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    client.force_login(campaign.advertiser)
    url = reverse("billing:fund", args=[campaign.public_id])

    assert "Commission budget" in client.get(url).content.decode()
    assert "$22.00" in client.get(url, {"budget_dollars": "20"}).content.decode()
    assert "at least $20.00" in client.get(url, {"budget_dollars": "19.99"}).content.decode()
    response = client.post(url, {"budget_dollars": "20", "method": "card"})

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert services.campaign_budget_remaining(campaign) == 2000


def test_cards_can_be_made_default_and_removed(client, card_for, stripe_client):
    campaign = CampaignFactory(awaiting_funding=True)
    first = card_for(campaign.advertiser)
    second = card_for(campaign.advertiser, "pm_card_mastercard")
    assert first.is_default and not second.is_default
    client.force_login(campaign.advertiser)

    client.post(reverse("billing:payment_method_default", args=[second.public_id]))
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.is_default and not first.is_default

    client.post(reverse("billing:payment_method_remove", args=[second.public_id]))
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.removed_at and first.is_default
    assert stripe_client.v1.payment_methods.retrieve(second.stripe_payment_method_id).customer is None


def test_other_advertisers_cannot_fund_or_see_receipts(client, card_for, advertiser):
    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign)
    charge = AdvertiserCharge.objects.get()
    client.force_login(advertiser)

    assert client.get(reverse("billing:fund", args=[campaign.public_id])).status_code == 404
    assert client.get(reverse("billing:receipt", args=[charge.public_id])).status_code == 404


def test_visibility_top_up_page_prices_the_extra_views(client, card_for):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    card_for(campaign.advertiser)
    fund(campaign)
    client.force_login(campaign.advertiser)

    body = client.get(reverse("billing:fund", args=[campaign.public_id]), {"views": "500"}).content.decode()

    assert "Top up" in body and "500 views at $3.00 per 100" in body
    assert "$15.00" in body and "$1.50" in body and "$16.50" in body


@pytest.mark.parametrize("intent", ["garbage", "", "1", "' OR 1=1", None])
def test_return_with_an_intent_that_is_not_a_payment_id_says_not_found(client, intent):
    campaign = CampaignFactory(awaiting_funding=True)
    client.force_login(campaign.advertiser)
    query = {} if intent is None else {"intent": intent}

    response = client.get(reverse("billing:fund_return", args=[campaign.public_id]), query, follow=True)

    assert response.status_code == 200
    assert "That payment was not found." in response.content.decode()
    assert not StripePaymentIntent.objects.exists()
