"""The Stripe webhook endpoint: signed, stored once, processed once, order-proof."""

import json

import pytest
import stripe

from billing import services, webhooks
from billing.audit import ledger_audit
from billing.models import CampaignBudgetAllocation, IntentStatus, StripePaymentIntent, StripeWebhookEvent
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from stripe_simulator.errors import StripeError as SimulatorError
from tests.support.funding import fund_with_card as fund
from tests.support.stripe import deliver, events_of

pytestmark = pytest.mark.django_db
URL = "/billing/stripe/webhook/"


def checkout_started(campaign):
    quote = services.funding_quote(campaign=campaign)
    return services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )


@pytest.mark.parametrize("header", [None, "t=1,v1=deadbeef"])
def test_bad_or_missing_signature_is_refused_and_nothing_stored(client, stripe_settings, stripe_sim, header):
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}

    response = client.post(URL, data=json.dumps(event), content_type="application/json", **extra)

    assert response.status_code == 400
    assert not StripeWebhookEvent.objects.exists()


def test_signed_with_another_secret_is_refused(client, stripe_settings, stripe_sim):
    event = {"id": "evt_2", "type": "charge.succeeded", "data": {"object": {"id": "ch_1"}}}
    assert deliver(client, stripe_sim, event, secret="whsec_someone_else").status_code == 400
    assert not StripeWebhookEvent.objects.exists()


def test_get_is_not_allowed_and_oversized_bodies_are_refused(client, stripe_settings):
    assert client.get(URL).status_code == 405
    big = b"x" * (webhooks.MAX_BODY_BYTES + 1)
    assert client.post(URL, data=big, content_type="application/json").status_code == 413
    assert not StripeWebhookEvent.objects.exists()


def test_same_event_five_times_allocates_once(client, stripe_settings, stripe_sim):
    campaign = CampaignFactory(awaiting_funding=True)
    intent = checkout_started(campaign)
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)
    (succeeded,) = events_of(stripe_sim, "payment_intent.succeeded")

    statuses = [deliver(client, stripe_sim, succeeded).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert StripeWebhookEvent.objects.filter(stripe_event_id=succeeded["id"]).count() == 1
    row = StripeWebhookEvent.objects.get()
    assert (row.status, row.attempts, row.type) == ("processed", 1, "payment_intent.succeeded")
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert ledger_audit().clean


def test_events_out_of_order_end_in_the_right_state(client, stripe_settings, stripe_sim):
    campaign = CampaignFactory(awaiting_funding=True)
    intent = checkout_started(campaign)
    with pytest.raises(SimulatorError):
        stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id, card_number="4000000000000002")
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)

    for event in reversed(stripe_sim.events):  # newest first: success, then the older failure
        assert deliver(client, stripe_sim, event).status_code == 200

    intent.refresh_from_db()
    assert intent.status == IntentStatus.SUCCEEDED
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert ledger_audit().clean


def test_unknown_event_types_are_stored_and_answered_200(client, stripe_settings, stripe_sim):
    event = {"id": "evt_unknown", "type": "customer.created", "data": {"object": {"id": "cus_1"}}, "account": None}

    assert deliver(client, stripe_sim, event).status_code == 200
    assert StripeWebhookEvent.objects.get(stripe_event_id="evt_unknown").status == "ignored"


def test_connect_events_keep_their_account(client, stripe_settings, stripe_sim):
    event = {"id": "evt_acct", "type": "account.updated", "account": "acct_123", "data": {"object": {"id": "acct_123"}}}

    assert deliver(client, stripe_sim, event).status_code == 200
    assert StripeWebhookEvent.objects.get(stripe_event_id="evt_acct").account == "acct_123"


def test_handler_failure_is_recorded_answered_500_and_retried(client, stripe_settings, stripe_sim):
    campaign = CampaignFactory(awaiting_funding=True)
    intent = checkout_started(campaign)
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)
    (succeeded,) = events_of(stripe_sim, "payment_intent.succeeded")
    stripe_sim.fail_next(1, "500")  # Stripe fails while the handler re-reads the payment

    response = deliver(client, stripe_sim, succeeded)

    assert response.status_code == 500
    row = StripeWebhookEvent.objects.get()
    assert row.status == "failed" and "GatewayUnavailable" in row.last_error and row.attempts == 1
    assert not CampaignBudgetAllocation.objects.exists()

    assert webhooks.webhook_events_retry_failed() == 1
    row.refresh_from_db()
    assert row.status == "processed" and row.attempts == 2
    assert CampaignBudgetAllocation.objects.filter(campaign=campaign).count() == 1
    assert ledger_audit().clean


def test_refund_events_settle_pending_refunds(client, card_for, stripe_sim):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=5000)
    stripe_sim.fail_next(1, "500")
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    refund = campaign.charges.get(kind="refund")
    assert refund.status == "pending"

    # Stripe is back; a later event about the charge triggers a re-read that sends the refund.
    (charge_event,) = events_of(stripe_sim, "charge.succeeded")
    charge_event = {**charge_event, "id": "evt_refund_trigger", "type": "charge.refunded"}
    assert deliver(client, stripe_sim, charge_event).status_code == 200

    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.stripe_refund_id
    assert ledger_audit().clean


def test_registry_refuses_two_handlers_for_one_type():
    with pytest.raises(ValueError):
        webhooks.register("payment_intent.succeeded")(lambda event: None)


def test_setup_checkout_saves_the_card(client, stripe_settings, stripe_sim, advertiser):
    client.force_login(advertiser)
    response = client.post("/billing/payment-methods/add/")
    assert response.status_code == 302 and "/checkout/cs_test" in response.url
    session_id = response.url.rstrip("/").rsplit("/", 1)[-1]
    success = stripe_sim.pay_checkout_session(session_id, card_number="4000056655665556")

    client.get(success.replace("http://testserver", ""))

    card = advertiser.payment_methods.get()
    assert card.last4 == "5556" and card.is_default and card.exp_year
    # The webhook for the same setup changes nothing.
    for event in events_of(stripe_sim, "checkout.session.completed"):
        assert deliver(client, stripe_sim, event).status_code == 200
    assert advertiser.payment_methods.count() == 1
    assert StripePaymentIntent.objects.count() == 0


def _signed_post(client, sim, body: str, **extra):
    header = stripe.WebhookSignature.generate_signature_header(body, sim.webhook_secret)
    return client.post(URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header, **extra)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("null", "must be a JSON object"),
        ("[]", "must be a JSON object"),
        ("[1,2]", "must be a JSON object"),
        ('"a string"', "must be a JSON object"),
        ("123", "must be a JSON object"),
        ("{not json", "not valid JSON"),
        ('{"id": null, "type": "charge.succeeded", "data": {"object": {}}}', "`id` must be"),
        ('{"id": "evt_1", "type": 5, "data": {"object": {}}}', "`type` must be"),
        ('{"id": "evt_1", "type": ["x"], "data": {"object": {}}}', "`type` must be"),
        ('{"id": "' + "e" * 256 + '", "type": "charge.succeeded", "data": {"object": {}}}', "`id` must be"),
        ('{"id": "evt_1", "type": "charge.succeeded", "data": null}', "`data.object` must be"),
        ('{"id": "evt_1", "type": "charge.succeeded", "data": {"object": []}}', "`data.object` must be"),
        ('{"id": "evt_1", "type": "charge.succeeded", "account": 5, "data": {"object": {}}}', "`account` must be"),
    ],
)
def test_signed_bodies_that_are_not_events_are_refused_and_nothing_stored(
    client, stripe_settings, stripe_sim, body, message
):
    response = _signed_post(client, stripe_sim, body)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StripeWebhookEvent.objects.exists()


@pytest.mark.parametrize("length", ["abc", "1e3", "-1", "12 34"])
def test_a_content_length_that_is_not_a_number_is_answered_400(client, stripe_settings, stripe_sim, length):
    body = json.dumps({"id": "evt_cl", "type": "unknown.type", "data": {"object": {}}})

    response = _signed_post(client, stripe_sim, body, CONTENT_LENGTH=length)

    assert response.status_code == 400
    assert "Content-Length" in response.content.decode()
    assert not StripeWebhookEvent.objects.exists()
