"""Tracking keeps promoters' sales and views figures current in accounts."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from tests.support.tracking import join, salesman_campaign, visibility_campaign
from tracking import performance, services
from tracking.models import SaleSource, ViewStat

pytestmark = pytest.mark.django_db


def _record(campaign, participation, order_id):
    sale, _created = services.sale_record(
        campaign=campaign,
        order_id=order_id,
        amount_cents=10_000,
        currency="usd",
        ref_code=participation.tracking_code,
        source=SaleSource.MANUAL,
    )
    return sale


def _sales_figures(user):
    return User.objects.values_list("sales_verified", "sales_rejected").get(pk=user.pk)


def test_verifying_and_rejecting_sales_count_once_each():
    campaign = salesman_campaign(budget_cents=10_000)
    participation = join(campaign)
    advertiser = campaign.advertiser
    verified, rejected = _record(campaign, participation, "o-1"), _record(campaign, participation, "o-2")

    services.sale_verify(sale=verified, actor=advertiser)
    services.sale_verify(sale=verified, actor=advertiser)  # a double click
    services.sale_reject(sale=rejected, actor=advertiser, code="order_cancelled", note="Returned the same day")

    assert _sales_figures(participation.promoter) == (1, 1)


def test_a_sale_paid_after_a_top_up_counts_as_verified_once():
    campaign = salesman_campaign(budget_cents=100)  # $1: a $12.50 commission waits for budget
    participation = join(campaign)
    sale = _record(campaign, participation, "o-1")
    services.sale_verify(sale=sale, actor=campaign.advertiser)
    assert _sales_figures(participation.promoter) == (0, 0)

    from tests.support.funding import fund_without_stripe as fund

    fund(campaign, 10_000)
    services.sales_pay_awaiting(campaign=campaign)

    assert _sales_figures(participation.promoter) == (1, 0)


def test_views_refresh_sets_each_promoters_requests_and_real_views_from_view_stats():
    campaign = visibility_campaign()
    first, second = join(campaign), join(campaign)
    today = timezone.localdate()
    for day, requests, unique in ((today, 10, 8), (today - datetime.timedelta(days=1), 5, 1)):
        ViewStat.objects.create(participation=first, campaign=campaign, day=day, requests=requests, unique_views=unique)

    performance.promoters_views_refresh()
    performance.promoters_views_refresh()  # totals, not increments: a rerun changes nothing

    assert User.objects.values_list("link_requests", "link_real_views").get(pk=first.promoter_id) == (15, 9)
    assert User.objects.values_list("link_requests", "link_real_views").get(pk=second.promoter_id) == (0, 0)


def test_backfill_sets_the_figures_from_history():
    from pathlib import Path

    import accounts

    campaign = salesman_campaign(budget_cents=10_000)
    participation = join(campaign)
    services.sale_verify(sale=_record(campaign, participation, "o-1"), actor=campaign.advertiser)
    User.objects.filter(pk=participation.promoter_id).update(sales_verified=0, campaigns_completed=7)

    sql = (Path(accounts.__file__).parent / "sql" / "performance_backfill_v1.sql").read_text()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.execute(sql)

    assert User.objects.values_list("sales_verified", "campaigns_completed").get(pk=participation.promoter_id) == (1, 0)
