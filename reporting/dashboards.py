"""What each dashboard shows: read-only figures gathered in a fixed number of queries.

Every function here aggregates in the database (grouped sums over a bounded date range), so a
dashboard costs the same number of queries for 5 campaigns or 50, and for a thousand view rows
or a million. Each `*_part` function feeds one HTMX-refreshable part of a dashboard page. The
advertiser dashboard's grouped sums are SQL of their own (reporting/queries.py says why); the
rows the pages link to (campaigns, waiting items) are read with the ORM.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from billing.models import Transaction, TransactionKind
from campaignplatform.charts import Series, bar_chart
from campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignDeliverable,
    CampaignStatus,
    CampaignType,
    CampaignWork,
    DeliverableStatus,
    ParticipationStatus,
    PromoterCampaign,
    WorkStatus,
)
from payouts.models import StripeConnectAccount, Wallet
from payouts.services import next_payout_at
from reporting import queries
from tracking.models import SaleStatus

CHART_DAYS = 30
ACTION_ITEMS_SHOWN = 5
TOP_PROMOTERS = 5
CAMPAIGNS_SHOWN = 100

# The columns `_action_groups.html` shows of each waiting item. Whole rows of the related tables
# cost more to select and build than the queries themselves; a column left out here would cost a
# query per item (tests count them).
APPLICATION_ITEM_FIELDS = (
    "public_id",
    "current_amount",
    "created_at",
    "campaign__title",
    "promoter__email",
    "promoter__promoter_details__display_name",
)
WORK_ITEM_FIELDS = (
    "auto_approve_after",
    "deliverable__title",
    "deliverable__promoter_campaign__campaign__public_id",
    "deliverable__promoter_campaign__campaign__title",
)
# What a row of the campaigns table (reporting/templatetags/dashboard_rows.py) shows.
CAMPAIGN_ROW_FIELDS = (
    "public_id",
    "title",
    "status",
    "campaign_type",
    "has_selected_promoter",
    "paid_views",
    "max_views",
    "created_at",
)
CAMPAIGN_ITEM_FIELDS = ("public_id", "title", "status", "campaign_type", "has_selected_promoter", "updated_at")

# Campaigns needing the advertiser first, finished ones last.
STATUS_ORDER = [
    CampaignStatus.PAUSED,
    CampaignStatus.AWAITING_FUNDING,
    CampaignStatus.ACTIVE,
    CampaignStatus.DRAFT,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
]


@dataclass
class ActionGroup:
    """One kind of thing waiting for the user: how many, the first few, and where to act."""

    kind: str  # tells the template how to draw each item
    title: str
    count: int
    items: list = field(default_factory=list)
    url: str = ""


# --- Shared -------------------------------------------------------------------------------


def _days(today: datetime.date, count: int = CHART_DAYS) -> list[datetime.date]:
    return [today - datetime.timedelta(days=count - 1 - offset) for offset in range(count)]


def _day_labels(days) -> list[str]:
    return [f"{day:%b} {day.day}" for day in days]


def _month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)


def _progress(part: int, whole: int) -> int:
    return min(100, part * 100 // whole) if whole else 0


# --- Advertiser -----------------------------------------------------------------------------


def advertiser_summary_part(user, *, today=None) -> dict:
    """Money across all the advertiser's campaigns: funded, spent, refunded, left, this month."""
    today = today or timezone.localdate()
    money = queries.advertiser_money(user.pk, month_start=_month_start(today))
    # Fixed fees per sale or milestone come out of the budget too.
    remaining = money["funded"] - money["spent"] - money["fees_taken"] - money["refunded"]
    return {
        "funded": money["funded"],
        "spent": money["spent"],
        "refunded": money["refunded"],
        "remaining": remaining,
        "spent_percent": _progress(money["spent"], money["funded"]),
        "month_spent": money["month_spent"],
        "month_fees": money["month_fees"],
        "month_start": _month_start(today),
    }


@dataclass
class CampaignRow:
    campaign: Campaign
    funded: int = 0
    spent: int = 0
    fees_taken: int = 0  # fixed fees per sale or milestone taken from the budget
    refunded: int = 0
    month_spent: int = 0
    promoters: int = 0
    sales_pending: int = 0
    sales_verified: int = 0

    @property
    def remaining(self):
        return self.funded - self.spent - self.fees_taken - self.refunded

    @property
    def spent_percent(self):
        return _progress(self.spent, self.funded)

    @property
    def views_percent(self):
        return self.campaign.views_percent


def advertiser_campaigns_part(user, *, today=None) -> dict:
    """Every campaign (needing attention first) with its budget bar and this month's spend."""
    today = today or timezone.localdate()
    newest = Campaign.objects.filter(advertiser=user).order_by("-created_at")[:CAMPAIGNS_SHOWN]
    campaigns = list(newest.only(*CAMPAIGN_ROW_FIELDS))
    figures = queries.campaign_figures([campaign.pk for campaign in campaigns], month_start=_month_start(today))
    rows = [CampaignRow(campaign=campaign, **figures[campaign.pk]) for campaign in campaigns]
    ordered = sorted(rows, key=lambda row: STATUS_ORDER.index(row.campaign.status))
    return {"campaign_rows": ordered, "campaigns_capped": len(campaigns) == CAMPAIGNS_SHOWN}


def advertiser_charts_part(user, *, today=None) -> dict:
    """Daily spend, views (Visibility) and sales (Salesman) over the last 30 days."""
    today = today or timezone.localdate()
    days = _days(today)
    figures = queries.daily_figures(
        user.pk,
        first=days[0],
        last=days[-1],
        timezone=timezone.get_current_timezone_name(),
    )
    charts = [_spend_chart(figures["spent"], days)]
    if figures[f"campaign type {CampaignType.VISIBILITY}"]:
        charts.append(_views_chart(figures["paid views"], figures["view requests"], days))
    if figures[f"campaign type {CampaignType.SALESMAN}"]:
        charts.append(_sales_chart(figures, days))
    return {"charts": charts, "top_promoters": queries.top_promoters(user.pk, limit=TOP_PROMOTERS)}


def _spend_chart(spent: dict, days: list[datetime.date]):
    return bar_chart(
        title="Budget spent per day",
        labels=_day_labels(days),
        series=[Series("spent", [spent.get(day, 0) for day in days])],
        money=True,
    )


def _views_chart(paid: dict, requests: dict, days: list[datetime.date]):
    # From each campaign's daily totals (kept by the database with view_stats): at most 30
    # rows a campaign, however many promoters and how much history.
    return bar_chart(
        title="Views per day",
        labels=_day_labels(days),
        series=[
            Series("paid views", [paid.get(day, 0) for day in days]),
            Series("not counted (bots, repeats, over cap…)", [requests.get(day, 0) - paid.get(day, 0) for day in days]),
        ],
    )


def _sales_chart(figures: dict, days: list[datetime.date]):
    def per_day(*statuses):
        return [sum(figures[f"sales {status}"].get(day, 0) for status in statuses) for day in days]

    return bar_chart(
        title="Sales per day",
        labels=_day_labels(days),
        series=[
            Series("verified", per_day(SaleStatus.VERIFIED)),
            Series("pending", per_day(SaleStatus.PENDING)),
            Series("rejected or refunded", per_day(SaleStatus.REJECTED, SaleStatus.REFUNDED)),
        ],
    )


def advertiser_actions_part(user) -> dict:
    """What waits for the advertiser: applications, work, sales, campaigns paused or unfunded.

    The five groups are counted in one query; a group's first items are read only when it has
    some: one to four queries, however many campaigns."""
    counts = queries.waiting_counts(user.pk)
    applications = CampaignApplication.objects.filter(campaign__advertiser=user, status=ApplicationStatus.PENDING)
    works = CampaignWork.objects.filter(
        deliverable__promoter_campaign__campaign__advertiser=user, status=WorkStatus.SUBMITTED
    )
    stalled = Campaign.objects.filter(
        advertiser=user, status__in=[CampaignStatus.PAUSED, CampaignStatus.AWAITING_FUNDING]
    )
    groups = [
        ActionGroup(
            "application",
            "Applications to answer",
            counts["applications"],
            _first_items(
                counts["applications"],
                applications.select_related("campaign", "promoter__promoter_details")
                .only(*APPLICATION_ITEM_FIELDS)
                .order_by("created_at"),
            ),
        ),
        ActionGroup(
            "work",
            "Work to review",
            counts["works"],
            _first_items(
                counts["works"],
                works.select_related("deliverable__promoter_campaign__campaign")
                .only(*WORK_ITEM_FIELDS)
                .order_by("auto_approve_after"),
            ),
        ),
        ActionGroup("sales", "Sales to verify", counts["sales_pending"], url=reverse("tracking:sales_queue")),
        ActionGroup(
            "sales",
            "Verified sales waiting for budget (top up to pay them)",
            counts["sales_awaiting_budget"],
            url=reverse("billing:overview"),
        ),
        ActionGroup(
            "campaign",
            "Campaigns paused or waiting for funding",
            counts["stalled"],
            _first_items(counts["stalled"], stalled.only(*CAMPAIGN_ITEM_FIELDS).order_by("-updated_at")),
        ),
    ]
    return {"action_groups": groups, "actions_total": sum(group.count for group in groups)}


def _first_items(count: int, queryset) -> list:
    """The first ACTION_ITEMS_SHOWN rows of a group `count` says is not empty (an empty one costs
    no query)."""
    return list(queryset[:ACTION_ITEMS_SHOWN]) if count else []


# --- Promoter -------------------------------------------------------------------------------


def promoter_wallet_part(user) -> dict:
    """Wallet figures, progress to the payout threshold and the next payout date."""
    wallet = Wallet.objects.filter(user=user).first() or Wallet(user=user)
    return {"wallet": wallet, "next_payout_at": next_payout_at()}


def promoter_earnings_part(user, *, today=None, months: int = 0) -> dict:
    """Earnings (net of reversals) per day for 30 days, or per month, stacked by campaign type."""
    today = today or timezone.localdate()
    if months:
        buckets = _month_starts(today, months)
        labels = [f"{month:%b %Y}" for month in buckets]
        first = buckets[0]
    else:
        buckets = _days(today)
        labels = _day_labels(buckets)
        first = buckets[0]
    by_bucket_and_type = defaultdict(int)
    for day, campaign_type, amount in _earning_rows(user, since=first):
        bucket = day.replace(day=1) if months else day
        by_bucket_and_type[(bucket, campaign_type)] += amount
    series = [
        Series(label, [max(0, by_bucket_and_type[(bucket, value)]) for bucket in buckets])
        for value, label in CampaignType.choices
    ]
    chart = bar_chart(
        title="Earnings per month" if months else "Earnings per day",
        labels=labels,
        series=series,
        money=True,
        slot=40 if months else 20,
    )
    return {"earnings_chart": chart, "earnings_months": months, "campaign_earnings": _campaign_earnings(user)}


def _month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    months = [today.replace(day=1)]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def _earning_rows(user, *, since: datetime.date):
    """(day, campaign type, cents) of earnings posted to `user`, minus reversals, since `since`."""
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=datetime.UTC)
    yield from _daily_postings(user, TransactionKind.SPEND, to_user=True, start=start)
    for day, campaign_type, amount in _daily_postings(user, TransactionKind.SPEND_REVERSAL, to_user=False, start=start):
        yield day, campaign_type, -amount


def _daily_postings(user, kind: str, *, to_user: bool, start: datetime.datetime):
    """(day, campaign type, cents) of the `kind` postings into (or out of) the user's accounts,
    the type read from the campaign account on the other side."""
    own, campaign_side = ("destination", "source") if to_user else ("source", "destination")
    return (
        Transaction.objects.filter(kind=kind, created_at__gte=start, **{f"{own}__user": user})
        .annotate(day=TruncDate("created_at"))
        .values_list("day", f"{campaign_side}__campaign__campaign_type")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def _campaign_earnings(user) -> list[PromoterCampaign]:
    return list(
        PromoterCampaign.objects.filter(promoter=user)
        .exclude(status=ParticipationStatus.CANCELLED, spent_budget=0)
        .select_related("campaign")
        .annotate(
            sales_verified=Count("sales", filter=Q(sales__status=SaleStatus.VERIFIED)),
            sales_pending=Count("sales", filter=Q(sales__status=SaleStatus.PENDING)),
        )
        .order_by("-spent_budget", "-joined_at")[:CAMPAIGNS_SHOWN]
    )


def promoter_actions_part(user) -> dict:
    """What waits for the promoter: counter-offers, revisions, milestones to deliver, onboarding."""
    counters = CampaignApplication.objects.filter(promoter=user, status=ApplicationStatus.COUNTERED)
    revisions = CampaignDeliverable.objects.filter(
        promoter_campaign__promoter=user, status=DeliverableStatus.REVISION_REQUESTED
    )
    to_deliver = CampaignDeliverable.objects.filter(
        promoter_campaign__promoter=user,
        status=DeliverableStatus.OPEN,
        promoter_campaign__status=ParticipationStatus.ACTIVE,
    )
    account = StripeConnectAccount.objects.filter(user=user).first()
    counts = [counters.count(), revisions.count(), to_deliver.count()]
    groups = [
        ActionGroup(
            "counter",
            "Counter-offers to answer",
            counts[0],
            _first_items(counts[0], counters.select_related("campaign").order_by("updated_at")),
        ),
        ActionGroup(
            "deliverable",
            "Revisions requested",
            counts[1],
            _first_items(counts[1], revisions.select_related("promoter_campaign__campaign").order_by("due_date")),
        ),
        ActionGroup(
            "deliverable",
            "Milestones to deliver",
            counts[2],
            _first_items(counts[2], to_deliver.select_related("promoter_campaign__campaign").order_by("due_date")),
        ),
    ]
    if account is None or not account.can_receive_money:
        missing = account.missing_items() if account else []
        groups.insert(
            0,
            ActionGroup(
                "onboarding",
                "Finish setting up payouts" if account else "Set up payouts to receive your money",
                1,
                missing,
                url=reverse("payouts:get_paid"),
            ),
        )
    return {"action_groups": groups, "actions_total": sum(group.count for group in groups)}
