"""Budget forecasts: the arithmetic on small numbers, and the figures kept in advertiser_spends."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing import forecasts, services
from billing.models import AdvertiserSpend
from campaigns.tests.factories import CampaignFactory
from tests.support.funding import fund_with_card as fund

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 4)


def test_budget_runs_out_at_the_pace_and_the_top_up_lasts_to_the_end_date():
    forecast = forecasts.forecast_compute(
        spent_last_days=7_000, budget_left=3_500, today=TODAY, end_date=TODAY + datetime.timedelta(days=10)
    )
    # $10.00 a day: $35.00 lasts 3 days more; 10 days after today need $100.00, so $65.00 more.
    assert forecast == forecasts.Forecast(
        pace_cents=1_000, budget_left_cents=3_500, runs_out_on=datetime.date(2026, 12, 7), topup_cents=6_500
    )


def test_pace_is_floored_and_a_budget_that_outlasts_the_end_date_needs_nothing():
    forecast = forecasts.forecast_compute(
        spent_last_days=699, budget_left=10_000, today=TODAY, end_date=TODAY + datetime.timedelta(days=5)
    )
    assert (forecast.pace_cents, forecast.runs_out_on, forecast.topup_cents) == (99, None, 0)


def test_no_spend_means_no_pace_and_no_date():
    forecast = forecasts.forecast_compute(spent_last_days=0, budget_left=5_000, today=TODAY, end_date=TODAY)
    assert (forecast.pace_cents, forecast.runs_out_on, forecast.topup_cents) == (0, None, 0)


@pytest.fixture
def funded_salesman(card_for):
    campaign = CampaignFactory(
        salesman=True, awaiting_funding=True, end_date=timezone.localdate() + datetime.timedelta(days=20)
    )
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=10_000)
    return campaign


def test_each_spend_keeps_the_forecast_on_todays_spend_row_and_pages_show_it(client, funded_salesman, promoter):
    today = timezone.localdate()
    AdvertiserSpend.objects.create(
        advertiser=funded_salesman.advertiser,
        campaign=funded_salesman,
        date=today - datetime.timedelta(days=3),
        amount_spent=2_100,
    )  # history from earlier days (the ledger is not read for the pace)
    with transaction.atomic():
        services.campaign_budget_spend(
            campaign=funded_salesman,
            promoter=promoter,
            amount_cents=1_400,
            idempotency_key="s-1",
            destination="pending",
        )

    row = AdvertiserSpend.objects.get(campaign=funded_salesman, date=today)
    # $35.00 in 7 days = $5.00 a day; $86.00 left lasts 17 days; 20 days need $100.00: $14.00 more.
    assert (row.amount_spent, row.forecast_pace_cents, row.forecast_budget_left_cents) == (1_400, 500, 8_600)
    assert row.forecast_runs_out_on == today + datetime.timedelta(days=17)
    assert row.forecast_topup_cents == 1_400

    client.force_login(funded_salesman.advertiser)
    page = client.get(reverse("campaigns:advertiser_detail", args=[funded_salesman.public_id])).content.decode()
    assert "$5.00 a day" in page and "A top-up of <strong>$14.00</strong>" in page
    dashboard = client.get(reverse("reporting:advertiser_dashboard")).content.decode()
    # The title is on the dashboard anyway (campaign list): read the forecasts section alone.
    section = dashboard.split('data-testid="dashboard-forecasts"', 1)[1].split("</section>", 1)[0]
    (row,) = [row for row in section.split("<tr>") if funded_salesman.title in row]
    assert all(figure in row for figure in ("$5.00", "$86.00", "$14.00")), row


def test_daily_refresh_moves_the_window_on_the_latest_row_and_creates_no_rows(funded_salesman):
    CampaignFactory(salesman=True)  # a draft: no forecast
    today = timezone.localdate()
    row = AdvertiserSpend.objects.create(
        advertiser=funded_salesman.advertiser,
        campaign=funded_salesman,
        date=today - datetime.timedelta(days=6),
        amount_spent=700,
    )

    assert forecasts.forecasts_refresh_all() == 1
    assert forecasts.forecasts_refresh_all(today=today + datetime.timedelta(days=1)) == 1

    row.refresh_from_db()
    assert AdvertiserSpend.objects.count() == 1  # statements count spend rows as days of spend
    assert (row.forecast_pace_cents, row.forecast_budget_left_cents) == (0, 10_000)  # the $7 left the window
