"""Funding with a US bank account (ACH Direct Debit): saved like a card, a payment that stays
processing until the bank pays, nothing spendable before, nothing spent after a failure; and the
webhook orders Stripe may deliver. The real client against the simulator."""

import pytest
from django.urls import reverse

from accounts.models import Notification, NotificationKind
from billing import gateway, services
from billing.audit import ledger_audit
from billing.models import (
    AdvertiserCharge,
    CampaignBudgetAllocation,
    IntentMethod,
    IntentStatus,
    PaymentFailure,
    PaymentMethodKind,
    StripePaymentIntent,
    Transaction,
)
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from stripe_simulator.errors import StripeError
from tests.support.funding import fund_with_card as fund
from tests.support.stripe import add_card, deliver, events_of

pytestmark = pytest.mark.django_db

SUCCEEDS, INSUFFICIENT_FUNDS = "000123456789", "000222222227"


def add_bank_account(user, stripe_client, account=SUCCEEDS):
    """Save a US bank account for `user` as the setup page's webhook does (create, attach, store)."""
    customer = services.billing_customer_ensure(user=user)
    pm = stripe_client.v1.payment_methods.create(
        params={
            "type": "us_bank_account",
            "us_bank_account": {"routing_number": "110000000", "account_number": account},
            "billing_details": {"name": user.email},
        }
    )
    stripe_client.v1.payment_methods.attach(pm.id, params={"customer": customer.stripe_customer_id})
    return services.payment_method_store(user=user, stripe_payment_method_id=pm.id)


@pytest.fixture
def banked(stripe_settings, stripe_client):
    def make(user, account=SUCCEEDS):
        return add_bank_account(user, stripe_client, account)

    return make


def _nothing_funded(campaign):
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.AWAITING_FUNDING
    assert not CampaignBudgetAllocation.objects.filter(campaign=campaign).exists()
    assert not AdvertiserCharge.objects.filter(campaign=campaign).exists()
    assert services.campaign_budget_remaining(campaign) == 0
    assert not Transaction.objects.filter(destination__campaign=campaign).exists()


def _deliver_all(client, sim, types):
    for event_type in types:
        for event in events_of(sim, event_type):
            assert deliver(client, sim, event).status_code == 200


def test_a_bank_account_saved_through_checkout_shows_like_a_card(client, stripe_settings, stripe_sim, advertiser):
    url = services.payment_method_setup_start(
        user=advertiser, success_url="http://testserver/back/?session_id={CHECKOUT_SESSION_ID}", cancel_url="/"
    )
    session_id = url.rstrip("/").rsplit("/", 1)[-1]
    stripe_sim.pay_checkout_session(session_id, account_number=SUCCEEDS)

    method = services.payment_method_setup_complete(user=advertiser, session_id=session_id)

    assert (method.kind, method.bank_name, method.last4, method.is_default) == (
        PaymentMethodKind.US_BANK_ACCOUNT,
        "STRIPE TEST BANK",
        "6789",
        True,
    )
    assert method.exp_month is None and str(method) == "Stripe Test Bank ending 6789"
    client.force_login(advertiser)
    page = client.get(reverse("billing:overview")).content.decode()
    assert "Stripe Test Bank •••• 6789" in page and "bank account" in page and "Default" in page

    response = client.post(reverse("billing:payment_method_remove", args=[method.public_id]))

    assert response.status_code == 302
    method.refresh_from_db()
    assert method.removed_at is not None


def test_a_bank_account_can_be_made_default_beside_a_card(client, banked, stripe_client, advertiser):
    card = add_card(advertiser, stripe_client)
    bank = banked(advertiser)
    assert not bank.is_default

    client.force_login(advertiser)
    client.post(reverse("billing:payment_method_default", args=[bank.public_id]))

    bank.refresh_from_db()
    card.refresh_from_db()
    assert (bank.is_default, card.is_default) == (True, False)
    assert services.default_payment_method(advertiser) == bank


def test_bank_funding_stays_processing_and_unspendable_until_the_bank_pays(client, banked, stripe_sim):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    banked(campaign.advertiser)

    intent = fund(campaign)

    assert intent.status == IntentStatus.PROCESSING
    _nothing_funded(campaign)
    client.force_login(campaign.advertiser)
    page = client.get(reverse("campaigns:advertiser_detail", args=[campaign.public_id])).content.decode()
    assert "Payment processing" in page and "Fund campaign" not in page
    with pytest.raises(services.BillingError, match="processing"):
        fund(campaign)  # a second payment would fund it twice

    stripe_sim.settle_bank_debits()
    _deliver_all(client, stripe_sim, ["payment_intent.succeeded"])

    intent.refresh_from_db()
    campaign.refresh_from_db()
    assert intent.status == IntentStatus.SUCCEEDED
    assert campaign.status == CampaignStatus.ACTIVE
    assert services.campaign_budget_remaining(campaign) == 6000
    charge = AdvertiserCharge.objects.get(campaign=campaign)
    assert (charge.amount, charge.payment_method_label) == (6600, "Stripe Test Bank •••• 6789")
    assert ledger_audit().clean


def test_a_bank_payment_failing_after_processing_funds_nothing_tells_and_lets_them_pay_by_card(
    client, banked, stripe_client, stripe_sim
):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    banked(campaign.advertiser, account=INSUFFICIENT_FUNDS)
    intent = fund(campaign)
    assert intent.status == IntentStatus.PROCESSING

    stripe_sim.settle_bank_debits()
    _deliver_all(client, stripe_sim, ["payment_intent.payment_failed"])

    intent.refresh_from_db()
    assert intent.status == IntentStatus.FAILED
    assert "insufficient funds" in intent.failure_reason
    assert intent.failure_reason_code == "insufficient_funds"  # Stripe's code, kept as ours
    _nothing_funded(campaign)
    notice = Notification.objects.get(user=campaign.advertiser, kind=NotificationKind.PAYMENT_FAILED)
    assert f"Insufficient funds: {intent.failure_reason}" in notice.body
    assert "Nothing was funded or spent" in notice.body

    card = add_card(campaign.advertiser, stripe_client)
    services.payment_method_set_default(user=campaign.advertiser, payment_method=card)
    paid = fund(campaign)

    assert paid.status == IntentStatus.SUCCEEDED
    assert campaign.status == CampaignStatus.ACTIVE
    assert ledger_audit().clean


@pytest.mark.parametrize(
    "order",
    [
        ["payment_intent.processing", "payment_intent.succeeded"],
        ["payment_intent.succeeded", "payment_intent.processing"],
        ["payment_intent.processing", "payment_intent.processing", "payment_intent.succeeded", "charge.succeeded"],
        ["payment_intent.succeeded", "payment_intent.succeeded", "payment_intent.processing"],
    ],
)
def test_any_order_or_repeat_of_a_settled_bank_payments_events_funds_once(client, banked, stripe_sim, order):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    banked(campaign.advertiser)
    intent = fund(campaign)
    stripe_sim.settle_bank_debits()
    (event_by_type) = {event["type"]: event for event in stripe_sim.events}

    for event_type in order:
        assert deliver(client, stripe_sim, event_by_type[event_type]).status_code == 200

    intent.refresh_from_db()
    assert intent.status == IntentStatus.SUCCEEDED
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert AdvertiserCharge.objects.filter(campaign=campaign).count() == 1
    assert ledger_audit().clean


@pytest.mark.parametrize("settled_as", ["succeeded", "failed"])
def test_a_processing_event_seen_before_and_after_the_bank_settles_never_moves_the_payment_back(
    client, banked, stripe_sim, settled_as
):
    """The tests above deliver every event once Stripe has settled, so each handler reads the final
    state. Here the first `processing` is handled while Stripe still says processing, and the same
    event arrives again after the outcome: the outcome stands and is applied once."""
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    banked(campaign.advertiser, account=SUCCEEDS if settled_as == "succeeded" else INSUFFICIENT_FUNDS)
    intent = fund(campaign)
    (processing,) = events_of(stripe_sim, "payment_intent.processing")
    assert deliver(client, stripe_sim, processing).status_code == 200
    intent.refresh_from_db()
    assert intent.status == IntentStatus.PROCESSING
    _nothing_funded(campaign)
    read_before_settling = gateway.payment_intent_retrieve(intent.stripe_payment_intent_id)

    stripe_sim.settle_bank_debits()
    outcome = "payment_intent.succeeded" if settled_as == "succeeded" else "payment_intent.payment_failed"
    for event in [*events_of(stripe_sim, outcome), processing, *events_of(stripe_sim, outcome)]:
        assert deliver(client, stripe_sim, event).status_code == 200
    # A reconciliation that read Stripe before the bank settled writes its answer after the outcome.
    services.funding_apply(intent=StripePaymentIntent.objects.get(pk=intent.pk), pi=read_before_settling)

    intent.refresh_from_db()
    allocations = CampaignBudgetAllocation.objects.filter(campaign=campaign).count()
    if settled_as == "succeeded":
        assert (intent.status, allocations) == (IntentStatus.SUCCEEDED, 1)
    else:
        assert intent.status == IntentStatus.FAILED
        _nothing_funded(campaign)
        assert Notification.objects.filter(user=campaign.advertiser, kind=NotificationKind.PAYMENT_FAILED).count() == 1
    assert ledger_audit().clean


@pytest.mark.parametrize(
    "order",
    [
        ["payment_intent.processing", "payment_intent.payment_failed"],
        ["payment_intent.payment_failed", "payment_intent.processing"],
        ["payment_intent.payment_failed", "payment_intent.payment_failed", "payment_intent.processing"],
    ],
)
def test_any_order_or_repeat_of_a_failed_bank_payments_events_funds_nothing(client, banked, stripe_sim, order):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    banked(campaign.advertiser, account=INSUFFICIENT_FUNDS)
    intent = fund(campaign)
    stripe_sim.settle_bank_debits()
    event_by_type = {event["type"]: event for event in stripe_sim.events}

    for event_type in order:
        assert deliver(client, stripe_sim, event_by_type[event_type]).status_code == 200

    intent.refresh_from_db()
    assert intent.status == IntentStatus.FAILED
    _nothing_funded(campaign)
    assert Notification.objects.filter(user=campaign.advertiser, kind=NotificationKind.PAYMENT_FAILED).count() == 1


def test_checkout_with_a_bank_account_returns_processing_then_funds_on_async_success(
    client, stripe_settings, stripe_sim
):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    quote = services.funding_quote(campaign=campaign)
    intent = services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id, account_number=SUCCEEDS)
    client.force_login(campaign.advertiser)

    back = client.get(
        reverse("billing:fund_return", args=[campaign.public_id]),
        {"intent": intent.public_id, "session_id": intent.stripe_checkout_session_id},
        follow=True,
    )

    assert "bank payment is processing" in back.content.decode()
    assert StripePaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.PROCESSING
    _nothing_funded(campaign)

    stripe_sim.settle_bank_debits()
    _deliver_all(client, stripe_sim, ["checkout.session.async_payment_succeeded"])

    campaign.refresh_from_db()
    assert StripePaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.SUCCEEDED
    assert campaign.status == CampaignStatus.ACTIVE
    assert ledger_audit().clean


def test_a_bank_payment_whose_webhook_was_lost_is_settled_by_the_reconciliation(banked, stripe_sim):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    banked(campaign.advertiser)
    intent = fund(campaign)
    stripe_sim.settle_bank_debits()  # no webhook delivered

    services.payment_intents_reconcile(older_than_minutes=0)

    intent.refresh_from_db()
    campaign.refresh_from_db()
    assert intent.status == IntentStatus.SUCCEEDED and campaign.status == CampaignStatus.ACTIVE
    assert ledger_audit().clean


def test_a_card_payment_left_pending_is_not_sent_while_a_bank_payment_processes(client, banked, card_for, stripe_sim):
    """A card payment Stripe never answered stays pending and the next 'pay with card' reuses it;
    once a bank payment is processing, that reuse must be refused too, or both would fund."""
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    card = card_for(campaign.advertiser)
    quote = services.funding_quote(campaign=campaign)
    left_pending = StripePaymentIntent.objects.create(
        campaign=campaign,
        advertiser=campaign.advertiser,
        purpose=quote.purpose,
        method=IntentMethod.SAVED_CARD,
        payment_method=card,
        budget_amount=quote.budget_cents,
        fee_amount=quote.total_cents - quote.budget_cents,
        amount=quote.total_cents,
        currency=campaign.currency,
        status=IntentStatus.PENDING,
    )
    bank = banked(campaign.advertiser)
    services.payment_method_set_default(user=campaign.advertiser, payment_method=bank)
    assert fund(campaign).status == IntentStatus.PROCESSING  # the bank debit is on its way
    services.payment_method_set_default(user=campaign.advertiser, payment_method=card)

    with pytest.raises(services.BillingError, match="processing"):
        services.funding_pay_with_card(campaign=campaign, actor=campaign.advertiser, quote=quote)

    left_pending.refresh_from_db()
    assert left_pending.status == IntentStatus.PENDING and not left_pending.stripe_payment_intent_id
    assert not CampaignBudgetAllocation.objects.filter(campaign=campaign).exists()


def test_a_payment_page_left_open_is_closed_once_a_bank_payment_processes(client, banked, stripe_sim):
    """Two funding pages: one paid from a bank account, the other left open in a tab. Paying that
    second page later would fund the campaign twice; Stripe is asked to expire it instead."""
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    quote = services.funding_quote(campaign=campaign)
    open_page, bank_page = (
        services.funding_checkout_start(
            campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
        )
        for _ in range(2)
    )
    stripe_sim.pay_checkout_session(bank_page.stripe_checkout_session_id, account_number=SUCCEEDS)

    assert services.funding_sync(intent=bank_page).status == IntentStatus.PROCESSING

    open_page.refresh_from_db()
    assert open_page.status == IntentStatus.CANCELED
    assert open_page.failure_reason_code == PaymentFailure.OTHER_PAYMENT_PROCESSING
    with pytest.raises(StripeError, match="Checkout Session is expired"):
        stripe_sim.pay_checkout_session(open_page.stripe_checkout_session_id)
    stripe_sim.settle_bank_debits()
    _deliver_all(client, stripe_sim, ["checkout.session.async_payment_succeeded", "checkout.session.expired"])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert services.campaign_budget_remaining(campaign) == 6000
    assert ledger_audit().clean


def test_a_page_paid_just_before_it_could_be_closed_counts_once_as_a_top_up(client, banked, stripe_sim):
    """The race the closing cannot prevent: the page was paid a moment before Stripe was asked to
    expire it. Its money is then a top-up, recorded once, and the books add up."""
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    quote = services.funding_quote(campaign=campaign)
    card_page, bank_page = (
        services.funding_checkout_start(
            campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
        )
        for _ in range(2)
    )
    stripe_sim.pay_checkout_session(bank_page.stripe_checkout_session_id, account_number=SUCCEEDS)
    stripe_sim.pay_checkout_session(card_page.stripe_checkout_session_id)

    services.funding_sync(intent=bank_page)

    card_page.refresh_from_db()
    assert card_page.status == IntentStatus.SUCCEEDED
    stripe_sim.settle_bank_debits()
    _deliver_all(client, stripe_sim, ["checkout.session.async_payment_succeeded", "checkout.session.completed"])
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 2
    assert services.campaign_budget_remaining(campaign) == 12000
    assert ledger_audit().clean


def test_a_bank_payment_after_a_declined_card_on_the_same_page_is_a_new_attempt(client, stripe_settings, stripe_sim):
    """The guard against stale answers must not refuse a real second attempt: a new charge."""
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    quote = services.funding_quote(campaign=campaign)
    page = services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )
    with pytest.raises(StripeError):
        stripe_sim.pay_checkout_session(page.stripe_checkout_session_id, card_number="4000000000000002")
    assert services.funding_sync(intent=page).status == IntentStatus.FAILED

    stripe_sim.pay_checkout_session(page.stripe_checkout_session_id, account_number=SUCCEEDS)

    assert services.funding_sync(intent=page).status == IntentStatus.PROCESSING
    stripe_sim.settle_bank_debits()
    assert services.funding_sync(intent=page).status == IntentStatus.SUCCEEDED
    assert services.campaign_budget_remaining(campaign) == 6000
    assert ledger_audit().clean


def test_a_page_that_cannot_be_re_read_does_not_fail_the_bank_payment(client, banked, stripe_sim, monkeypatch):
    """Closing the other pages is housekeeping: if Stripe cannot be asked about one, the bank
    payment is still recorded as processing and the advertiser sees no error."""
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2000)
    quote = services.funding_quote(campaign=campaign)
    card_page, bank_page = (
        services.funding_checkout_start(
            campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
        )
        for _ in range(2)
    )
    stripe_sim.pay_checkout_session(bank_page.stripe_checkout_session_id, account_number=SUCCEEDS)
    stripe_sim.pay_checkout_session(card_page.stripe_checkout_session_id)  # already paid: cannot expire
    real_retrieve = gateway.payment_intent_retrieve

    def unreachable_for_the_card_page(payment_intent_id):
        pi = real_retrieve(payment_intent_id)
        if pi.metadata.get("intent_row_id") == str(card_page.pk):
            raise gateway.GatewayUnavailable("Stripe did not answer.")
        return pi

    monkeypatch.setattr(gateway, "payment_intent_retrieve", unreachable_for_the_card_page)

    assert services.funding_sync(intent=bank_page).status == IntentStatus.PROCESSING
    card_page.refresh_from_db()
    assert card_page.status == IntentStatus.OPEN  # left for the reconciliation
    monkeypatch.setattr(gateway, "payment_intent_retrieve", real_retrieve)
    services.payment_intents_reconcile(older_than_minutes=0)
    card_page.refresh_from_db()
    assert card_page.status == IntentStatus.SUCCEEDED
    assert ledger_audit().clean
