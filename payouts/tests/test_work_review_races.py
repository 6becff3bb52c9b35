"""Reviewing work races the end of its campaign (PostgreSQL row locks): the review locks the
campaign row first, as every service does, so it sees the status the end committed."""

import threading

import pytest
from django.db import connection, transaction

from billing import services as billing_services
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus, WorkStatus
from campaigns.tests.factories import DeliverableFactory, WorkFactory
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.funding import simulator_charge

pytestmark = pytest.mark.django_db(transaction=True)


def _cancel_holding_the_lock(campaign, locked: threading.Event, errors: list) -> threading.Thread:
    """Cancel the campaign in a transaction that keeps its row locked for a moment."""

    def run():
        try:
            with transaction.atomic():
                campaign_services.campaign_cancel(campaign=campaign, actor=None, reason="Changed plans")
                locked.set()
                threading.Event().wait(0.7)  # the review arrives while the cancel is not committed
        except Exception as error:  # pragma: no cover - reported by the test
            errors.append(error)
            locked.set()
        finally:
            connection.close()

    return threading.Thread(target=run)


def test_a_revision_request_racing_a_cancel_sees_the_cancel():
    """Before: the status was read before the cancel committed, so the promoter was asked for a
    new version of work on a campaign that no longer accepts any."""
    deliverable = DeliverableFactory(status="submitted", amount=5_000, promoter_campaign__funded=False)
    campaign = deliverable.promoter_campaign.campaign
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status"])
    work = WorkFactory(deliverable=deliverable)
    locked, errors = threading.Event(), []
    thread = _cancel_holding_the_lock(campaign, locked, errors)
    thread.start()
    assert locked.wait(10)

    with pytest.raises(campaign_services.InvalidTransition, match="has ended"):
        campaign_services.work_request_revision(work=work, actor=None, code="format", note="Please shorten it")
    thread.join(30)
    assert not errors
    work.refresh_from_db()
    assert work.status == WorkStatus.SUBMITTED  # still payable: approve or reject


def test_an_approval_racing_a_cancel_pays_the_work_and_refunds_the_rest_once(stripe_sim):
    deliverable = DeliverableFactory(status="submitted", amount=5_000, promoter_campaign__funded=False)
    campaign = deliverable.promoter_campaign.campaign
    fund(campaign, 10_000, charge_id=simulator_charge(11_000))
    work = WorkFactory(deliverable=deliverable)
    errors, barrier = [], threading.Barrier(2)

    def run(function):
        try:
            barrier.wait(10)
            function()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: campaign_services.work_approve(work=work, actor=None),)),
        threading.Thread(
            target=run,
            args=(lambda: campaign_services.campaign_cancel(campaign=campaign, actor=None, reason="Changed plans"),),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    billing_services.ended_campaigns_refund_leftovers()
    work.refresh_from_db()
    assert work.status == WorkStatus.APPROVED
    assert billing_services.campaign_budget_remaining(campaign) == 0
    assert_books_clean()
