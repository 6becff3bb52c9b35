"""The advertiser dashboard's grouped figures, each in one SQL query.

These are the sums and counts the dashboard runs on every view and every refresh of a part.
Written as ORM `values().annotate()` chains, each cost Django 1 to 4 ms of Python to build and
compile, more than the database spent answering it: on the benchmark (bench/dashboards.py,
50 campaigns), they were most of the page's time. The same SQL costs about a tenth of that.
So they are written here once, against the tables' names, and read through the connection the
replica router picks for reports (a replica when there is one, as for the ORM's reads).

The SQL names other apps' tables and columns (billing's allocations and spends, tracking's sales,
campaigns' rows), which import-linter cannot see: every figure is covered by
reporting/tests/test_dashboards.py, which compares the dashboard with what the services wrote, so
a renamed column fails there.
"""

import datetime
from collections import defaultdict

from django.db import connections, router

from campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    CampaignType,
    ParticipationStatus,
    WorkStatus,
)
from tracking.models import SaleStatus


def _rows(sql: str, params: dict) -> list[dict]:
    with connections[router.db_for_read(Campaign)].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


ADVERTISER_MONEY_SQL = """
SELECT a.funded, a.spent, a.fees_taken, a.refunded, m.month_spent, m.month_fees
FROM (
    SELECT COALESCE(SUM(allocated_amount), 0)::bigint AS funded,
           COALESCE(SUM(spent_amount), 0)::bigint AS spent,
           COALESCE(SUM(fee_taken_amount), 0)::bigint AS fees_taken,
           COALESCE(SUM(refunded_amount), 0)::bigint AS refunded
    FROM campaign_budget_allocations
    WHERE campaign_id IN (SELECT id FROM campaigns WHERE advertiser_id = %(advertiser)s)
) a, (
    SELECT COALESCE(SUM(amount_spent), 0)::bigint AS month_spent,
           COALESCE(SUM(fee_amount), 0)::bigint AS month_fees
    FROM advertiser_spends
    WHERE advertiser_id = %(advertiser)s AND date >= %(month_start)s
) m
"""


def advertiser_money(advertiser_id: int, *, month_start: datetime.date) -> dict:
    """Funded, spent, fees taken and refunded across the advertiser's campaigns; this month's
    spend and platform fees."""
    (row,) = _rows(ADVERTISER_MONEY_SQL, {"advertiser": advertiser_id, "month_start": month_start})
    return row


CAMPAIGN_FIGURES_SQL = """
SELECT c.id AS campaign_id,
       COALESCE(a.funded, 0) AS funded, COALESCE(a.spent, 0) AS spent,
       COALESCE(a.fees_taken, 0) AS fees_taken, COALESCE(a.refunded, 0) AS refunded,
       COALESCE(m.month_spent, 0) AS month_spent, COALESCE(p.promoters, 0) AS promoters,
       COALESCE(s.pending, 0) AS sales_pending, COALESCE(s.verified, 0) AS sales_verified
FROM unnest(%(ids)s::bigint[]) AS c (id)
LEFT JOIN (
    SELECT campaign_id, SUM(allocated_amount)::bigint AS funded, SUM(spent_amount)::bigint AS spent,
           SUM(fee_taken_amount)::bigint AS fees_taken, SUM(refunded_amount)::bigint AS refunded
    FROM campaign_budget_allocations WHERE campaign_id = ANY(%(ids)s) GROUP BY campaign_id
) a ON a.campaign_id = c.id
LEFT JOIN (
    SELECT campaign_id, SUM(amount_spent)::bigint AS month_spent
    FROM advertiser_spends WHERE campaign_id = ANY(%(ids)s) AND date >= %(month_start)s GROUP BY campaign_id
) m ON m.campaign_id = c.id
LEFT JOIN (
    SELECT campaign_id, COUNT(*) AS promoters
    FROM promoter_campaigns WHERE campaign_id = ANY(%(ids)s) AND status <> %(cancelled)s GROUP BY campaign_id
) p ON p.campaign_id = c.id
LEFT JOIN (
    SELECT campaign_id, COUNT(*) FILTER (WHERE status = %(pending)s) AS pending,
           COUNT(*) FILTER (WHERE status = %(verified)s) AS verified
    FROM sales_records WHERE campaign_id = ANY(%(ids)s) GROUP BY campaign_id
) s ON s.campaign_id = c.id
"""


def campaign_figures(campaign_ids: list[int], *, month_start: datetime.date) -> dict[int, dict]:
    """By campaign id: budget funded, spent, fees taken and refunded; this month's spend; the
    promoters taking part (not cancelled); sales pending and verified."""
    params = {
        "ids": campaign_ids,
        "month_start": month_start,
        "cancelled": ParticipationStatus.CANCELLED,
        "pending": SaleStatus.PENDING,
        "verified": SaleStatus.VERIFIED,
    }
    return {row.pop("campaign_id"): row for row in _rows(CAMPAIGN_FIGURES_SQL, params)}


TOP_PROMOTERS_SQL = """
WITH earners AS (
    SELECT pc.promoter_id, SUM(pc.spent_budget)::bigint AS earned,
           SUM(pc.views_generated)::bigint AS views, COUNT(*) AS campaigns
    FROM promoter_campaigns pc JOIN campaigns c ON c.id = pc.campaign_id
    WHERE c.advertiser_id = %(advertiser)s
    GROUP BY pc.promoter_id
    HAVING SUM(pc.spent_budget) > 0 OR SUM(pc.views_generated) > 0
    ORDER BY earned DESC, views DESC, pc.promoter_id
    LIMIT %(limit)s
)
SELECT e.promoter_id, d.display_name, e.earned, e.views, e.campaigns,
       (SELECT COUNT(*) FROM sales_records s
        JOIN promoter_campaigns pc ON pc.id = s.participation_id
        JOIN campaigns c ON c.id = s.campaign_id
        WHERE c.advertiser_id = %(advertiser)s AND s.status = %(verified)s
          AND pc.promoter_id = e.promoter_id) AS sales
FROM earners e LEFT JOIN promoter_details d ON d.user_id = e.promoter_id
ORDER BY e.earned DESC, e.views DESC, e.promoter_id
"""


def top_promoters(advertiser_id: int, *, limit: int) -> list[dict]:
    """The promoters who earned most across the advertiser's campaigns: earned, views, campaigns
    and verified sales (counted apart: joining sales would repeat each participation's sums)."""
    params = {"advertiser": advertiser_id, "limit": limit, "verified": SaleStatus.VERIFIED}
    return _rows(TOP_PROMOTERS_SQL, params)


WAITING_COUNTS_SQL = """
SELECT
    (SELECT COUNT(*) FROM campaign_applications a JOIN campaigns c ON c.id = a.campaign_id
     WHERE c.advertiser_id = %(advertiser)s AND a.status = %(application_pending)s) AS applications,
    (SELECT COUNT(*) FROM campaign_works w
     JOIN campaign_deliverables d ON d.id = w.deliverable_id
     JOIN promoter_campaigns pc ON pc.id = d.promoter_campaign_id
     JOIN campaigns c ON c.id = pc.campaign_id
     WHERE c.advertiser_id = %(advertiser)s AND w.status = %(work_submitted)s) AS works,
    (SELECT COUNT(*) FROM campaigns
     WHERE advertiser_id = %(advertiser)s AND status IN (%(paused)s, %(awaiting_funding)s)) AS stalled,
    s.sales_pending, s.sales_awaiting_budget
FROM (
    SELECT COUNT(*) FILTER (WHERE s.status = %(sale_pending)s) AS sales_pending,
           COUNT(*) FILTER (WHERE s.status = %(sale_awaiting_budget)s) AS sales_awaiting_budget
    FROM sales_records s JOIN campaigns c ON c.id = s.campaign_id
    WHERE c.advertiser_id = %(advertiser)s AND s.status IN (%(sale_pending)s, %(sale_awaiting_budget)s)
) s
"""


def waiting_counts(advertiser_id: int) -> dict:
    """How many applications to answer, works to review, campaigns paused or waiting for funding,
    sales to verify and verified sales waiting for budget."""
    params = {
        "advertiser": advertiser_id,
        "application_pending": ApplicationStatus.PENDING,
        "work_submitted": WorkStatus.SUBMITTED,
        "paused": CampaignStatus.PAUSED,
        "awaiting_funding": CampaignStatus.AWAITING_FUNDING,
        "sale_pending": SaleStatus.PENDING,
        "sale_awaiting_budget": SaleStatus.AWAITING_BUDGET,
    }
    (row,) = _rows(WAITING_COUNTS_SQL, params)
    return row


DAILY_FIGURES_SQL = """
SELECT 'campaign type ' || campaign_type AS figure, NULL::date AS day, COUNT(*) AS value
FROM campaigns WHERE advertiser_id = %(advertiser)s GROUP BY campaign_type
UNION ALL
SELECT 'spent', date, SUM(amount_spent)::bigint
FROM advertiser_spends
WHERE advertiser_id = %(advertiser)s AND date BETWEEN %(first)s AND %(last)s
GROUP BY date
UNION ALL
SELECT figure, day, value FROM (
    SELECT day, SUM(paid_views)::bigint AS paid, SUM(requests)::bigint AS requests
    FROM campaign_view_days
    WHERE campaign_id IN (
        SELECT id FROM campaigns WHERE advertiser_id = %(advertiser)s AND campaign_type = %(visibility)s
    ) AND day BETWEEN %(first)s AND %(last)s
    GROUP BY day
) v, LATERAL (VALUES ('paid views', v.paid), ('view requests', v.requests)) AS f (figure, value)
UNION ALL
SELECT 'sales ' || status, (occurred_at AT TIME ZONE %(timezone)s)::date, COUNT(*)
FROM sales_records
WHERE campaign_id IN (
    SELECT id FROM campaigns WHERE advertiser_id = %(advertiser)s AND campaign_type = %(salesman)s
) AND occurred_at >= %(since)s
GROUP BY 1, 2
"""


def daily_figures(advertiser_id: int, *, first: datetime.date, last: datetime.date, timezone: str) -> dict[str, dict]:
    """The charts' figures, by figure and day from `first` to `last`: "spent" (cents), "paid
    views" and "view requests" (Visibility campaigns, from their daily totals), "sales <status>"
    (Salesman campaigns, by the day in `timezone` they occurred, since midnight UTC of `first`).
    Also "campaign type <type>": how many campaigns of each type the advertiser has (day None),
    so a chart with nothing yet still shows.

    `timezone` is a zone's name (Django's current one): PostgreSQL reads a bare "+05:00" offset
    the other way round, which Django's TruncDate corrects for and this does not."""
    params = {
        "advertiser": advertiser_id,
        "first": first,
        "last": last,
        "since": datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC),
        "timezone": timezone,
        "visibility": CampaignType.VISIBILITY,
        "salesman": CampaignType.SALESMAN,
    }
    figures = defaultdict(dict)
    for row in _rows(DAILY_FIGURES_SQL, params):
        figures[row["figure"]][row["day"]] = row["value"]
    return figures
