"""Benchmark: server time of both dashboards with 50 campaigns and a million view rows.

    python bench/dashboards.py                       # database dashboards_bench (bench/database.py)
    python bench/dashboards.py --rows 200000
    python bench/dashboards.py --reuse               # time again on the last run's data
    python bench/dashboards.py --rows 5000000 --database dashboards_5m   # beside the 1M database

Recreates the database, migrates it, then builds one advertiser with 50 funded campaigns (the four
types), a promoter in every campaign earning through the real spend service, 2,000 participations
and `--rows` rows in each of view_stats and unique_views (inserted in SQL). Times the advertiser
and promoter dashboards through Django's request handling (test client: server time, no network)
and prints p50/p95/max, the queries per page and the Python CPU time per page (the database's
is the rest). Target (issue 20): advertiser p50 <= 40 ms at 1M rows, <= 1.3x that at 5M rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import bench_database_url, database_recreate  # noqa: E402

CAMPAIGN_TYPES = ["visibility", "salesman", "consultant", "seller"]


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")  # dev defaults for secrets
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaignplatform.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]


def django_on_fresh_database(name: str) -> None:
    """Recreate the benchmark's own database `name`, point Django at it and migrate it."""
    url = bench_database_url(name)
    database_recreate(url)
    _setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(campaigns: int, participations: int, rows: int):
    from django.db import connection, transaction

    from accounts.tests.factories import AdvertiserFactory, PromoterFactory
    from billing import services
    from campaigns.models import PromoterCampaign
    from campaigns.tests.factories import CampaignFactory
    from tests.support.funding import fund_without_stripe
    from tracking import services as tracking_services

    advertiser, promoter = AdvertiserFactory(), PromoterFactory()
    extra_promoters = _bulk_promoters(200)
    all_campaigns = []
    for number in range(campaigns):
        campaign_type = CAMPAIGN_TYPES[number % 4]
        if campaign_type in ("consultant", "seller"):
            campaign = CampaignFactory(
                advertiser=advertiser, campaign_type=campaign_type, awaiting_funding=True, has_selected_promoter=True
            )
            fund_without_stripe(campaign, budget_cents=50_000)
            participation = PromoterCampaign.objects.create(campaign=campaign, promoter=promoter, agreed_amount=50_000)
            destination = "direct"
        else:
            campaign = CampaignFactory(advertiser=advertiser, campaign_type=campaign_type, awaiting_funding=True)
            fund_without_stripe(campaign, budget_cents=200_000)
            participation = PromoterCampaign.objects.create(campaign=campaign, promoter=promoter)
            destination = "pending"
        all_campaigns.append(campaign)
        with transaction.atomic():
            for earning in range(20):
                services.campaign_budget_spend(
                    campaign=campaign,
                    promoter=promoter,
                    amount_cents=100 + earning,
                    idempotency_key=f"bench-{campaign.pk}-{earning}",
                    destination=destination,
                )
        if campaign_type == "salesman":
            for order in range(10):
                tracking_services.sale_record(
                    campaign=campaign,
                    order_id=f"{campaign.pk}-{order}",
                    amount_cents=5_000,
                    currency="usd",
                    ref_code=participation.tracking_code,
                    source="manual",
                )
    visibility = [c for c in all_campaigns if c.campaign_type == "visibility"]
    _bulk_participations(visibility, extra_promoters, participations)
    days_per_participation = max(1, rows // participations)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO view_stats (participation_id, campaign_id, day, requests, unique_views, paid_views,
                rejected_prefetch, rejected_bot, rejected_inactive, rejected_self, rejected_rate_limit,
                rejected_duplicate, rejected_cap)
            SELECT p.id, p.campaign_id, CURRENT_DATE - d, 12, 9, 0, 0, 2, 0, 0, 0, 1, 0
            FROM promoter_campaigns p CROSS JOIN generate_series(1, %s) AS d
            WHERE p.tracking_code LIKE 'b%%'
            """,
            [days_per_participation],
        )
        cursor.execute(
            """
            INSERT INTO unique_views (participation_id, day, visitor_hash, created_at)
            SELECT p.id, CURRENT_DATE - (n %% 60), md5(n::text), now()
            FROM (SELECT id FROM promoter_campaigns WHERE tracking_code LIKE 'b%%' ORDER BY id LIMIT 1) p
            CROSS JOIN generate_series(1, %s) AS n
            """,
            [rows],
        )
        # Vacuumed and checkpointed now: autovacuum and the checkpoint after millions of inserts
        # would otherwise run on the other core while the pages are timed.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT count(*) FROM view_stats")
        view_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM unique_views")
        unique_rows = cursor.fetchone()[0]
    return view_rows, unique_rows


def _bulk_promoters(count):
    from accounts.models import Role, User

    return User.objects.bulk_create(
        User(email=f"bench-promoter-{n}@example.test", role=Role.PROMOTER) for n in range(count)
    )


def _bulk_participations(visibility, promoters, count):
    from campaigns.models import PromoterCampaign

    PromoterCampaign.objects.bulk_create(
        PromoterCampaign(
            campaign=visibility[n % len(visibility)],
            promoter=promoters[n // len(visibility) % len(promoters)],
            tracking_code=f"b{n:09d}",
        )
        for n in range(count)
    )


def _time_page(client, url, *, requests: int) -> tuple[list[float], list[float], int]:
    """(wall ms per request, process CPU ms per request, queries per page)."""
    from django.db import connection

    for _ in range(3):  # warm caches and connections
        assert client.get(url).status_code == 200
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(url)
    timings, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    return timings, cpu, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--participations", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in view_stats and in unique_views")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="time the pages on the last run's data, no seeding")
    parser.add_argument("--database", default="dashboards_bench", help="database to recreate (default %(default)s)")
    args = parser.parse_args()
    if args.reuse:
        _setup_django(bench_database_url(args.database))
        _time_dashboards(requests=args.requests)
        return
    django_on_fresh_database(args.database)
    started = time.perf_counter()
    view_rows, unique_rows = _seed(args.campaigns, args.participations, args.rows)
    print(
        f"seeded {args.campaigns} campaigns, {view_rows:,} view_stats rows, {unique_rows:,} unique_views rows"
        f" in {time.perf_counter() - started:.1f} s"
    )
    # Timed in a new process, as a server's worker would serve them: this one holds everything the
    # seeding built, and the garbage collector's passes over it cost each request several ms.
    command = [sys.executable, __file__, "--reuse", "--database", args.database, "--requests", str(args.requests)]
    subprocess.run(command, check=True)  # noqa: S603 (this script)


def _time_dashboards(*, requests: int) -> None:
    from django.test import Client

    from accounts.models import Role, User

    first = User.objects.order_by("pk")
    client = Client()
    for label, user, url_name in (
        ("advertiser dashboard", first.filter(role=Role.ADVERTISER).first(), "/accounts/advertiser/"),
        ("promoter dashboard", first.filter(role=Role.PROMOTER).first(), "/accounts/promoter/"),
    ):
        client.force_login(user)
        timings, cpu, queries = _time_page(client, url_name, requests=requests)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        # Python's CPU time apart: on a shared machine the wall time moves with the neighbours' load.
        print(
            f"{label:<22} p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms  max {timings[-1]:6.1f} ms"
            f"  {queries} queries  Python CPU p50 {statistics.median(cpu):5.1f} ms  ({len(timings)} requests)"
        )


if __name__ == "__main__":
    main()
