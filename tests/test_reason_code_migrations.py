"""The data migrations that turned free-text reasons into codes, run both ways on real rows.

Each test migrates its app back to before the codes and forward again: old texts map to codes
(the platform's own texts and Stripe's codes to theirs, anything else to OTHER with the text
kept), and codes written since turn back into texts.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import PromoterFactory
from billing.models import AdvertiserCharge, StripePaymentIntent
from campaigns.models import CampaignApplication, CampaignWork
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, WorkFactory
from payouts.models import PayoutRecord, StripeConnectAccount, StripeTransfer, Wallet
from tests.support.tracking import join, salesman_campaign
from tracking.services import sale_record, sale_reject

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(app: str, name: str):
    """Migrate `app` to `name`; the historical apps at that state."""
    executor = MigrationExecutor(connection)
    executor.migrate([(app, name)])
    return MigrationExecutor(connection).loader.project_state([(app, name)]).apps


def _values(model, row, *fields):
    return model.objects.values_list(*fields).get(pk=row.pk)


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_application_and_work_reasons(back_to_latest):
    rejected = ApplicationFactory(status="rejected", decision_reason_code="price", decision_reason="Over budget")
    closed = ApplicationFactory(campaign=rejected.campaign, status="closed", decision_reason_code="campaign_ended")
    sent_back = WorkFactory(status="revision_requested", review_reason_code="incomplete", review_comment="Add logo")
    refused = WorkFactory(status="rejected", review_reason_code="brief")
    latecomer = PromoterFactory()

    old = _migrate("campaigns", "0008_platform_reference_rates")
    Application, Work = old.get_model("campaigns", "CampaignApplication"), old.get_model("campaigns", "CampaignWork")
    assert (
        Application.objects.get(pk=rejected.pk).decision_reason
        == "The price is more than the budget allows: Over budget"
    )
    assert Application.objects.get(pk=closed.pk).decision_reason == "The campaign has ended"
    assert Work.objects.get(pk=sent_back.pk).review_comment == "Incomplete: parts are missing: Add logo"
    assert Work.objects.get(pk=refused.pk).review_comment == "Does not follow the brief"
    Application.objects.filter(pk=rejected.pk).update(decision_reason="Too pricey")
    selected = Application.objects.create(
        campaign_id=rejected.campaign_id,
        promoter_id=latecomer.pk,
        status="closed",
        pitch="Me",
        proposed_amount=20_000,
        current_amount=20_000,
        decision_reason="Another promoter was selected",
    )

    _migrate("campaigns", "0010_reason_code_constraints")
    reason = ("decision_reason_code", "decision_reason")
    assert _values(CampaignApplication, rejected, *reason) == ("other", "Too pricey")
    assert _values(CampaignApplication, closed, *reason) == ("campaign_ended", "")
    assert _values(CampaignApplication, selected, *reason) == ("another_promoter_selected", "")
    review = ("review_reason_code", "review_comment")
    assert _values(CampaignWork, sent_back, *review) == ("other", "Incomplete: parts are missing: Add logo")
    assert _values(CampaignWork, refused, *review) == ("other", "Does not follow the brief")


def test_sale_rejection_reasons(back_to_latest):

    campaign = salesman_campaign()
    participation = join(campaign)
    sale, _ = sale_record(
        campaign=campaign, order_id="o-1", amount_cents=5000, currency="usd", ref_code=participation.tracking_code
    )
    sale_reject(sale=sale, actor=campaign.advertiser, code="duplicate", note="same as o-0")

    old = _migrate("tracking", "0007_campaign_view_days")
    assert old.get_model("tracking", "SaleRecord").objects.get(pk=sale.pk).decision_reason == (
        "Duplicate of another order: same as o-0"
    )

    _migrate("tracking", "0009_sale_reason_code_constraint")
    sale.refresh_from_db()
    assert (sale.decision_reason_code, sale.decision_reason) == ("other", "Duplicate of another order: same as o-0")


def test_payment_and_refund_failures(back_to_latest):

    campaign = CampaignFactory(awaiting_funding=True)
    old = _migrate("billing", "0015_payment_failed_charge")
    Intent, Charge = old.get_model("billing", "StripePaymentIntent"), old.get_model("billing", "AdvertiserCharge")
    money = {"campaign_id": campaign.pk, "advertiser_id": campaign.advertiser_id, "currency": "usd"}
    amounts = {"budget_amount": 1000, "fee_amount": 100, "amount": 1100}

    def intent(**fields):
        return Intent.objects.create(purpose="initial", method="saved_card", **amounts, **money, **fields)

    def refund(text):
        return Charge.objects.create(
            kind="refund", status="failed", payment_intent_id=declined.pk, failure_reason=text, **amounts, **money
        )

    declined = intent(status="failed", failure_reason="Your card was declined.", decline_code="generic_decline")
    lost = intent(status="failed", failure_reason="Your card was declined.", decline_code="lost_card")
    unknown = intent(status="failed", failure_reason="Do not honor.", decline_code="do_not_honor")
    expired = intent(status="canceled", failure_reason="The payment page expired.")
    too_large = intent(status="failed", failure_reason="One payment can be at most $999,999.99; this one is more.")
    by_code = refund("declined")
    disputed = refund("Charge ch_1 has been charged back; cannot issue a refund.")
    vague = refund("Stripe failed the refund.")

    _migrate("billing", "0016_failure_reason_codes")
    failure = ("failure_reason_code", "failure_reason")
    assert _values(StripePaymentIntent, declined, *failure) == ("card_declined", "Your card was declined.")
    assert _values(StripePaymentIntent, lost, *failure) == ("lost_card", "Your card was declined.")
    assert _values(StripePaymentIntent, unknown, *failure) == ("other", "Do not honor.")
    assert _values(StripePaymentIntent, expired, *failure) == ("checkout_expired", "")
    assert _values(StripePaymentIntent, too_large, *failure)[0] == "amount_too_large"
    assert _values(AdvertiserCharge, by_code, *failure) == ("declined", "")
    assert _values(AdvertiserCharge, disputed, *failure) == ("charge_disputed", disputed.failure_reason)
    assert _values(AdvertiserCharge, vague, *failure) == ("other", "Stripe failed the refund.")

    old = _migrate("billing", "0015_payment_failed_charge")
    Intent, Charge = old.get_model("billing", "StripePaymentIntent"), old.get_model("billing", "AdvertiserCharge")
    assert Intent.objects.get(pk=expired.pk).failure_reason == "The payment page expired."
    assert Charge.objects.get(pk=by_code.pk).failure_reason == "declined"


def test_transfer_payout_and_hold_reasons(back_to_latest):

    held, bank, other = PromoterFactory(), PromoterFactory(), PromoterFactory()
    old = _migrate("payouts", "0008_payout_runs")
    OldWallet, OldRecord = old.get_model("payouts", "Wallet"), old.get_model("payouts", "PayoutRecord")
    wallet = OldWallet.objects.create(user_id=held.pk, payout_hold=True, payout_hold_reason="Fraud review")
    odd = OldWallet.objects.create(user_id=other.pk, payout_hold=True, payout_hold_reason="Asked by legal")
    refused = "Your destination account needs to have at least one of the following capabilities enabled"
    record = OldRecord.objects.create(
        promoter_id=held.pk, period=datetime.date(2026, 1, 1), amount=5000, status="failed", failure_reason=refused
    )
    transfer = old.get_model("payouts", "StripeTransfer").objects.create(
        promoter_id=held.pk,
        kind="payout",
        status="reversed",
        amount=5000,
        idempotency_key="payout-x",
        payout_record_id=record.pk,
        failure_reason="Reversed by Stripe; the amount is back in your wallet.",
    )
    account = old.get_model("payouts", "StripeConnectAccount").objects.create(
        user_id=bank.pk, stripe_account_id="acct_old", payout_failure_message="account_closed"
    )

    _migrate("payouts", "0009_failure_and_hold_reason_codes")
    hold = ("payout_hold_reason_code", "payout_hold_reason")
    assert _values(Wallet, wallet, *hold) == ("fraud_review", "")
    assert _values(Wallet, odd, *hold) == ("other", "Asked by legal")
    assert _values(PayoutRecord, record, "failure_reason_code") == ("insufficient_capabilities_for_transfer",)
    assert _values(StripeTransfer, transfer, "failure_reason_code", "failure_reason") == (
        "transfer_reversed",
        "the amount is back in your wallet.",
    )
    bank_failure = ("payout_failure_code", "payout_failure_message")
    assert _values(StripeConnectAccount, account, *bank_failure) == ("account_closed", "")

    old = _migrate("payouts", "0008_payout_runs")
    assert old.get_model("payouts", "StripeTransfer").objects.get(pk=transfer.pk).failure_reason == (
        "Reversed by Stripe; the amount is back in your wallet."
    )
    assert old.get_model("payouts", "Wallet").objects.get(pk=wallet.pk).payout_hold_reason == (
        "Suspicious activity under review"
    )
    assert old.get_model("payouts", "StripeConnectAccount").objects.get(pk=account.pk).payout_failure_message == (
        "account_closed"
    )
