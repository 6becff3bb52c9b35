"""Monthly statements: itemised pages and CSV for both roles, read after a real monthly close."""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from campaigns.models import CampaignType
from campaigns.tests.factories import CampaignFactory
from payouts import services, statements
from payouts.models import BillingPeriodSummary
from tests.support.funding import fund_without_stripe
from tests.support.payouts import connect_ready, earn
from tests.support.statements import CLOSE_DAY, INJECTED_TITLE, JAN, MID_JAN, close_a_month_of_activity

pytestmark = pytest.mark.django_db

MID_FEB = datetime.datetime(2026, 2, 10, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def closed_january(stripe_sim, django_capture_on_commit_callbacks):
    return close_a_month_of_activity(stripe_sim, capture_on_commit=django_capture_on_commit_callbacks)


def _detail_url(period="2026-01"):
    return reverse("payouts:statement_detail", args=[period])


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- The figures add up ----------------------------------------------------------------------------


def test_promoter_lines_add_up_to_the_summary_written_by_the_close(closed_january):
    promoter = closed_january["promoter"]
    summary = BillingPeriodSummary.objects.get(user=promoter, period=JAN)
    assert (summary.earned_visibility, summary.earned_salesman, summary.earned_consultant) == (6_000, 2_500, 10_000)
    assert (summary.paid_out, summary.carried_forward, summary.short_of_threshold) == (18_500, 0, 0)

    statement = statements.statement_get(user=promoter, period=JAN)

    assert {name: lines for name, (lines, _) in statement.totals_check().items()} == {
        name: expected for name, (_, expected) in statement.totals_check().items()
    }
    assert [(line.campaign.campaign_type, line.amount, line.paid_monthly) for line in statement.earnings] == [
        (CampaignType.VISIBILITY, 6_000, True),
        (CampaignType.CONSULTANT, 10_000, False),
        (CampaignType.SALESMAN, 2_500, True),
    ]
    assert sorted((line.kind, line.amount, line.status) for line in statement.payouts) == [
        ("direct", 10_000, "succeeded"),
        ("monthly", 8_500, "paid"),
    ]
    assert statement.fees == 0
    assert statement.opening is None and statement.closing.current_balance == 8_500


def test_advertiser_lines_add_up_to_the_summary_written_by_the_close(closed_january):
    advertiser = closed_january["advertiser"]
    summary = BillingPeriodSummary.objects.get(user=advertiser, period=JAN)
    assert (summary.funded, summary.spent, summary.fees, summary.refunded) == (50_600, 20_000, 2_000, 6_600)

    statement = statements.statement_get(user=advertiser, period=JAN)

    for name, (lines, expected) in statement.totals_check().items():
        assert lines == expected, name
    by_title = {activity.campaign.title: activity for activity in statement.campaigns}
    assert (by_title["Trail shoe views"].funded, by_title["Trail shoe views"].spent) == (6_600, 6_000)
    sales = by_title[INJECTED_TITLE]
    assert (sales.funded, sales.spent, sales.fees, sales.refunded) == (11_000, 4_000, 400, 6_600)
    assert (sales.spends, sales.days, sales.reversed_since) == (2, 1, 0)
    assert by_title["Launch strategy"].fees == 1_000
    assert sorted(line.amount for line in statement.charges) == [6_600, 11_000, 33_000]
    assert all(line.charge and line.charge.status == "succeeded" for line in statement.charges)
    assert [(line.amount, line.charge.budget_amount, line.charge.fee_amount) for line in statement.refunds] == [
        (6_600, 6_000, 600)
    ]


def test_below_threshold_statement_says_what_is_carried_and_what_is_missing(client, closed_january):
    client.force_login(closed_january["small"])
    with time_machine.travel(MID_FEB, tick=False):
        html = client.get(_detail_url()).content.decode()
    assert "$15.00</strong> stays in your wallet" in html
    assert "$5.00 more is needed to reach the\n    $20.00 payout threshold" in html
    assert "Below the $20.00 payout threshold: carried forward" in html
    assert "Nothing was paid out for this month." in html


# --- Pages ------------------------------------------------------------------------------------------


def test_promoter_statement_page_shows_the_month_itemised(client, closed_january):
    client.force_login(closed_january["promoter"])
    with time_machine.travel(MID_FEB, tick=False):
        response = client.get(_detail_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Statement · January 2026" in html
    assert "patpromotes" in html and "Pat Promoter" in html
    assert "<dd>1\u201331 January 2026</dd>" in html and "<dt>Generated</dt><dd>10 Feb 2026, 09:30 UTC" in html
    for figure in ("$185.00", "$60.00", "$25.00", "$100.00", "$85.00", "$0.00"):
        assert figure in html
    assert "Monthly payout for January 2026" in html and "Payment for Launch plan" in html
    assert "Print / Save as PDF" in html and reverse("payouts:statement_csv", args=["2026-01"]) in html
    assert "charged to the advertiser on top" in html


def test_advertiser_statement_page_shows_funding_spend_fees_and_refunds(client, closed_january):
    client.force_login(closed_january["advertiser"])
    with time_machine.travel(MID_FEB, tick=False):
        response = client.get(_detail_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme Trail Co" in html and "Ada Advertiser" in html
    for figure in ("$506.00", "$200.00", "$20.00", "$66.00", "$330.00", "$110.00", "$40.00"):
        assert figure in html
    assert "Visa •••• 4242" in html
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)" in html  # escaped, shown as typed


def test_list_shows_each_closed_month_with_its_totals(client, closed_january):
    client.force_login(closed_january["advertiser"])
    with time_machine.travel(MID_FEB, tick=False):
        html = client.get(reverse("payouts:statement_list")).content.decode()
    assert _detail_url() in html and "January 2026" in html
    assert "$506.00" in html and "$66.00" in html
    assert (
        "The statement for <strong>February 2026</strong> will be ready" in html and "1 March 2026, 06:00 UTC" in html
    )


def test_wallet_billing_and_nav_link_to_the_statements(client, closed_january):
    url = reverse("payouts:statement_list")
    client.force_login(closed_january["promoter"])
    assert client.get(reverse("payouts:wallet")).content.decode().count(f'href="{url}"') == 2  # nav + wallet
    client.force_login(closed_january["advertiser"])
    assert client.get(reverse("billing:overview")).content.decode().count(f'href="{url}"') == 2  # nav + billing


# --- CSV ------------------------------------------------------------------------------------------------


def test_promoter_csv_has_a_line_per_item_and_totals_in_dollars(client, closed_january):
    client.force_login(closed_january["promoter"])
    response = client.get(reverse("payouts:statement_csv", args=["2026-01"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="statement-2026-01.csv"'
    rows = _csv_rows(response)
    assert rows[0] == statements.CSV_HEADER
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    earnings = [row for row in body if row["section"] == "earning"]
    payouts = [row for row in body if row["section"] == "payout"]
    totals = {row["item"]: row["amount"] for row in body if row["section"] == "total"}
    assert [row["amount"] for row in earnings] == ["60.00", "100.00", "25.00"]
    assert sorted(row["amount"] for row in payouts) == ["100.00", "85.00"]
    assert totals["Earned"] == "185.00" and totals["Paid out"] == "185.00" and totals["Carried forward"] == "0.00"
    assert totals["Platform fees (paid by the advertiser)"] == "0.00"
    assert {row["currency"] for row in body} == {"USD"} and {row["period"] for row in body} == {"2026-01"}
    # The lines of each section add up to its total.
    assert sum(int(row["amount"].replace(".", "")) for row in earnings) == 18_500
    assert sum(int(row["amount"].replace(".", "")) for row in payouts) == 18_500


def test_advertiser_csv_sections_add_up_and_formula_titles_are_neutralised(client, closed_january):
    client.force_login(closed_january["advertiser"])
    rows = _csv_rows(client.get(reverse("payouts:statement_csv", args=["2026-01"])))
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    totals = {row["item"]: row["amount"] for row in body if row["section"] == "total"}
    assert totals == {
        "Funded (budget + platform fee)": "506.00",
        "Spent": "200.00",
        "Platform fees": "20.00",
        "Refunded": "66.00",
    }

    def cents(section):
        return sum(int(row["amount"].replace(".", "")) for row in body if row["section"] == section)

    assert (cents("funding"), cents("spend"), cents("platform_fee"), cents("refund")) == (50_600, 20_000, 2_000, 6_600)
    titles = {row["campaign"] for row in body}
    assert f"'{INJECTED_TITLE}" in titles and INJECTED_TITLE not in titles
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize(
    ("text", "safe"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("Plain", "Plain"), ("", "")],
)
def test_csv_text_neutralises_formulas(text, safe):
    assert statements.csv_text(text) == safe


@pytest.mark.parametrize(("cents", "text"), [(0, "0.00"), (5, "0.05"), (6_000, "60.00"), (123_456, "1234.56")])
def test_csv_amount_is_decimal_dollars_from_integer_cents(cents, text):
    assert statements.csv_amount(cents) == text


# --- Who sees what, and bad input ---------------------------------------------------------------------


def test_someone_elses_month_is_a_404_for_page_and_csv(client, closed_january):
    stranger = AdvertiserFactory()  # no activity in January: no statement of theirs
    client.force_login(stranger)
    assert client.get(_detail_url()).status_code == 404
    assert client.get(reverse("payouts:statement_csv", args=["2026-01"])).status_code == 404
    assert b"Acme Trail Co" not in client.get(reverse("payouts:statement_list")).content


@pytest.mark.parametrize(
    "path",
    [
        "/payouts/statements/2026-13/",
        "/payouts/statements/2026-00/",
        "/payouts/statements/0000-01/",
        "/payouts/statements/2026-1/",
        "/payouts/statements/26-01/",
        "/payouts/statements/abcd-ef/",
        "/payouts/statements/2026-13/csv",
        "/payouts/statements/9999-12/",
    ],
)
def test_bad_periods_are_404_not_500(promoter_client, path):
    assert promoter_client.get(path).status_code == 404


def test_a_month_not_closed_yet_says_so(promoter_client):
    with time_machine.travel(MID_FEB, tick=False):
        current = promoter_client.get(_detail_url("2026-02"))
        ended = promoter_client.get(_detail_url("2026-01"))  # ended, but its close has not run
        csv_response = promoter_client.get(reverse("payouts:statement_csv", args=["2026-02"]))
    assert current.status_code == ended.status_code == 200
    assert "February 2026 is not closed yet" in current.content.decode()
    assert "1 March 2026, 06:00 UTC" in current.content.decode()
    assert "January 2026 is not closed yet" in ended.content.decode()
    assert "Print / Save as PDF" not in current.content.decode()
    assert csv_response.status_code == 404


def test_statements_need_a_finished_profile_and_a_role(client, closed_january):
    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory())  # signed up, no role yet
    assert client.get(reverse("payouts:statement_list")).status_code == 302
    client.logout()
    assert client.get(_detail_url()).status_code == 302  # to sign-in


# --- A constant number of queries --------------------------------------------------------------------


def _month_with_campaigns(stripe_sim, count):
    advertiser, promoter = AdvertiserFactory(), PromoterFactory()
    with time_machine.travel(MID_JAN, tick=False):
        for index in range(count):
            campaign = CampaignFactory(advertiser=advertiser, awaiting_funding=True)
            fund_without_stripe(campaign, budget_cents=6_000)
            earn(campaign, promoter, 1_000 + index, f"views-{count}-{index}")
        connect_ready(stripe_sim, promoter)
    return advertiser, promoter


def _page_queries(client, user, url, assert_max):
    """Queries of one request (the sign-in before it not counted), at most the page's budget."""
    client.force_login(user)
    with assert_max(PAGE_QUERY_BUDGET), CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# Session, user, profile, the nav's unread count, then the statement's own grouped queries (10
# for a detail page, and up to 5 for its balance section; a little room for the page chrome).
PAGE_QUERY_BUDGET = 16


def test_pages_issue_the_same_few_queries_for_3_or_30_campaigns(client, stripe_sim, django_assert_max_num_queries):
    stripe_sim.add_balance(1_000_000)
    few = _month_with_campaigns(stripe_sim, 3)
    many = _month_with_campaigns(stripe_sim, 30)
    with time_machine.travel(CLOSE_DAY, tick=False):
        services.period_close(period=JAN)
    urls = [reverse("payouts:statement_list"), _detail_url(), reverse("payouts:statement_csv", args=["2026-01"])]
    for url in urls:
        for few_user, many_user in zip(few, many, strict=True):
            few_count = _page_queries(client, few_user, url, django_assert_max_num_queries)
            many_count = _page_queries(client, many_user, url, django_assert_max_num_queries)
            assert few_count == many_count, (url, few_user.role)
    statement = statements.statement_get(user=many[1], period=JAN)
    assert len(statement.earnings) == 30 and statement.summary.earned_visibility == sum(range(1_000, 1_030))
