"""US bank accounts (ACH Direct Debit) through the real `stripe` client: payment methods from
Stripe's test numbers, payments that stay `processing` until settled, and the events of each
outcome, through Checkout in payment and setup modes too."""

import pytest
import stripe

ROUTING = "110000000"


def _bank_pm(client, account="000123456789", routing=ROUTING):
    return client.v1.payment_methods.create(
        params={
            "type": "us_bank_account",
            "us_bank_account": {"routing_number": routing, "account_number": account, "account_holder_type": "company"},
            "billing_details": {"name": "Ada Advertiser"},
        }
    )


def _debit(client, pm, amount=6600):
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "allowed_payment_method_types": ["us_bank_account"],
            "confirm": True,
        }
    )


def test_a_bank_account_reads_like_stripes(stripe_client):
    pm = _bank_pm(stripe_client)

    assert pm.type == "us_bank_account"
    bank = pm.us_bank_account
    assert (bank.bank_name, bank.last4, bank.routing_number, bank.account_holder_type) == (
        "STRIPE TEST BANK",
        "6789",
        ROUTING,
        "company",
    )


@pytest.mark.parametrize(
    "routing, account, param",
    [
        ("123456789", "000123456789", "us_bank_account[routing_number]"),
        (ROUTING, "12", "us_bank_account[account_number]"),
    ],
)
def test_bad_bank_details_are_refused_with_the_param(stripe_client, routing, account, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _bank_pm(stripe_client, account=account, routing=routing)

    assert refused.value.param == param


def test_a_bank_payment_stays_processing_until_settled_then_succeeds(stripe_sim, stripe_client):
    pi = _debit(stripe_client, _bank_pm(stripe_client))

    assert pi.status == "processing"
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.status, charge.paid) == ("pending", False)
    assert charge.payment_method_details.us_bank_account.last4 == "6789"
    assert stripe_sim.event_types()[-2:] == ["charge.pending", "payment_intent.processing"]

    stripe_sim.settle_bank_debits()

    pi = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert (pi.status, pi.amount_received) == ("succeeded", 6600)
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["balance_transaction"]})
    assert charge.status == "succeeded" and charge.id == pi.latest_charge
    assert charge.balance_transaction.amount == 6600
    assert stripe_sim.event_types()[-2:] == ["charge.succeeded", "payment_intent.succeeded"]


@pytest.mark.parametrize(
    "account, code",
    [("000222222227", "insufficient_funds"), ("000111111113", "account_closed"), ("000111111116", "no_account")],
)
def test_stripes_failing_test_accounts_fail_after_processing(stripe_sim, stripe_client, account, code):
    pi = _debit(stripe_client, _bank_pm(stripe_client, account=account))
    assert pi.status == "processing"

    stripe_sim.settle_bank_debits()

    pi = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.status, charge.failure_code) == ("failed", code)
    assert stripe_sim.event_types()[-2:] == ["charge.failed", "payment_intent.payment_failed"]
    assert stripe_client.v1.balance.retrieve().available[0].amount == 0  # no money arrived


def test_a_bank_account_is_refused_where_the_payment_allows_cards_only(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": _bank_pm(stripe_client).id,
                "confirm": True,
            }
        )
    assert refused.value.param == "payment_method"


def test_checkout_in_payment_mode_takes_a_bank_account_and_completes_unpaid(stripe_sim, stripe_client):
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "allowed_payment_method_types": ["card", "us_bank_account"],
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 5000, "product_data": {"name": "X"}}}
            ],
            "success_url": "https://example.test/ok",
        }
    )

    stripe_sim.pay_checkout_session(session.id, account_number="000123456789")

    session = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (session.status, session.payment_status) == ("complete", "unpaid")
    assert stripe_client.v1.payment_intents.retrieve(session.payment_intent).status == "processing"

    stripe_sim.settle_bank_debits()

    session = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert session.payment_status == "paid"
    assert "checkout.session.async_payment_succeeded" in stripe_sim.event_types()


def test_checkout_in_payment_mode_tells_of_a_failed_bank_payment(stripe_sim, stripe_client):
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "allowed_payment_method_types": ["us_bank_account"],
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 5000, "product_data": {"name": "X"}}}
            ],
            "success_url": "https://example.test/ok",
        }
    )
    stripe_sim.pay_checkout_session(session.id, account_number="000222222227")

    stripe_sim.settle_bank_debits()

    assert stripe_sim.event_types()[-1] == "checkout.session.async_payment_failed"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"


def test_checkout_in_setup_mode_saves_a_bank_account_to_the_customer(stripe_sim, stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "ada@example.com"})
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": customer.id,
            "allowed_payment_method_types": ["card", "us_bank_account"],
            "success_url": "https://example.test/ok",
        }
    )

    stripe_sim.pay_checkout_session(session.id, account_number="000123456789")

    session = stripe_client.v1.checkout.sessions.retrieve(session.id)
    setup_intent = stripe_client.v1.setup_intents.retrieve(session.setup_intent)
    assert setup_intent.status == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(setup_intent.payment_method)
    assert (pm.type, pm.customer, pm.us_bank_account.last4) == ("us_bank_account", customer.id, "6789")


def test_the_hosted_page_offers_a_bank_account_when_the_session_allows_it(stripe_sim, stripe_client):
    import urllib.request

    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "allowed_payment_method_types": ["card", "us_bank_account"],
            "success_url": "https://example.test/ok",
        }
    )
    page = urllib.request.urlopen(session.url).read().decode()

    assert "Routing number" in page and "000222222227" in page


def test_with_a_settle_delay_a_bank_payment_lands_by_itself(stripe_sim, stripe_client):
    import time

    stripe_sim.configure(bank_debit_settle_seconds=0.2)
    pi = _debit(stripe_client, _bank_pm(stripe_client))
    assert pi.status == "processing"

    deadline = time.monotonic() + 5
    while stripe_client.v1.payment_intents.retrieve(pi.id).status == "processing" and time.monotonic() < deadline:
        time.sleep(0.05)

    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


@pytest.mark.parametrize(
    "test_id, status, code",
    [
        ("pm_usBankAccount_success", "succeeded", None),
        ("pm_usBankAccount_insufficientFunds", "requires_payment_method", "insufficient_funds"),
        ("pm_usBankAccount_debitNotAuthorized", "requires_payment_method", "debit_not_authorized"),
        ("pm_usBankAccount_processing", "processing", None),
    ],
)
def test_stripes_test_bank_ids_behave_as_their_accounts(stripe_sim, stripe_client, test_id, status, code):
    pi = _debit(stripe_client, _Id(test_id))
    assert pi.status == "processing"

    stripe_sim.settle_bank_debits()

    pi = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == status
    assert (pi.last_payment_error.code if pi.last_payment_error else None) == code


def test_the_dispute_test_account_is_paid_then_disputed(stripe_sim, stripe_client):
    pi = _debit(stripe_client, _Id("pm_usBankAccount_dispute"))

    stripe_sim.settle_bank_debits()

    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert "charge.dispute.created" in stripe_sim.event_types()


class _Id:
    """A payment method given by id only, as a test PaymentMethod id is."""

    def __init__(self, id):
        self.id = id
