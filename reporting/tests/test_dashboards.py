"""Both dashboards: the figures they show, their HTMX parts, and a query count that does not
grow with the number of campaigns or of view rows."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from billing import services as billing_services
from campaigns.models import ApplicationDecisionReason, ApplicationStatus
from campaigns.tests.factories import (
    ApplicationFactory,
    CampaignFactory,
    DeliverableFactory,
    PromoterCampaignFactory,
    WorkFactory,
)
from tests.support.funding import fund_without_stripe
from tracking import services as tracking_services
from tracking.models import ViewStat

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _earn(participation, cents, key, destination="pending"):
    with transaction.atomic():
        billing_services.campaign_budget_spend(
            campaign=participation.campaign,
            promoter=participation.promoter,
            amount_cents=cents,
            idempotency_key=key,
            destination=destination,
        )


def _sale(participation, *, order_id, amount=10_000):
    sale, _created = tracking_services.sale_record(
        campaign=participation.campaign,
        order_id=order_id,
        amount_cents=amount,
        currency="usd",
        ref_code=participation.tracking_code,
        source="manual",
    )
    return sale


def _participation(*, campaign_type="visibility", advertiser=None, promoter=None, **campaign_fields):
    """A promoter in a funded, active campaign of `campaign_type` (Consultant/Seller: selected)."""
    advertiser = advertiser or AdvertiserFactory()
    promoter = promoter or PromoterFactory()
    if campaign_type in ("consultant", "seller"):
        campaign = CampaignFactory(
            advertiser=advertiser,
            campaign_type=campaign_type,
            active=True,
            has_selected_promoter=True,
            **campaign_fields,
        )
        return PromoterCampaignFactory(campaign=campaign, promoter=promoter, agreed_amount=30_000)
    campaign = CampaignFactory(
        advertiser=advertiser, campaign_type=campaign_type, awaiting_funding=True, **campaign_fields
    )
    fund_without_stripe(campaign, budget_cents=20_000)
    return PromoterCampaignFactory(campaign=campaign, promoter=promoter)


def _advertiser_world(advertiser, *, campaigns: int):
    """`campaigns` funded campaigns across the four types, each with a promoter who earned."""
    types = ["visibility", "salesman", "consultant", "seller"]
    for number in range(campaigns):
        campaign_type = types[number % 4]
        participation = _participation(campaign_type=campaign_type, advertiser=advertiser)
        if campaign_type in ("consultant", "seller"):
            WorkFactory(deliverable=DeliverableFactory(promoter_campaign=participation, status="submitted"))
        destination = "direct" if campaign_type in ("consultant", "seller") else "pending"
        _earn(participation, 1_000, f"earn-{participation.pk}", destination)
        if campaign_type == "salesman":
            _sale(participation, order_id=f"o-{number}")
        if campaign_type == "visibility":
            ViewStat.objects.create(
                participation=participation,
                campaign=participation.campaign,
                day=timezone.localdate(),
                requests=40,
                unique_views=30,
            )
    ApplicationFactory(campaign=CampaignFactory(advertiser=advertiser, consultant=True, awaiting_funding=True))


def _queries(client, url, **extra):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


class TestAdvertiserDashboard:
    def test_shows_money_campaigns_and_what_needs_attention(self, advertiser_client, advertiser):
        _advertiser_world(advertiser, campaigns=4)
        page = advertiser_client.get(reverse("reporting:advertiser_dashboard")).content.decode()
        # Funded: two $200 budgets (Visibility, Salesman) and the selected promoters' agreed amounts.
        funded = sum(c.allocated_amount for c in _allocations(advertiser))
        assert f"${funded / 100:,.2f}" in page
        assert "$40.00" in page  # spent: $10 earned on each of the four campaigns
        assert "Applications to answer" in page and "Work to review" in page and "Sales to verify" in page
        assert "Budget spent per day" in page and "Views per day" in page and "Sales per day" in page
        assert page.count('class="badge type-') >= 5
        assert "<svg" in page

    def test_new_advertiser_sees_next_steps_not_empty_charts(self, advertiser_client):
        page = advertiser_client.get(reverse("reporting:advertiser_dashboard")).content.decode()
        assert "Next steps" in page and "<svg" not in page

    @pytest.mark.parametrize("part", ["summary", "actions", "campaigns", "charts"])
    def test_each_part_refreshes_alone(self, advertiser_client, advertiser, part):
        _advertiser_world(advertiser, campaigns=2)
        response = advertiser_client.get(reverse("reporting:advertiser_dashboard") + f"?part={part}", **HTMX)
        body = response.content.decode()
        assert response.status_code == 200
        assert body.lstrip().startswith("<section") and "<html" not in body
        assert f'id="dash-{part}"' in body

    def test_unknown_part_or_plain_request_gets_the_whole_page(self, advertiser_client, advertiser):
        _advertiser_world(advertiser, campaigns=1)
        for extra, query in (({}, "?part=summary"), (HTMX, "?part=../../etc")):
            body = advertiser_client.get(reverse("reporting:advertiser_dashboard") + query, **extra).content.decode()
            assert "<html" in body

    def test_shows_only_the_advertisers_own_campaigns(self, advertiser_client, advertiser):
        _advertiser_world(advertiser, campaigns=1)
        CampaignFactory(title="Someone else's launch", active=True)
        assert "Someone else" not in advertiser_client.get(reverse("reporting:advertiser_dashboard")).content.decode()

    def test_queries_do_not_grow_with_campaigns(self, client, advertiser):
        other = AdvertiserFactory()
        _advertiser_world(advertiser, campaigns=5)
        _advertiser_world(other, campaigns=50)
        url = reverse("reporting:advertiser_dashboard")
        client.force_login(advertiser)
        few = _queries(client, url)
        client.force_login(other)
        many = _queries(client, url)
        assert few == many and few > 10


class TestPromoterDashboard:
    def test_shows_wallet_earnings_and_pending_actions(self, promoter_client, promoter):
        visibility = _participation(promoter=promoter, title="Trail shoes launch")
        _earn(visibility, 6_000, "views")
        revision = DeliverableFactory(promoter_campaign__promoter=promoter, status="revision_requested")
        ApplicationFactory(promoter=promoter, status=ApplicationStatus.COUNTERED, current_amount=45_000)
        page = promoter_client.get(reverse("reporting:promoter_dashboard")).content.decode()
        assert "$60.00" in page  # pending wallet, the day's bar and the campaign row
        assert "Trail shoes launch" in page
        assert "Revisions requested" in page and revision.title in page
        assert "Counter-offers to answer" in page and "$450.00" in page
        assert "Set up payouts to receive your money" in page
        assert "Earnings per day" in page

    def test_twelve_month_range_swaps_only_the_chart(self, promoter_client, promoter):
        _earn(_participation(promoter=promoter), 2_500, "k")
        url = reverse("reporting:promoter_dashboard") + "?part=earnings&range=12m"
        body = promoter_client.get(url, **HTMX).content.decode()
        assert 'id="dash-earnings"' in body and "Earnings per month" in body and "<html" not in body
        assert f"{timezone.now():%b %Y}" in body

    def test_reversed_earnings_are_netted(self, promoter_client, promoter):
        participation = _participation(campaign_type="salesman", promoter=promoter)
        _earn(participation, 3_000, "sale-1")
        with transaction.atomic():
            billing_services.campaign_budget_spend_reverse(
                campaign=participation.campaign,
                promoter=promoter,
                spend_idempotency_key="sale-1",
                idempotency_key="sale-1-refund",
            )
        body = promoter_client.get(reverse("reporting:promoter_dashboard") + "?part=earnings", **HTMX).content.decode()
        assert "Earnings per day" in body and "No data yet" in body  # $30 earned, $30 reversed: nothing left

    def test_queries_do_not_grow_with_campaigns(self, client):
        few_promoter, many_promoter = PromoterFactory(), PromoterFactory()
        for promoter, count in ((few_promoter, 5), (many_promoter, 50)):
            for number in range(count):
                participation = _participation(promoter=promoter)
                _earn(participation, 100 + number, f"{promoter.pk}-{number}")
                DeliverableFactory(promoter_campaign__promoter=promoter, status="revision_requested")
        url = reverse("reporting:promoter_dashboard")
        client.force_login(few_promoter)
        few = _queries(client, url)
        client.force_login(many_promoter)
        many = _queries(client, url)
        assert few == many and few > 10


def test_queries_do_not_grow_with_view_rows(client, advertiser):
    """1,000 and then 1,000,000 rows in view_stats and unique_views: the same queries."""
    participation = _participation(advertiser=advertiser)
    client.force_login(advertiser)
    promoter_client_queries = []
    counts = []
    for rows in (1_000, 1_000_000):
        _fill_view_rows(participation, rows)
        counts.append(_queries(client, reverse("reporting:advertiser_dashboard")))
        client.force_login(participation.promoter)
        promoter_client_queries.append(_queries(client, reverse("reporting:promoter_dashboard")))
        client.force_login(advertiser)
    assert counts[0] == counts[1]
    assert promoter_client_queries[0] == promoter_client_queries[1]
    assert ViewStat.objects.count() == 1_000_000


def _fill_view_rows(participation, total):
    """Top view_stats and unique_views up to `total` rows each, in SQL (one row per day back in
    time for view_stats; many visitors a day for unique_views)."""
    have = ViewStat.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            _series_sql(
                "INSERT INTO view_stats (participation_id, campaign_id, day, requests, unique_views, paid_views,"
                " rejected_prefetch, rejected_bot, rejected_inactive, rejected_self, rejected_rate_limit,"
                " rejected_duplicate, rejected_cap)"
                " SELECT %s, %s, {day}, 5, 3, 0, 0, 1, 0, 0, 0, 1, 0 FROM series",
                count=total - have,
                offset=have,
            ),
            [participation.pk, participation.campaign_id],
        )
        cursor.execute(
            _series_sql(
                "INSERT INTO unique_views (participation_id, day, visitor_hash, created_at)"
                " SELECT %s, {day_mod}, {hash}, %s FROM series",
                count=total - have,
                offset=have,
            ),
            [participation.pk, timezone.now()],
        )


def _series_sql(insert, *, count, offset):
    """`insert` over a CTE `series(n)` of offset+1..offset+count."""
    series = f"WITH series(n) AS (SELECT generate_series({offset + 1}, {offset + count})) "
    day = "CURRENT_DATE - (n + 40) * INTERVAL '1 day'"
    day_mod = "CURRENT_DATE - (n %% 50) * INTERVAL '1 day'"
    return series + insert.format(day=day, day_mod=day_mod, hash="md5(n::text || random()::text)")


def _allocations(advertiser):
    from billing.models import CampaignBudgetAllocation

    return CampaignBudgetAllocation.objects.filter(campaign__advertiser=advertiser)


@pytest.mark.django_db
def test_promoter_dashboard_estimates_views_counted_but_not_yet_credited(client):
    from campaigns.models import PromoterCampaign
    from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory

    participation = PromoterCampaignFactory(campaign=CampaignFactory(active=True, cpv=300))
    PromoterCampaign.objects.filter(pk=participation.pk).update(views_generated=480)
    client.force_login(participation.promoter)

    page = client.get(reverse("reporting:promoter_dashboard")).content.decode()

    assert "+ about $14.40 within the hour" in page


def test_action_groups_count_every_waiting_item_and_show_the_oldest_first(advertiser):
    from reporting.dashboards import ACTION_ITEMS_SHOWN, advertiser_actions_part

    campaign = CampaignFactory(advertiser=advertiser, consultant=True, awaiting_funding=True)
    pending = [ApplicationFactory(campaign=campaign) for _ in range(ACTION_ITEMS_SHOWN + 2)]
    ApplicationFactory(
        campaign=campaign, status=ApplicationStatus.REJECTED, decision_reason_code=ApplicationDecisionReason.FIT
    )
    ApplicationFactory()  # another advertiser's

    groups = {group.title: group for group in advertiser_actions_part(advertiser)["action_groups"]}

    applications = groups["Applications to answer"]
    assert applications.count == ACTION_ITEMS_SHOWN + 2
    assert applications.items == pending[:ACTION_ITEMS_SHOWN]
    assert (groups["Work to review"].count, groups["Work to review"].items) == (0, [])
    assert groups["Campaigns paused or waiting for funding"].count == 1
    assert groups["Sales to verify"].count == 0


def test_budget_left_counts_the_fixed_fees_per_sale_taken_from_it(advertiser):
    from billing.models import FeePlan
    from reporting.dashboards import advertiser_campaigns_part, advertiser_summary_part

    FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=1000, fixed_cents=50)
    participation = _participation(campaign_type="salesman", advertiser=advertiser)
    _earn(participation, 2_000, "sale-1")  # 2,000 + 50 from the budget

    left = billing_services.campaign_budget_remaining(participation.campaign)
    assert advertiser_summary_part(advertiser)["remaining"] == left
    (row,) = advertiser_campaigns_part(advertiser)["campaign_rows"]
    assert (row.spent, row.fees_taken, row.remaining) == (2_000, 50, left)


def test_waiting_items_cost_no_query_of_their_own(advertiser_client, advertiser):
    """The items read only the columns they show: a column missing from the query would be
    fetched once per item when the page draws it. An empty group costs only its count."""
    url = reverse("reporting:advertiser_dashboard") + "?part=actions"
    nothing_waiting = _queries(advertiser_client, url, **HTMX)
    _advertiser_world(advertiser, campaigns=4)  # an application, work and a sale waiting
    CampaignFactory(advertiser=advertiser, title="Unfunded launch", awaiting_funding=True)
    one_of_each = _queries(advertiser_client, url, **HTMX)
    _advertiser_world(advertiser, campaigns=8)
    CampaignFactory(advertiser=advertiser, title="Another unfunded launch", awaiting_funding=True)

    with CaptureQueriesContext(connection) as captured:
        body = advertiser_client.get(url, **HTMX).content.decode()

    assert len(captured) == one_of_each == nothing_waiting + 3  # the items of three groups
    assert "Applications to answer" in body and "Work to review" in body and "Unfunded launch" in body


def test_campaign_rows_show_each_type_and_escape_what_advertisers_typed(advertiser_client, advertiser):
    visibility = _participation(campaign_type="visibility", advertiser=advertiser, title="<b>Views</b> & co")
    salesman = _participation(campaign_type="salesman", advertiser=advertiser, title="Sales push")
    _sale(salesman, order_id="o-1")
    _participation(campaign_type="consultant", advertiser=advertiser, title="Advice")
    unfunded = CampaignFactory(advertiser=advertiser, title="Unfunded", awaiting_funding=True)

    body = advertiser_client.get(reverse("reporting:advertiser_dashboard") + "?part=campaigns", **HTMX)
    html = body.content.decode()

    assert "&lt;b&gt;Views&lt;/b&gt; &amp; co" in html and "<b>Views" not in html
    detail = reverse("campaigns:advertiser_detail", args=[visibility.campaign.public_id])
    assert f'<a href="{detail}">' in html
    views = f"0 of {visibility.campaign.max_views:,} views (0%) · 1 promoter"
    assert views in html
    assert "0 verified sales" in html and f'<a href="{reverse("tracking:sales_queue")}">1 to verify</a>' in html
    assert "Promoter selected" in html
    assert f'href="{reverse("billing:fund", args=[unfunded.public_id])}">Fund it</a>' in html
    assert "$200.00 spent of" not in html and "<strong>$200.00</strong> left" in html
    assert 'aria-valuenow="0"' in html and "Not funded yet" in html


def test_top_promoters_rank_earnings_with_views_and_verified_sales_of_this_advertiser_only(advertiser):
    from reporting.dashboards import advertiser_charts_part
    from tracking.services import sale_verify

    star = PromoterFactory(details__display_name="Star")
    second = PromoterFactory(details__display_name="Second")
    idle = PromoterFactory(details__display_name="Idle")
    shoes = _participation(campaign_type="visibility", advertiser=advertiser, promoter=star)
    sales = _participation(campaign_type="salesman", advertiser=advertiser, promoter=star)
    _participation(campaign_type="visibility", advertiser=advertiser, promoter=idle)
    second_in = _participation(campaign_type="visibility", advertiser=advertiser, promoter=second)
    elsewhere = _participation(campaign_type="salesman", promoter=second)  # another advertiser's
    _earn(shoes, 1_500, "star-views")
    _earn(second_in, 900, "second-views")
    _earn(elsewhere, 5_000, "second-elsewhere")
    type(shoes).objects.filter(pk=second_in.pk).update(views_generated=300)
    sale_verify(sale=_sale(sales, order_id="s-1", amount=10_000))
    _sale(sales, order_id="s-2")  # pending: not counted
    sale_verify(sale=_sale(elsewhere, order_id="e-1"))  # another advertiser's

    top = advertiser_charts_part(advertiser)["top_promoters"]

    assert [row["display_name"] for row in top] == ["Star", "Second"]
    star_row, second_row = top
    sales.refresh_from_db()
    assert (star_row["earned"], star_row["campaigns"], star_row["sales"]) == (1_500 + sales.spent_budget, 2, 1)
    assert (second_row["earned"], second_row["views"], second_row["campaigns"], second_row["sales"]) == (
        900,
        300,
        1,
        0,
    )


def test_campaign_figures_add_this_months_spend_refunds_and_active_promoters(advertiser):
    from billing.models import AdvertiserSpend, CampaignBudgetAllocation
    from campaigns.models import ParticipationStatus
    from reporting.dashboards import advertiser_campaigns_part, advertiser_summary_part

    participation = _participation(campaign_type="visibility", advertiser=advertiser)
    campaign = participation.campaign
    PromoterCampaignFactory(campaign=campaign, status=ParticipationStatus.CANCELLED)
    PromoterCampaignFactory(campaign=campaign)
    _earn(participation, 700, "month-1")
    _earn(participation, 300, "month-2")
    CampaignBudgetAllocation.objects.filter(campaign=campaign).update(refunded_amount=2_000)

    (row,) = advertiser_campaigns_part(advertiser)["campaign_rows"]
    summary = advertiser_summary_part(advertiser)

    assert (row.funded, row.spent, row.refunded, row.month_spent, row.promoters) == (20_000, 1_000, 2_000, 1_000, 2)
    assert row.remaining == 20_000 - 1_000 - 2_000
    assert (summary["funded"], summary["spent"], summary["refunded"], summary["remaining"]) == (
        20_000,
        1_000,
        2_000,
        17_000,
    )
    fees = sum(spend.fee_amount for spend in AdvertiserSpend.objects.filter(campaign=campaign))
    assert (summary["month_spent"], summary["month_fees"]) == (1_000, fees) and fees > 0
    # int, not Decimal: a SUM over bigint is numeric in PostgreSQL unless cast back.
    assert {type(value) for value in (row.funded, row.month_spent, row.promoters, summary["funded"])} == {int}


def _chart(charts, title):
    (chart,) = [chart for chart in charts if chart["title"] == title]
    return {bar["label"]: dict(bar["details"]) for bar in chart["bars"]}


def test_charts_count_each_day_of_this_advertisers_spend_views_and_sales(advertiser):
    from reporting.dashboards import _day_labels, advertiser_charts_part
    from tracking.services import sale_verify

    today = timezone.localdate()
    yesterday = today - timezone.timedelta(days=1)
    views = _participation(campaign_type="visibility", advertiser=advertiser)
    seller = _participation(campaign_type="salesman", advertiser=advertiser)
    other = _participation(campaign_type="visibility")  # another advertiser's
    for participation, day, requests, paid in (
        (views, today, 40, 25),
        (views, yesterday, 10, 10),
        (other, today, 99, 99),
    ):
        ViewStat.objects.create(
            participation=participation,
            campaign=participation.campaign,
            day=day,
            requests=requests,
            unique_views=paid,
            paid_views=paid,
        )
    _earn(views, 1_000, "today")
    sale_verify(sale=_sale(seller, order_id="v-1"))
    _sale(seller, order_id="p-1")
    _sale(seller, order_id="p-2")

    charts = advertiser_charts_part(advertiser, today=today)["charts"]

    label, before = _day_labels([today, yesterday])
    seller.refresh_from_db()
    assert _chart(charts, "Budget spent per day")[label] == {"spent": 1_000 + seller.spent_budget}
    per_day = _chart(charts, "Views per day")
    assert per_day[label] == {"paid views": 25, "not counted (bots, repeats, over cap…)": 15}
    assert per_day[before] == {"paid views": 10, "not counted (bots, repeats, over cap…)": 0}
    assert _chart(charts, "Sales per day")[label] == {"verified": 1, "pending": 2, "rejected or refunded": 0}


def test_a_chart_shows_for_each_type_of_campaign_even_before_any_figure(advertiser):
    from reporting.dashboards import advertiser_charts_part

    CampaignFactory(advertiser=advertiser, campaign_type="visibility")
    CampaignFactory(campaign_type="salesman")  # another advertiser's

    titles = [chart["title"] for chart in advertiser_charts_part(advertiser)["charts"]]

    assert titles == ["Budget spent per day", "Views per day"]
