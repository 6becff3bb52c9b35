"""The promoter is told, once per event: payout sent, payout failed, onboarding incomplete."""

import datetime

import pytest
import time_machine
from django.core import mail

from accounts.models import Notification, NotificationKind
from campaigns import services as campaign_services
from campaigns.models import CampaignType
from campaigns.tests.factories import CampaignFactory, DeliverableFactory, WorkFactory
from payouts import services
from payouts.models import PayoutRecord
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import connect_ready, earn

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
MID_JAN = datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC)
CLOSE_DAY = datetime.datetime(2026, 2, 1, 6, 0, tzinfo=datetime.UTC)


def _earned_in_january(promoter, cents=6000):
    with time_machine.travel(MID_JAN, tick=False):
        campaign = CampaignFactory(awaiting_funding=True, campaign_type=CampaignType.VISIBILITY, max_views=10_000)
        fund(campaign, 30_000)
        earn(campaign, promoter, cents, f"views-{promoter.pk}")


def _notes(promoter, kind):
    return list(Notification.objects.filter(user=promoter, kind=kind).values_list("event_key", flat=True))


def test_payout_sent_is_told_once_and_emailed_after_commit(stripe_sim, promoter, django_capture_on_commit_callbacks):
    stripe_sim.add_balance(100_000)
    _earned_in_january(promoter)
    connect_ready(stripe_sim, promoter)
    with time_machine.travel(CLOSE_DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.period_close(period=JAN)
        services.period_close(period=JAN)
        services.payout_run(period=JAN)
    record = PayoutRecord.objects.get(promoter=promoter)
    assert _notes(promoter, NotificationKind.PAYOUT_SENT) == [f"payout-sent-{record.pk}"]
    note = Notification.objects.get(user=promoter, kind=NotificationKind.PAYOUT_SENT)
    assert "$60.00" in note.body and note.emailed_at is not None
    assert [message.to for message in mail.outbox] == [[promoter.email]]
    assert_books_clean()


def test_payout_failed_is_told_once_however_often_the_retry_fails(stripe_sim, promoter):
    _earned_in_january(promoter)
    account = connect_ready(stripe_sim, promoter)
    stripe_sim.set_capability(account.stripe_account_id, "transfers", "inactive")  # Stripe refuses
    stripe_sim.add_balance(100_000)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
        services.transfers_retry_failed()
    record = PayoutRecord.objects.get(promoter=promoter)
    assert record.status == "failed" and record.attempts == 2
    assert _notes(promoter, NotificationKind.PAYOUT_FAILED) == [f"payout-failed-{record.pk}"]
    assert record.failure_reason in Notification.objects.get(user=promoter, kind=NotificationKind.PAYOUT_FAILED).body
    assert_books_clean()


def test_earnings_waiting_for_an_unfinished_account_tell_the_promoter_once_per_close(stripe_sim, promoter):
    _earned_in_january(promoter)
    services.connect_account_get_or_create(user=promoter)  # onboarding not finished
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
        services.payout_run(period=JAN)
    assert _notes(promoter, NotificationKind.ONBOARDING_INCOMPLETE) == ["onboarding-incomplete-close-2026-01"]
    assert not PayoutRecord.objects.exists()


def test_immediate_payment_waiting_for_onboarding_tells_the_promoter_once(
    stripe_sim, django_capture_on_commit_callbacks
):
    deliverable = DeliverableFactory(status="submitted", amount=10_000, promoter_campaign__funded=False)
    fund(deliverable.promoter_campaign.campaign, 30_000)
    work = WorkFactory(deliverable=deliverable)
    promoter = deliverable.promoter_campaign.promoter
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.work_approve(work=work, actor=None)
    transfer = work.stripe_transfer
    services.transfer_send(transfer_id=transfer.pk)  # the retry schedule tries again: still once
    assert _notes(promoter, NotificationKind.ONBOARDING_INCOMPLETE) == [f"onboarding-incomplete-transfer-{transfer.pk}"]


def test_account_updated_with_new_requirements_tells_the_promoter_once_per_set(stripe_sim, promoter):
    account = connect_ready(stripe_sim, promoter)
    assert not _notes(promoter, NotificationKind.ONBOARDING_INCOMPLETE)  # finishing onboarding is no alert

    def stripe_asks_for(*codes):
        remote = stripe_sim.state.get("account", account.stripe_account_id, any_owner=True)
        remote["requirements"]["currently_due"] = list(codes)
        remote["payouts_enabled"] = False
        services.connect_account_refresh(stripe_account_id=account.stripe_account_id)

    stripe_asks_for("individual.verification.document")
    stripe_asks_for("individual.verification.document")  # the same event again
    stripe_asks_for("individual.verification.document", "external_account")
    keys = _notes(promoter, NotificationKind.ONBOARDING_INCOMPLETE)
    assert len(keys) == 2
    latest = Notification.objects.filter(user=promoter, kind=NotificationKind.ONBOARDING_INCOMPLETE).first()
    assert "an identity document" in latest.body and "a bank account for payouts" in latest.body
