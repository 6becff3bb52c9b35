"""The view cap (never exceeded, under any concurrency) and the hourly accrual of view earnings."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from billing import ledger
from billing.models import Transaction
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus, PromoterCampaign
from tests.support.books import assert_books_clean
from tests.support.tracking import (
    BROWSER_UA,
    assert_capped_exactly,
    join,
    participation_near_cap,
    visibility_campaign,
    visit,
)
from tracking import services
from tracking.models import ViewAccrual, ViewStat

pytestmark = pytest.mark.django_db


def _views(participation, count, *, start=0):
    """`count` distinct visitors through the service (fast; the HTTP path is tested elsewhere)."""
    link = services.link_lookup(participation.tracking_code)
    results = [
        services.view_track(
            link=link,
            ip=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
            user_agent=BROWSER_UA,
            user_id=None,
            prefetch=False,
        )
        for n in range(start, start + count)
    ]
    return results


def test_views_beyond_the_cap_redirect_but_are_not_paid(client, settings):
    participation = join(visibility_campaign(cpv=300, max_views=3))

    for n in range(5):
        assert visit(client, participation, ip=f"203.0.113.{n}").status_code == 302

    campaign = Campaign.objects.get(pk=participation.campaign_id)
    assert campaign.paid_views == 3
    row = ViewStat.objects.get(participation=participation)
    # (The completion runs after commit, which this test's transaction never reaches.)
    assert (row.paid_views, row.unique_views, row.rejected_cap) == (3, 5, 2)
    assert PromoterCampaign.objects.get(pk=participation.pk).views_generated == 3


def test_reaching_the_cap_accrues_completes_and_tells_the_advertiser(client, django_capture_on_commit_callbacks):
    campaign = visibility_campaign(cpv=300, max_views=4)
    first, second = join(campaign), join(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        _views(first, 3)
        _views(second, 1, start=100)
    _views(second, 1, start=200)  # after completion: inactive

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    changes = campaign.status_changes.first()
    assert changes.reason == "view cap reached" and changes.actor is None
    told = campaign.advertiser.notifications.filter(event_key=f"campaign:{campaign.pk}:completed")
    assert told.count() == 1
    assert any(m.to == [campaign.advertiser.email] and m.subject == told.get().title for m in mail.outbox)
    # Earnings were posted before the campaign closed: 3 and 1 views at $3 per 100 views.
    assert ViewAccrual.objects.get(participation=first).accrued_cents == 9
    assert ViewAccrual.objects.get(participation=second).accrued_cents == 3
    assert ledger.promoter_pending(first.promoter).balance == 9
    assert ViewStat.objects.get(participation=second).rejected_inactive == 1
    assert_books_clean()


def test_the_redirect_writes_no_ledger_rows(client):
    participation = join(visibility_campaign())
    before = Transaction.objects.count()

    visit(client, participation)

    assert Transaction.objects.count() == before


@pytest.mark.parametrize(("views", "expected_cents"), [(3, 7), (7, 17), (1001, 2502)])
def test_accrual_rounds_down_on_the_cumulative_count_only(views, expected_cents):
    """250 cents per 100 views: 3 views = 7.5 -> 7, 7 = 17.5 -> 17, 1,001 = 2502.5 -> 2502."""
    participation = join(visibility_campaign(cpv=250, max_views=5000))

    # Accrue after every view: per-step flooring would lose cents, the cumulative figure does not.
    link = services.link_lookup(participation.tracking_code)
    for n in range(views):
        services.view_track(
            link=link, ip=f"10.0.{n >> 8}.{n & 255}", user_agent=BROWSER_UA, user_id=None, prefetch=False
        )
        if n < 12 or n % 97 == 0:
            services.views_accrue()
    services.views_accrue()

    accrual = ViewAccrual.objects.get(participation=participation)
    assert (accrual.accrued_views, accrual.accrued_cents) == (views, expected_cents)
    assert ledger.promoter_pending(participation.promoter).balance == expected_cents
    assert_books_clean()


def test_accrual_is_idempotent_and_posts_only_the_difference():
    participation = join(visibility_campaign(cpv=300, max_views=100))
    _views(participation, 10)

    assert services.views_accrue() == 30
    assert services.views_accrue() == 0
    _views(participation, 5, start=10)
    assert services.views_accrue() == 15

    keys = list(
        Transaction.objects.filter(idempotency_key__startswith=f"spend:view-accrual-{participation.pk}-").values_list(
            "idempotency_key", flat=True
        )
    )
    assert sorted(keys) == [f"spend:view-accrual-{participation.pk}-30", f"spend:view-accrual-{participation.pk}-45"]
    assert_books_clean()


def test_audit_notices_an_accrual_figure_that_disagrees_with_the_ledger():
    from billing.audit import ledger_audit

    participation = join(visibility_campaign())
    _views(participation, 10)
    services.views_accrue()
    ViewAccrual.objects.filter(participation=participation).update(accrued_cents=31)

    report = ledger_audit()

    assert any("view accrual 31 cents != ledger 30" in line for line in report.differences)


def test_sweep_completes_a_capped_campaign_whose_callback_was_lost():
    campaign = visibility_campaign(cpv=300, max_views=5)
    participation = join(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(paid_views=5)  # as if the process died after commit
    ViewStat.objects.create(
        participation=participation, campaign=campaign, day="2026-01-01", requests=5, unique_views=5, paid_views=5
    )

    services.views_accrue_hourly()

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert ViewAccrual.objects.get(participation=participation).accrued_cents == 15
    assert_books_clean()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("after_response", [False, True], ids=["counted-before-answering", "counted-after"])
def test_64_concurrent_visitors_race_for_the_last_10_paid_views(settings, after_response):
    """Counted before answering, 64 requests race on 64 connections; counted after, they share
    this process's writer (test_view_batching.py races four writers)."""
    settings.TRACKING_COUNT_AFTER_RESPONSE = after_response
    campaign, participation = participation_near_cap(room=10)
    code = participation.tracking_code
    barrier = threading.Barrier(64)
    statuses = []

    def visitor(n):
        try:
            client = Client()
            barrier.wait()
            response = client.get(f"/v/{code}", HTTP_USER_AGENT=BROWSER_UA, REMOTE_ADDR=f"198.51.100.{n}")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert services.views_flush() is True

    assert statuses == [302] * 64
    assert_capped_exactly(campaign, participation, requests=64, paid=10)


def test_ending_a_campaign_pays_counted_views_before_refunding_the_rest():
    """Views counted since the last hourly accrual are the promoter's, not the advertiser's refund."""
    from billing.models import AdvertiserCharge

    campaign = visibility_campaign(cpv=300, max_views=2000)  # $60 budget, $6 fee
    participation = join(campaign)
    _views(participation, 250)  # counted; the hourly accrual has not run

    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    assert ledger.promoter_pending(participation.promoter).balance == 750  # 250 views at $3 per 100
    refund = AdvertiserCharge.objects.get(campaign=campaign, kind="refund")
    assert refund.amount == (6000 - 750) + (600 - 75)  # unused budget and its unused fee
    assert ledger.campaign_budget(campaign).balance == 0
    assert_books_clean()
