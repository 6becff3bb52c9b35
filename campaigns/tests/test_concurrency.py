"""Races that only a real database with row locks can show (run with DATABASE_URL on PostgreSQL)."""

import threading

import pytest
from django.db import close_old_connections

from accounts.tests.factories import PromoterFactory
from campaigns import services
from campaigns.models import Campaign, CampaignApplication, CampaignStatusChange, CampaignWork, PromoterCampaign
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, WorkFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def _race(*calls):
    """Run the calls at the same moment in threads; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_acceptances_at_once_select_one_promoter():
    campaign = CampaignFactory(consultant=True, awaiting_funding=True)
    applications = [ApplicationFactory(campaign=campaign, promoter=PromoterFactory()) for _ in range(2)]
    results, errors = _race(
        *[(lambda a=a: services.application_accept(application=a, actor=campaign.advertiser)) for a in applications]
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], services.CampaignError)
    assert PromoterCampaign.objects.filter(campaign=campaign).count() == 1
    assert CampaignApplication.objects.filter(campaign=campaign, status="accepted").count() == 1


def test_concurrent_moves_from_the_same_status_let_one_win():
    campaign = CampaignFactory(active=True)
    copies = [Campaign.objects.get(pk=campaign.pk) for _ in range(2)]
    results, errors = _race(
        lambda: services.campaign_pause(campaign=copies[0], reason="a"),
        lambda: services.campaign_complete(campaign=copies[1], reason="b"),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], services.InvalidTransition)
    assert CampaignStatusChange.objects.filter(campaign=campaign).count() == 1


def test_approval_racing_the_auto_approve_task_approves_once():
    work = WorkFactory(overdue=True)
    advertiser = work.deliverable.promoter_campaign.campaign.advertiser
    results, errors = _race(
        lambda: services.work_approve(work=CampaignWork.objects.get(pk=work.pk), actor=advertiser),
        lambda: services.works_auto_approve_overdue(),
    )
    assert not errors
    assert sorted(int(r) for r in results) == [0, 1]
    assert CampaignWork.objects.get(pk=work.pk).status == "approved"
