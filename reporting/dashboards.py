"""What each dashboard shows: read-only figures gathered in a fixed number of queries.

Every function here aggregates in the database (grouped sums over a bounded date range), so a
dashboard costs the same number of queries for 5 campaigns or 50, and for a thousand view rows
or a million. Each `*_part` function feeds one HTMX-refreshable part of a dashboard page.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from billing.models import AdvertiserSpend, CampaignBudgetAllocation, Transaction, TransactionKind
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
from tracking.models import CampaignViewDay, SaleRecord, SaleStatus

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
    totals = CampaignBudgetAllocation.objects.filter(campaign__advertiser=user).aggregate(
        funded=Sum("allocated_amount", default=0),
        spent=Sum("spent_amount", default=0),
        fees_taken=Sum("fee_taken_amount", default=0),
        refunded=Sum("refunded_amount", default=0),
    )
    month = AdvertiserSpend.objects.filter(advertiser=user, date__gte=_month_start(today)).aggregate(
        spent=Sum("amount_spent", default=0), fees=Sum("fee_amount", default=0)
    )
    # Fixed fees per sale or milestone come out of the budget too.
    remaining = totals["funded"] - totals["spent"] - totals["fees_taken"] - totals["refunded"]
    return {
        "funded": totals["funded"],
        "spent": totals["spent"],
        "refunded": totals["refunded"],
        "remaining": remaining,
        "spent_percent": _progress(totals["spent"], totals["funded"]),
        "month_spent": month["spent"],
        "month_fees": month["fees"],
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
    rows = {campaign.pk: CampaignRow(campaign=campaign) for campaign in campaigns}
    # A subquery rather than the list of ids: each id of a list is a parameter Django resolves
    # one by one, in each of the four queries below.
    ids = newest.values("pk")
    for values in (
        CampaignBudgetAllocation.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(
            funded=Sum("allocated_amount"),
            spent=Sum("spent_amount"),
            fees_taken=Sum("fee_taken_amount"),
            refunded=Sum("refunded_amount"),
        )
        .order_by()
    ):
        row = rows[values["campaign_id"]]
        row.funded, row.spent, row.refunded = values["funded"], values["spent"], values["refunded"]
        row.fees_taken = values["fees_taken"]
    for campaign_id, month_spent in (
        AdvertiserSpend.objects.filter(campaign_id__in=ids, date__gte=_month_start(today))
        .values_list("campaign_id")
        .annotate(total=Sum("amount_spent"))
        .order_by()
    ):
        rows[campaign_id].month_spent = month_spent
    for campaign_id, promoters in (
        PromoterCampaign.objects.filter(campaign_id__in=ids)
        .exclude(status=ParticipationStatus.CANCELLED)
        .values_list("campaign_id")
        .annotate(count=Count("id"))
        .order_by()
    ):
        rows[campaign_id].promoters = promoters
    for values in (
        SaleRecord.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(
            pending=Count("id", filter=Q(status=SaleStatus.PENDING)),
            verified=Count("id", filter=Q(status=SaleStatus.VERIFIED)),
        )
        .order_by()
    ):
        rows[values["campaign_id"]].sales_pending = values["pending"]
        rows[values["campaign_id"]].sales_verified = values["verified"]
    ordered = sorted(rows.values(), key=lambda row: STATUS_ORDER.index(row.campaign.status))
    return {"campaign_rows": ordered, "campaigns_capped": len(campaigns) == CAMPAIGNS_SHOWN}


def advertiser_charts_part(user, *, today=None) -> dict:
    """Daily spend, views (Visibility) and sales (Salesman) over the last 30 days."""
    today = today or timezone.localdate()
    days = _days(today)
    ids_by_type = _campaign_ids_by_type(user)
    charts = [_spend_chart(user, days)]
    if ids_by_type[CampaignType.VISIBILITY]:
        charts.append(_views_chart(ids_by_type[CampaignType.VISIBILITY], days))
    if ids_by_type[CampaignType.SALESMAN]:
        charts.append(_sales_chart(ids_by_type[CampaignType.SALESMAN], days))
    return {"charts": charts, "top_promoters": _top_promoters(user)}


def _campaign_ids_by_type(user) -> dict[str, list[int]]:
    ids_by_type = defaultdict(list)
    for campaign_id, campaign_type in Campaign.objects.filter(advertiser=user).values_list("id", "campaign_type"):
        ids_by_type[campaign_type].append(campaign_id)
    return ids_by_type


def _spend_chart(user, days: list[datetime.date]):
    spend_by_day = dict(
        AdvertiserSpend.objects.filter(advertiser=user, date__gte=days[0], date__lte=days[-1])
        .values_list("date")
        .annotate(total=Sum("amount_spent"))
        .order_by()
    )
    return bar_chart(
        title="Budget spent per day",
        labels=_day_labels(days),
        series=[Series("spent", [spend_by_day.get(day, 0) for day in days])],
        money=True,
    )


def _views_chart(campaign_ids: list[int], days: list[datetime.date]):
    # From each campaign's daily totals (kept by the database with view_stats): at most 30
    # rows a campaign, however many promoters and how much history. By campaign id list, not
    # a join: the (campaign, day) key then narrows the rows.
    views = {
        row["day"]: row
        for row in CampaignViewDay.objects.filter(campaign_id__in=campaign_ids, day__gte=days[0], day__lte=days[-1])
        .values("day")
        .annotate(requests=Sum("requests"), paid=Sum("paid_views"))
        .order_by()
    }
    paid = [views[day]["paid"] if day in views else 0 for day in days]
    not_counted = [views[day]["requests"] - views[day]["paid"] if day in views else 0 for day in days]
    return bar_chart(
        title="Views per day",
        labels=_day_labels(days),
        series=[Series("paid views", paid), Series("not counted (bots, repeats, over cap…)", not_counted)],
    )


def _sales_chart(campaign_ids: list[int], days: list[datetime.date]):
    sales = defaultdict(lambda: defaultdict(int))
    since = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=datetime.UTC)
    for row in (
        SaleRecord.objects.filter(campaign_id__in=campaign_ids, occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "status")
        .annotate(count=Count("id"))
        .order_by()
    ):
        sales[row["day"]][row["status"]] += row["count"]
    return bar_chart(
        title="Sales per day",
        labels=_day_labels(days),
        series=[
            Series("verified", [sales[day][SaleStatus.VERIFIED] for day in days]),
            Series("pending", [sales[day][SaleStatus.PENDING] for day in days]),
            Series(
                "rejected or refunded",
                [sales[day][SaleStatus.REJECTED] + sales[day][SaleStatus.REFUNDED] for day in days],
            ),
        ],
    )


def _top_promoters(user) -> list[dict]:
    """The promoters who earned most across the advertiser's campaigns, with views and sales."""
    top = list(
        PromoterCampaign.objects.filter(campaign__advertiser=user)
        .values("promoter_id", "promoter__promoter_details__display_name")
        .annotate(earned=Sum("spent_budget"), views=Sum("views_generated"), campaigns=Count("id"))
        .filter(Q(earned__gt=0) | Q(views__gt=0))
        .order_by("-earned", "-views")[:TOP_PROMOTERS]
    )
    # Counted apart: joining sales above would repeat each participation's sums once per sale.
    sales = dict(
        SaleRecord.objects.filter(
            campaign__advertiser=user,
            status=SaleStatus.VERIFIED,
            participation__promoter_id__in=[r["promoter_id"] for r in top],
        )
        .values_list("participation__promoter_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in top:
        row["sales"] = sales.get(row["promoter_id"], 0)
    return top


def advertiser_actions_part(user) -> dict:
    """What waits for the advertiser: applications, work, sales, campaigns paused or unfunded.

    Each group is counted, and its first items read only when it has some; both sale counts come
    from one query: four to seven queries for five groups, however many campaigns."""
    applications = CampaignApplication.objects.filter(campaign__advertiser=user, status=ApplicationStatus.PENDING)
    works = CampaignWork.objects.filter(
        deliverable__promoter_campaign__campaign__advertiser=user, status=WorkStatus.SUBMITTED
    )
    stalled = Campaign.objects.filter(
        advertiser=user, status__in=[CampaignStatus.PAUSED, CampaignStatus.AWAITING_FUNDING]
    )
    sales = SaleRecord.objects.filter(
        campaign__advertiser=user, status__in=[SaleStatus.PENDING, SaleStatus.AWAITING_BUDGET]
    ).aggregate(
        pending=Count("id", filter=Q(status=SaleStatus.PENDING)),
        awaiting_budget=Count("id", filter=Q(status=SaleStatus.AWAITING_BUDGET)),
    )
    groups = [
        ActionGroup(
            "application",
            "Applications to answer",
            *_first_and_count(
                applications.select_related("campaign", "promoter__promoter_details")
                .only(*APPLICATION_ITEM_FIELDS)
                .order_by("created_at")
            ),
        ),
        ActionGroup(
            "work",
            "Work to review",
            *_first_and_count(
                works.select_related("deliverable__promoter_campaign__campaign")
                .only(*WORK_ITEM_FIELDS)
                .order_by("auto_approve_after")
            ),
        ),
        ActionGroup("sales", "Sales to verify", sales["pending"], url=reverse("tracking:sales_queue")),
        ActionGroup(
            "sales",
            "Verified sales waiting for budget (top up to pay them)",
            sales["awaiting_budget"],
            url=reverse("billing:overview"),
        ),
        ActionGroup(
            "campaign",
            "Campaigns paused or waiting for funding",
            *_first_and_count(stalled.only(*CAMPAIGN_ITEM_FIELDS).order_by("-updated_at")),
        ),
    ]
    return {"action_groups": groups, "actions_total": sum(group.count for group in groups)}


def _first_and_count(queryset) -> tuple[int, list]:
    """How many rows `queryset` has and, when it has any, its first ACTION_ITEMS_SHOWN.

    Counted first: most groups are empty most of the time, and a bare count is the cheapest query
    to build; a window count over the items' joins cost as much to compile as the two queries."""
    count = queryset.order_by().count()
    return count, list(queryset[:ACTION_ITEMS_SHOWN]) if count else []


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
    groups = [
        ActionGroup(
            "counter",
            "Counter-offers to answer",
            counters.count(),
            list(counters.select_related("campaign").order_by("updated_at")[:ACTION_ITEMS_SHOWN]),
        ),
        ActionGroup(
            "deliverable",
            "Revisions requested",
            revisions.count(),
            list(revisions.select_related("promoter_campaign__campaign").order_by("due_date")[:ACTION_ITEMS_SHOWN]),
        ),
        ActionGroup(
            "deliverable",
            "Milestones to deliver",
            to_deliver.count(),
            list(to_deliver.select_related("promoter_campaign__campaign").order_by("due_date")[:ACTION_ITEMS_SHOWN]),
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
