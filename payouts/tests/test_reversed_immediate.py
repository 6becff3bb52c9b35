"""A reversed immediate (consultant/seller milestone) payment is sent again: a new transfer row
with its own idempotency key, a capped number of sends, and the promoter told what happens."""

import pytest
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from billing import ledger
from campaigns import services as campaign_services
from campaigns.tests.factories import DeliverableFactory, WorkFactory
from payouts import services
from payouts.models import StripeConnectAccount, StripeTransfer, TransferKind, TransferStatus, Wallet
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge
from tests.support.payouts import connect_ready

pytestmark = pytest.mark.django_db


def _paid_milestone(stripe_sim, capture, amount=5_000):
    """Agree $100, fund it, approve a $50 milestone: one transfer sent."""
    deliverable = DeliverableFactory(status="submitted", amount=amount, promoter_campaign__funded=False)
    campaign = deliverable.promoter_campaign.campaign
    fund(campaign, 10_000, charge_id=simulator_charge(11_000))
    work = WorkFactory(deliverable=deliverable)
    promoter = deliverable.promoter_campaign.promoter
    connect_ready(stripe_sim, promoter)
    with capture(execute=True):
        assert campaign_services.work_approve(work=work, actor=None)
    transfer = StripeTransfer.objects.get(work=work)
    assert transfer.status == TransferStatus.SUCCEEDED
    return work, promoter, transfer


def _reverse(stripe_client, capture, transfer):
    stripe_client.v1.transfers.reversals.create(transfer.stripe_transfer_id)
    with capture(execute=True):
        services.transfer_reversed(stripe_transfer_id=transfer.stripe_transfer_id)


def _monthly_closes():
    period = services.period_previous(services.period_of(timezone.now()))
    services.period_close(period=services.period_previous(period))
    services.period_close(period=period)


def _bodies(promoter, kind):
    return list(Notification.objects.filter(user=promoter, kind=kind).order_by("pk").values_list("body", flat=True))


def test_reversed_milestone_payment_is_sent_again_exactly_once(
    stripe_sim, stripe_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    work, promoter, first = _paid_milestone(stripe_sim, capture)
    _reverse(stripe_client, capture, first)
    assert Wallet.objects.get(user=promoter).direct_balance == 5_000

    with capture(execute=True):
        services.transfers_retry_failed()
        services.transfers_retry_failed()
    _monthly_closes()
    _monthly_closes()

    transfers = list(StripeTransfer.objects.filter(promoter=promoter).order_by("pk"))
    assert [(t.kind, t.status, t.amount) for t in transfers] == [
        (TransferKind.IMMEDIATE, TransferStatus.REVERSED, 5_000),
        (TransferKind.IMMEDIATE, TransferStatus.SUCCEEDED, 5_000),
    ]
    again = transfers[1]
    assert again.resend_of_id == first.pk and again.idempotency_key == f"transfer-{again.pk}"
    assert again.idempotency_key != first.idempotency_key
    assert len([e for e in stripe_sim.events if e["type"] == "transfer.created"]) == 2
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.direct_balance, wallet.direct_paid_total) == (0, 5_000)
    assert ledger.promoter_direct(promoter).balance == 0
    work.deliverable.promoter_campaign.refresh_from_db()
    assert work.deliverable.promoter_campaign.final_payout_amount == 5_000
    returned = _bodies(promoter, NotificationKind.PAYOUT_FAILED)
    assert len(returned) == 1 and "sent to you again automatically" in returned[0]
    sent = _bodies(promoter, NotificationKind.PAYOUT_SENT)
    assert len(sent) == 2 and "sent again" in sent[1]
    assert_books_clean()


def test_a_payment_reversed_at_every_send_stops_after_the_cap(
    stripe_sim, stripe_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _, promoter, transfer = _paid_milestone(stripe_sim, capture)
    for _ in range(services.IMMEDIATE_SENDS_MAX + 2):
        _reverse(stripe_client, capture, transfer)
        with capture(execute=True):
            services.transfers_retry_failed()
        transfer = StripeTransfer.objects.filter(promoter=promoter).order_by("-pk").first()
        if transfer.status == TransferStatus.REVERSED:
            break
    transfers = StripeTransfer.objects.filter(promoter=promoter)
    assert transfers.count() == services.IMMEDIATE_SENDS_MAX
    assert not transfers.exclude(status=TransferStatus.REVERSED).exists()
    assert Wallet.objects.get(user=promoter).direct_balance == 5_000  # kept, owed, never lost
    last = _bodies(promoter, NotificationKind.PAYOUT_FAILED)[-1]
    assert "stopped sending it automatically" in last and "sent to you again" not in last
    assert_books_clean()


def test_a_reversal_replayed_out_of_order_after_the_resend_pays_nothing_more(
    stripe_sim, stripe_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _, promoter, first = _paid_milestone(stripe_sim, capture)
    _reverse(stripe_client, capture, first)
    with capture(execute=True):
        services.transfers_retry_failed()
        services.transfer_reversed(stripe_transfer_id=first.stripe_transfer_id)  # replayed event
        services.transfers_retry_failed()
    assert StripeTransfer.objects.filter(promoter=promoter).count() == 2
    assert Wallet.objects.get(user=promoter).direct_balance == 0
    assert_books_clean()


def test_staff_send_a_payment_again_past_the_cap(
    stripe_sim, stripe_client, django_capture_on_commit_callbacks, admin_client
):
    from django.urls import reverse

    capture = django_capture_on_commit_callbacks
    _, promoter, transfer = _paid_milestone(stripe_sim, capture)
    for _ in range(services.IMMEDIATE_SENDS_MAX):
        _reverse(stripe_client, capture, transfer)
        with capture(execute=True):
            services.transfers_retry_failed()
        transfer = StripeTransfer.objects.filter(promoter=promoter).order_by("-pk").first()
    assert transfer.status == TransferStatus.REVERSED  # the cap: no automatic send any more
    with capture(execute=True):
        response = admin_client.post(
            reverse("admin:payouts_stripetransfer_changelist"),
            {"action": "send_reversed_again", "_selected_action": [transfer.pk]},
        )
    assert response.status_code == 302
    latest = StripeTransfer.objects.filter(promoter=promoter).order_by("-pk").first()
    assert latest.resend_of_id == transfer.pk and latest.status == TransferStatus.SUCCEEDED
    assert Wallet.objects.get(user=promoter).direct_balance == 0
    assert_books_clean()


def test_a_resend_the_wallet_cannot_cover_tells_the_promoter_it_is_not_coming(
    stripe_sim, stripe_client, django_capture_on_commit_callbacks
):
    """A staff correction took part of the returned money from the direct balance before the
    resend: nothing is sent, and the promoter is told so rather than left expecting it."""
    from billing.models import TransactionKind

    capture = django_capture_on_commit_callbacks
    _, promoter, first = _paid_milestone(stripe_sim, capture)
    _reverse(stripe_client, capture, first)
    ledger.ledger_post(
        kind=TransactionKind.ADJUSTMENT,
        legs=[ledger.Leg(ledger.promoter_direct(promoter), ledger.external(), 2_000)],
        idempotency_key="staff-correction-1",
        memo="Staff correction",
    )

    with capture(execute=True):
        services.transfers_retry_failed()
        services.transfers_retry_failed()

    assert StripeTransfer.objects.filter(promoter=promoter).count() == 1
    assert Wallet.objects.get(user=promoter).direct_balance == 3_000
    last = _bodies(promoter, NotificationKind.PAYOUT_FAILED)[-1]
    assert "not sent again" in last and "contact support" in last
    assert len(_bodies(promoter, NotificationKind.PAYOUT_FAILED)) == 2  # the return, then this, once
    first.refresh_from_db()
    assert first.failure_reason_code == "not_sent_again"
    assert first.failure_text == "The returned payment was not sent again: the direct balance covers $30.00 of it."
    assert_books_clean()


def test_a_partly_reversed_milestone_payment_sends_the_reversed_part_again(
    stripe_sim, stripe_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _, promoter, first = _paid_milestone(stripe_sim, capture)
    stripe_client.v1.transfers.reversals.create(first.stripe_transfer_id, params={"amount": 2_000})
    with capture(execute=True):
        services.transfer_reversed(stripe_transfer_id=first.stripe_transfer_id)
    assert Wallet.objects.get(user=promoter).direct_balance == 2_000
    assert "sent to you again automatically" in _bodies(promoter, NotificationKind.PAYOUT_FAILED)[-1]

    with capture(execute=True):
        services.transfers_retry_failed()
        services.transfers_retry_failed()

    again = StripeTransfer.objects.get(resend_of=first)
    assert (again.amount, again.status) == (2_000, TransferStatus.SUCCEEDED)
    assert StripeTransfer.objects.filter(promoter=promoter).count() == 2
    wallet = Wallet.objects.get(user=promoter)
    assert (wallet.direct_balance, wallet.direct_paid_total) == (0, 5_000)
    account = StripeConnectAccount.objects.get(user=promoter).stripe_account_id
    sent = stripe_client.v1.transfers.list(params={"destination": account}).data
    assert sum(t.amount - t.amount_reversed for t in sent) == 5_000
    assert_books_clean()
