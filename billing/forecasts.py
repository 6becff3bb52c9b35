"""Budget forecasts: when a campaign's budget (or a Visibility campaign's view cap, which its budget
pays for exactly) runs out at the last 7 days' pace, and the top-up that lasts to the end date.

Pace is the spend of the last `PACE_DAYS` days (today included) from `advertiser_spends`, divided
by `PACE_DAYS` (floor, cents). The budget runs out `budget_left // pace` days from today; the
top-up is `pace x days after today up to the end date - budget_left`, when positive. Integer
cents only. Only this module writes the forecast columns of `advertiser_spends`: on the campaign's
latest row (today's after a spend), after each spend (services) and daily for every running
campaign (tasks), whose window moves even on days without spend.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.models import AdvertiserSpend
from campaigns.models import CampaignStatus, CampaignType

PACE_DAYS = 7
FORECAST_TYPES = (CampaignType.VISIBILITY, CampaignType.SALESMAN)
RUNNING = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
FORECAST_FIELDS = (
    "campaign_id",
    "date",
    "forecast_computed_at",
    "forecast_pace_cents",
    "forecast_budget_left_cents",
    "forecast_runs_out_on",
    "forecast_topup_cents",
)


@dataclass(frozen=True)
class Forecast:
    pace_cents: int
    budget_left_cents: int
    runs_out_on: date | None
    topup_cents: int


def forecast_compute(*, spent_last_days: int, budget_left: int, today: date, end_date: date) -> Forecast:
    """The arithmetic alone (no database), so it can be checked on small numbers."""
    pace = spent_last_days // PACE_DAYS
    if pace <= 0:
        return Forecast(pace_cents=0, budget_left_cents=budget_left, runs_out_on=None, topup_cents=0)
    runs_out_on = today + timedelta(days=budget_left // pace)
    days_after_today = max(0, (end_date - today).days)
    topup = max(0, pace * days_after_today - budget_left)
    if runs_out_on > end_date:
        runs_out_on = None  # lasts past the end date at this pace
    return Forecast(pace_cents=pace, budget_left_cents=budget_left, runs_out_on=runs_out_on, topup_cents=topup)


def _spent_last_days(campaign, today: date) -> int:
    window = AdvertiserSpend.objects.filter(campaign=campaign, date__gt=today - timedelta(days=PACE_DAYS))
    return window.filter(date__lte=today).aggregate(total=Sum("amount_spent"))["total"] or 0


def campaign_forecast_refresh(*, campaign, today: date | None = None) -> Forecast | None:
    """Work out the campaign's forecast and keep it on its latest `advertiser_spends` row."""
    if campaign.campaign_type not in FORECAST_TYPES or campaign.status not in RUNNING:
        return None
    # Imported here: the budget service imports this module to refresh forecasts as it spends.
    from billing.services.budget import campaign_budget_remaining

    today = today or timezone.localdate()
    forecast = forecast_compute(
        spent_last_days=_spent_last_days(campaign, today),
        budget_left=campaign_budget_remaining(campaign),
        today=today,
        end_date=campaign.end_date,
    )
    _forecast_store(campaign, forecast)
    return forecast


def _forecast_store(campaign, forecast: Forecast) -> None:
    """Keep the forecast on the campaign's latest spend row (today's, right after a spend). No row
    is created for it: spend rows are counted as days of spend by statements, and a campaign that
    never spent has no pace to forecast from."""
    latest = AdvertiserSpend.objects.filter(campaign_id=campaign.pk).order_by("-date").values_list("pk", flat=True)
    AdvertiserSpend.objects.filter(pk__in=latest[:1]).update(
        forecast_computed_at=timezone.now(),
        forecast_pace_cents=forecast.pace_cents,
        forecast_budget_left_cents=forecast.budget_left_cents,
        forecast_runs_out_on=forecast.runs_out_on,
        forecast_topup_cents=forecast.topup_cents,
    )


def forecasts_refresh_all(*, today: date | None = None) -> int:
    """Daily: the pace window moves even on days without spend."""
    from campaigns.models import Campaign

    count = 0
    for campaign in Campaign.objects.filter(campaign_type__in=FORECAST_TYPES, status__in=RUNNING).iterator():
        with transaction.atomic():
            count += campaign_forecast_refresh(campaign=campaign, today=today) is not None
    return count


def forecast_latest(campaign) -> AdvertiserSpend | None:
    """The most recent stored forecast of the campaign (a row of advertiser_spends)."""
    return (
        AdvertiserSpend.objects.filter(campaign=campaign, forecast_computed_at__isnull=False).order_by("-date").first()
    )


def forecasts_for_advertiser(advertiser, *, limit: int = 10) -> list[AdvertiserSpend]:
    """Each running campaign's latest forecast, soonest to run out first (one query).

    Only the columns the dashboard's table shows are read: the rows come with their campaigns, and
    loading both whole cost more than the query itself."""
    rows = (
        AdvertiserSpend.objects.filter(
            advertiser=advertiser,
            forecast_computed_at__isnull=False,
            campaign__status__in=RUNNING,
        )
        .select_related("campaign")
        .only(*FORECAST_FIELDS, "campaign__public_id", "campaign__title", "campaign__end_date")
        .order_by("campaign_id", "-date")
        .distinct("campaign_id")
    )
    latest = [row for row in rows if row.forecast_pace_cents]
    latest.sort(key=lambda row: (row.forecast_runs_out_on is None, row.forecast_runs_out_on or date.max))
    return latest[:limit]
