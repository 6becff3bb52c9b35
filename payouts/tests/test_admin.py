import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import StaffAction
from accounts.tests.factories import UserFactory
from campaigns.tests.factories import CampaignFactory
from payouts import services
from payouts.models import PayoutRecord, PayoutStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import connect_ready, earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _paid_period(stripe_sim, promoter, *, fail=False):
    with time_machine.travel(datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC), tick=False):
        campaign = CampaignFactory(awaiting_funding=True)
        fund(campaign, 6000)
        earn(campaign, promoter, 6000, "views-1")
        connect_ready(stripe_sim, promoter)
    if fail:
        stripe_sim.fail_next(1, "500")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=datetime.date(2026, 1, 1))


def test_admin_pages_open(staff_client, promoter, stripe_sim):
    _paid_period(stripe_sim, promoter)
    for name in [
        "stripeconnectaccount",
        "wallet",
        "payoutrecord",
        "stripetransfer",
        "periodclose",
        "billingperiodsummary",
        "promoterbalance",
    ]:
        assert staff_client.get(reverse(f"admin:payouts_{name}_changelist")).status_code == 200
    wallet = Wallet.objects.get(user=promoter)
    assert staff_client.get(reverse("admin:payouts_wallet_change", args=[wallet.pk])).status_code == 200


def test_wallet_admin_edits_only_the_hold(staff_client, promoter, stripe_sim):
    _paid_period(stripe_sim, promoter)
    wallet = Wallet.objects.get(user=promoter)
    response = staff_client.post(
        reverse("admin:payouts_wallet_change", args=[wallet.pk]),
        {
            "payout_hold": "on",
            "payout_hold_reason_code": "chargeback_review",
            "payout_hold_reason": "Two refunds this week",
            "staff_reason": "dispute opened",
            "current_balance": 999_999,
        },
    )
    assert response.status_code == 302
    wallet.refresh_from_db()
    assert (wallet.payout_hold, wallet.payout_hold_reason_code, wallet.payout_hold_reason) == (
        True,
        "chargeback_review",
        "Two refunds this week",
    )
    assert wallet.current_balance == 0 and wallet.paid_out_total == 6000
    assert_books_clean()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"payout_hold_reason": "chargeback review"}, "Choose why the payouts are held"),
        ({"payout_hold_reason_code": "vacation"}, "Select a valid choice."),
        ({"payout_hold_reason_code": "other"}, "You chose “Other”: say what the reason is here."),
    ],
)
def test_holding_payouts_without_a_usable_reason_is_refused_and_changes_nothing(staff_client, promoter, data, message):
    wallet = Wallet.objects.create(user=promoter)
    response = staff_client.post(
        reverse("admin:payouts_wallet_change", args=[wallet.pk]),
        {"payout_hold": "on", "staff_reason": "review", **data},
    )
    assert response.status_code == 200 and message in response.text
    wallet.refresh_from_db()
    assert (wallet.payout_hold, wallet.payout_hold_reason_code, wallet.payout_hold_reason) == (False, "", "")
    assert not StaffAction.objects.exists()


def test_a_held_wallet_shows_the_reason_to_the_promoter_and_in_the_admin_filter(staff_client, client, promoter):
    wallet = Wallet.objects.create(user=promoter)
    services.wallet_hold_set(wallet=wallet, hold=True, code="identity_check", note="Send a new ID", actor=None)
    changelist = staff_client.get(
        reverse("admin:payouts_wallet_changelist"), {"payout_hold_reason_code": "identity_check"}
    )
    assert promoter.email in changelist.text
    client.force_login(promoter)
    page = client.get(reverse("payouts:wallet")).text
    assert "Payouts are on hold: Identity check: Send a new ID." in page
    with pytest.raises(services.PayoutError):
        services.wallet_hold_set(wallet=wallet, hold=True, code="", note="Send a new ID", actor=None)
    services.wallet_hold_set(wallet=wallet, hold=False, actor=None)
    wallet.refresh_from_db()
    assert (wallet.payout_hold, wallet.payout_hold_reason_code, wallet.payout_hold_reason) == (False, "", "")


def test_payout_record_retry_action_pays_a_failed_record(staff_client, promoter, stripe_sim):
    _paid_period(stripe_sim, promoter, fail=True)
    record = PayoutRecord.objects.get()
    assert record.status == PayoutStatus.FAILED
    staff_client.post(
        reverse("admin:payouts_payoutrecord_changelist"),
        {"action": "retry", "_selected_action": [record.pk], "reason": "Stripe was down"},
    )
    record.refresh_from_db()
    assert record.status == PayoutStatus.PAID
    assert_books_clean()
