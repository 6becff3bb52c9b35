"""Benchmark: the marketplace's best-match page with 10,000 listed campaigns and 100,000 promoters.

    python bench/marketplace.py                      # database marketplace_bench (bench/database.py)
    python bench/marketplace.py --campaigns 20000 --promoters 200000
    python bench/marketplace.py --database marketplace_bench_mine   # beside another session's run

Recreates the database, migrates it, then inserts in SQL (set-based, seconds): `--promoters`
promoters with profiles, languages, skills and audiences on one to three platforms; `--campaigns`
listed campaigns of the four types with languages, skills, target platforms and categories; and
past participations for the measured promoter (so the category part of the score works). Times
the marketplace's first page ordered by best match (the promoter's default) and by a filter plus
best match, through Django's request handling (test client: server time, no network), and prints
p50/p95/max and the queries per page. Target: p50 <= 50 ms. Also times the advertiser's
"Suggested promoters" ranking over all promoters for one campaign.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.dashboards import _setup_django, _time_page  # noqa: E402
from bench.database import bench_database_url, database_recreate  # noqa: E402

PLATFORMS = ["instagram", "tiktok", "youtube", "x", "facebook", "linkedin", "twitch", "blog"]


def _seed(campaigns: int, promoters: int):
    from django.db import connection

    from accounts.tests.factories import AdvertiserFactory, PromoterFactory

    advertiser, promoter = AdvertiserFactory(), PromoterFactory()
    with connection.cursor() as cursor:
        _seed_promoters(cursor, promoters)
        _seed_campaigns(cursor, advertiser.pk, campaigns)
        _seed_profile(cursor, promoter.pk)
        # VACUUM as autovacuum would: the triggers copying each campaign's skills and languages
        # onto its row left an old version of every campaign row behind.
        cursor.execute("VACUUM ANALYZE")
    return advertiser, promoter


def _seed_promoters(cursor, count: int) -> None:
    # Track figures stay within their wholes, as the services keep them: works on time <= works
    # approved, real views <= link requests.
    cursor.execute(
        """
        INSERT INTO users (password, public_id, email, full_name, role, is_active, is_staff, is_superuser,
            date_joined, wallet_balance, campaigns_completed, campaigns_cancelled, works_approved,
            works_approved_on_time, works_rejected, sales_verified, sales_rejected, link_requests, link_real_views)
        SELECT '!', gen_random_uuid(), 'bench-promoter-' || n || '@example.test', 'Promoter ' || n, 'promoter',
            true, false, false, now(), 0, n %% 11, n %% 3, n %% 7, LEAST(n %% 5, n %% 7), n %% 2, n %% 13, n %% 4,
            n %% 1000, (n %% 1000) * (n %% 7) / 6
        FROM generate_series(1, %s) AS n
        """,
        [count],
    )
    cursor.execute(
        """
        INSERT INTO promoter_details (user_id, display_name, bio, country, city, age_range, audience_description,
            created_at, updated_at)
        SELECT id, full_name, '', 'US', '', '', '', now(), now() FROM users WHERE email LIKE 'bench-promoter-%%'
        """,
        [],
    )
    cursor.execute(
        """
        INSERT INTO promoter_languages (promoter_id, language_id, proficiency)
        SELECT d.id, l.id, 'fluent' FROM promoter_details d
        JOIN languages l ON l.id = (SELECT min(id) FROM languages) + (d.id * 7) %% (SELECT count(*) FROM languages)
        """,
        [],
    )
    cursor.execute(
        """
        INSERT INTO promoter_skills (promoter_id, skill_id, years_experience)
        SELECT d.id, s.id, 2 FROM promoter_details d
        JOIN skills s ON s.id IN ((SELECT min(id) FROM skills) + d.id %% 14,
                                  (SELECT min(id) FROM skills) + (d.id * 3) %% 14)
        ON CONFLICT DO NOTHING
        """,
        [],
    )
    cursor.execute(
        """
        INSERT INTO follower_estimates (promoter_id, platform, handle, followers, updated_at)
        SELECT d.id, (%s::text[])[1 + (d.id + k * 3) %% 8], '', (d.id * 7919 + k * 104729) %% 2000000, now()
        FROM promoter_details d CROSS JOIN generate_series(0, 2) AS k
        WHERE k <= d.id %% 3
        ON CONFLICT DO NOTHING
        """,
        [PLATFORMS],
    )


def _seed_campaigns(cursor, advertiser_id: int, count: int) -> None:
    cursor.execute(
        """
        INSERT INTO campaigns (public_id, advertiser_id, campaign_type, status, title, description, category_id,
            target_url, requirements, start_date, end_date, currency, cpv, max_views, paid_views, min_budget,
            max_budget, deliverables, timeline, has_selected_promoter, commission_per_sale, tracking_method,
            created_at, updated_at, published_at, platforms)
        SELECT gen_random_uuid(), %s, t.type, 'active', 'Bench campaign ' || n, 'A campaign to benchmark.',
            (SELECT min(id) FROM advertiser_types) + n %% 16, 'https://example.com/', '', CURRENT_DATE,
            CURRENT_DATE + 60, 'usd',
            CASE WHEN t.type = 'visibility' THEN 100 + n %% 900 END,
            CASE WHEN t.type = 'visibility' THEN 10000 + n %% 50000 END,
            CASE WHEN t.type = 'visibility' THEN n %% 5000 ELSE 0 END,
            CASE WHEN t.type IN ('consultant', 'seller') THEN 10000 END,
            CASE WHEN t.type IN ('consultant', 'seller') THEN 20000 + n %% 500000 END,
            '', '', false,
            CASE WHEN t.type = 'salesman' THEN 5 + n %% 20 END,
            CASE WHEN t.type = 'salesman' THEN 'referral_link' ELSE '' END,
            now() - n * interval '1 minute', now(), now() - n * interval '1 minute',
            CASE WHEN n %% 4 = 0 THEN ARRAY[]::varchar[]
                 ELSE ARRAY[(%s::text[])[1 + n %% 8], (%s::text[])[1 + (n * 5) %% 8]]::varchar[] END
        FROM generate_series(1, %s) AS n
        CROSS JOIN LATERAL (SELECT (ARRAY['visibility', 'consultant', 'seller', 'salesman'])[1 + n %% 4] AS type) t
        """,
        [advertiser_id, PLATFORMS, PLATFORMS, count],
    )
    cursor.execute(
        """
        INSERT INTO campaigns_languages (campaign_id, language_id)
        SELECT c.id, (SELECT min(id) FROM languages) + c.id %% 18 FROM campaigns c WHERE c.id %% 3 <> 0
        """,
        [],
    )
    cursor.execute(
        """
        INSERT INTO campaigns_skills (campaign_id, skill_id)
        SELECT c.id, (SELECT min(id) FROM skills) + (c.id + k) %% 14
        FROM campaigns c CROSS JOIN generate_series(0, 1) AS k WHERE c.id %% 2 = 0 OR k = 0
        """,
        [],
    )


def _seed_profile(cursor, user_id: int) -> None:
    """The measured promoter: two languages, three skills, three platforms, past work in 5 categories."""
    cursor.execute("SELECT id FROM promoter_details WHERE user_id = %s", [user_id])
    details_id = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO promoter_languages (promoter_id, language_id, proficiency) "
        "SELECT %s, id, 'native' FROM languages WHERE code IN ('en', 'es') ON CONFLICT DO NOTHING",
        [details_id],
    )
    cursor.execute(
        "INSERT INTO promoter_skills (promoter_id, skill_id, years_experience) "
        "SELECT %s, id, 3 FROM skills ORDER BY id LIMIT 3 ON CONFLICT DO NOTHING",
        [details_id],
    )
    cursor.execute(
        "INSERT INTO follower_estimates (promoter_id, platform, handle, followers, updated_at) VALUES "
        "(%s, 'youtube', '', 12000, now()), (%s, 'instagram', '', 4500, now()), (%s, 'tiktok', '', 80000, now()) "
        "ON CONFLICT (promoter_id, platform) DO UPDATE SET followers = EXCLUDED.followers",
        [details_id, details_id, details_id],
    )
    cursor.execute(
        """
        INSERT INTO promoter_campaigns (public_id, campaign_id, promoter_id, status, tracking_code, budget_held,
            spent_budget, views_generated, joined_at)
        SELECT gen_random_uuid(), id, %s, 'completed', 'bench' || id, 0, 0, 0, now()
        FROM campaigns ORDER BY id LIMIT 5
        """,
        [user_id],
    )
    cursor.execute(
        "UPDATE users SET campaigns_completed = 9, campaigns_cancelled = 1, works_approved = 4, "
        "works_approved_on_time = 4 WHERE id = %s",
        [user_id],
    )


def _print(label: str, timings: list[float], queries: int | None) -> None:
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    per_page = f"  {queries} queries" if queries is not None else ""
    print(
        f"{label:<34} p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms  max {timings[-1]:6.1f} ms"
        f"{per_page}  ({len(timings)} requests)"
    )


def _time_suggestions(advertiser, *, requests: int) -> list[float]:
    from campaigns.matching import promoters_best_match
    from campaigns.models import Campaign

    campaign = Campaign.objects.filter(advertiser=advertiser, campaign_type="consultant").order_by("id")[1]
    promoters_best_match(campaign)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        promoters_best_match(campaign)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _time_ranking(promoter, *, requests: int) -> list[float]:
    """The best-match ranking statement alone (no page around it)."""
    from campaigns.matching import campaigns_best_match, promoter_profile
    from campaigns.models import Campaign

    ranked = campaigns_best_match(Campaign.objects.listed(), promoter_profile(promoter))
    ranked._ranked_ids(0, 12)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        ranked._ranked_ids(0, 12)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--promoters", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database", default="marketplace_bench", help="database to recreate (default %(default)s)")
    args = parser.parse_args()
    url = bench_database_url(args.database)
    database_recreate(url)
    _setup_django(url)
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    advertiser, promoter = _seed(args.campaigns, args.promoters)
    print(
        f"seeded {args.campaigns:,} listed campaigns and {args.promoters:,} promoters"
        f" in {time.perf_counter() - started:.1f} s"
    )
    client = Client()
    client.force_login(promoter)
    for label, url_path in (
        ("marketplace, best match (default)", "/campaigns/"),
        ("marketplace, best match, page 40", "/campaigns/?page=40"),
        ("marketplace, visibility, best", "/campaigns/?type=visibility&order=best"),
        ("marketplace, newest", "/campaigns/?order=newest"),
    ):
        timings, _cpu, queries = _time_page(client, url_path, requests=args.requests)
        _print(label, timings, queries)
    _print("best-match ranking SQL alone", _time_ranking(promoter, requests=args.requests), 1)
    _print("suggested promoters (1 campaign)", _time_suggestions(advertiser, requests=10), None)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
