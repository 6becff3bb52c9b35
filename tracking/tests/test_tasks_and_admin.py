"""Schedules, tasks and the admin."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from campaignplatform.schedules import SCHEDULES
from tests.support.books import assert_books_clean
from tests.support.tracking import join, salesman_campaign, visibility_campaign, visit
from tracking import services, tasks
from tracking.models import RateLimitWindow, SaleRecord, SaleStatus

pytestmark = pytest.mark.django_db


def test_tracking_jobs_are_scheduled():
    names = {schedule["name"]: schedule["func"] for schedule in SCHEDULES}

    assert names["tracking.accrue_view_earnings"] == "tracking.tasks.accrue_view_earnings"
    assert names["tracking.auto_verify_sales"] == "tracking.tasks.auto_verify_sales"
    assert names["tracking.prune_rate_limits"] == "tracking.tasks.prune_rate_limits"


def test_tasks_run_the_services():
    participation = join(visibility_campaign(cpv=300, max_views=100))
    visit(Client(), participation)
    campaign = salesman_campaign()
    sale = services.sale_record(
        campaign=campaign, order_id="t", amount_cents=1000, currency="usd", ref_code=join(campaign).tracking_code
    )[0]
    SaleRecord.objects.filter(pk=sale.pk).update(created_at=timezone.now() - timezone.timedelta(days=40))
    RateLimitWindow.objects.create(ip_key="old", minute=1, count=3)

    assert tasks.accrue_view_earnings() == 3
    assert tasks.auto_verify_sales() == 1
    assert tasks.prune_rate_limits() >= 1
    assert tasks.pay_awaiting_sales(campaign.pk) == 0
    assert SaleRecord.objects.get(pk=sale.pk).status == SaleStatus.VERIFIED
    assert_books_clean()


def test_admin_pages_open_for_staff():
    participation = join(visibility_campaign())
    visit(Client(), participation)
    campaign = salesman_campaign()
    services.sale_record(
        campaign=campaign, order_id="a", amount_cents=1000, currency="usd", ref_code=join(campaign).tracking_code
    )
    services.api_key_create(advertiser=campaign.advertiser, name="k")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    for model in ("viewstat", "viewaccrual", "couponcode", "apikey", "salerecord", "commissiondeduction"):
        assert client.get(f"/admin/tracking/{model}/").status_code == 200, model
    sale = SaleRecord.objects.get()
    assert client.get(f"/admin/tracking/salerecord/{sale.pk}/change/").status_code == 200

    response = client.post(
        "/admin/tracking/salerecord/",
        {"action": "verify", "_selected_action": [sale.pk], "reason": "order shipped"},
        follow=True,
    )
    assert response.status_code == 200
    assert SaleRecord.objects.get().status == SaleStatus.VERIFIED
    assert_books_clean()
