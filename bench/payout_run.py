"""Benchmark: the monthly close and payout run for many promoters, on PostgreSQL.

    python bench/payout_run.py --promoters 100000
    python bench/payout_run.py --promoters 5000 --stripe-latency-ms 300 --stripe-rate-limit 100 \
        --stripe-transfer-rate-limit 25

Without --stripe-* options the Stripe transfer call is a zero-latency stand-in: the figure is the
platform's own cost. With them, the real gateway (stripe client, shared rate budget, 429 backoff)
talks over HTTP to the Stripe simulator, started in this process with that latency and those
rate limits (Stripe's defaults: 100 requests a second live, 25 on POST /v1/transfers), and the
platform's budget is set to the same limits; the bench prints transfers a second and the 429s.

Uses the database `payouts_bench` on DATABASE_URL's server, or on the embedded server when it is unset.

Recreates the database (unless --keep), migrates it, bulk-inserts promoters with earnings last
month (ledger rows included, so the audit holds), then times `payouts.services.period_close`
against a zero-latency stand-in for the Stripe transfer call. Prints wall time (with the machine's
load: the figure moves with what else runs), database queries per promoter and peak memory, then
runs the ledger audit.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import bench_database_url, database_recreate  # noqa: E402

CHUNK = 5000


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")  # dev defaults for secrets; query logging is off below
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaignplatform.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no connection.queries list growing with every query
    import logging

    logging.getLogger("stripe").setLevel(logging.WARNING)  # a line per request otherwise


def _seed(promoters: int, period_mid: datetime.datetime, account_ids=None) -> dict:
    """Promoters earning in the period: 70% over the threshold with a ready Connect account,
    20% below the threshold, 5% without a ready account, 5% held."""
    import time_machine
    from django.db import transaction

    from accounts.models import Role, User
    from billing.models import AccountKind, LedgerAccount, Transaction, TransactionKind
    from campaigns.models import Campaign, CampaignStatus, CampaignType
    from payouts.models import StripeConnectAccount, Wallet

    def amount_for(i):
        return 1000 + (i % 1000) if i % 10 in (0, 1) else 2000 + (i * 37) % 50_000

    total = sum(amount_for(i) for i in range(promoters))
    with time_machine.travel(period_mid, tick=True), transaction.atomic():
        advertiser = User.objects.create(email="bench-advertiser@example.test", role=Role.ADVERTISER)
        campaign = Campaign.objects.create(
            advertiser=advertiser,
            campaign_type=CampaignType.VISIBILITY,
            status=CampaignStatus.ACTIVE,
            title="Bench campaign",
            description="Benchmark",
            target_url="https://example.com",
            start_date=period_mid.date(),
            end_date=period_mid.date() + datetime.timedelta(days=60),
            cpv=300,
            max_views=min(total * 100 // 300 + 100, 100_000_000),
        )
        external = LedgerAccount.objects.create(kind=AccountKind.EXTERNAL, balance=-total)
        budget = LedgerAccount.objects.create(kind=AccountKind.CAMPAIGN_BUDGET, campaign=campaign, balance=0)
        Transaction.objects.create(
            idempotency_key="bench-funding",
            kind=TransactionKind.FUNDING,
            source=external,
            destination=budget,
            amount=total,
        )
        for start in range(0, promoters, CHUNK):
            indexes = range(start, min(start + CHUNK, promoters))
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"bench-promoter-{i}@example.test",
                        role=Role.PROMOTER,
                        firebase_uid=f"bench-{i}",
                        wallet_balance=amount_for(i),
                    )
                    for i in indexes
                ]
            )
            accounts = LedgerAccount.objects.bulk_create(
                [
                    LedgerAccount(kind=AccountKind.PROMOTER_PENDING, user=user, balance=amount_for(i))
                    for i, user in zip(indexes, users, strict=True)
                ]
            )
            Transaction.objects.bulk_create(
                [
                    Transaction(
                        idempotency_key=f"spend:bench-{i}",
                        kind=TransactionKind.SPEND,
                        source=budget,
                        destination=account,
                        amount=amount_for(i),
                    )
                    for i, account in zip(indexes, accounts, strict=True)
                ]
            )
            Wallet.objects.bulk_create(
                [
                    Wallet(
                        user=user,
                        pending_balance=amount_for(i),
                        payout_hold=i % 20 == 3,
                        payout_hold_reason="bench hold" if i % 20 == 3 else "",
                    )
                    for i, user in zip(indexes, users, strict=True)
                ]
            )
            ready = [(i, user) for i, user in zip(indexes, users, strict=True) if i % 20 != 7]
            StripeConnectAccount.objects.bulk_create(
                [
                    StripeConnectAccount(
                        user=user,
                        stripe_account_id=account_ids(i) if account_ids else f"acct_bench{i:010d}",
                        charges_enabled=True,
                        payouts_enabled=True,
                        details_submitted=True,
                        transfers_active=True,
                    )
                    for i, user in ready
                ]
            )
    return {"total_cents": total}


def _zero_latency_gateway():
    from billing import gateway

    def transfer_create(
        *, amount, currency, destination, transfer_group, source_transaction, idempotency_key, metadata, **budget
    ):
        return gateway.Transfer(
            id=f"tr_{idempotency_key}",
            amount=amount,
            currency=currency,
            destination=destination,
            transfer_group=transfer_group,
            amount_reversed=0,
            reversed=False,
        )

    gateway.transfer_create = transfer_create


def _simulator_start(args):
    """The Stripe simulator in this process, over HTTP, with no pace yet (the seed creates the
    Connect accounts in it first); `_simulator_pace` turns the limits on."""
    from django.conf import settings

    from billing import gateway
    from stripe_simulator.simulator import StripeSimulator

    sim = StripeSimulator()
    sim.start("127.0.0.1", 0)
    settings.STRIPE_API_BASE = sim.base_url
    settings.STRIPE_SECRET_KEY = sim.api_key
    # 429s reach the run's own backoff (and are counted) rather than the client's retries.
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_RATE_LIMIT_PER_SECOND = args.stripe_rate_limit
    settings.STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = args.stripe_transfer_rate_limit
    gateway._client.cache_clear()
    return sim


def _simulator_accounts(sim, promoters: int):
    """A ready Connect account in the simulator for each promoter the seed makes ready."""
    from billing import gateway

    ids = {}
    for i in range(promoters):
        if i % 20 == 7:
            continue
        account = gateway.account_create_express(
            email=f"bench-promoter-{i}@example.test", country="US", metadata={}, idempotency_key=None
        )
        sim.complete_onboarding(account.id)
        ids[i] = account.id
    return ids.__getitem__


def _simulator_pace(sim, args, total_cents: int) -> None:
    sim.add_balance(total_cents)
    sim.configure(
        latency_ms=args.stripe_latency_ms,
        latency_jitter_ms=args.stripe_latency_jitter_ms,
        rate_limit=args.stripe_rate_limit,
        endpoint_rate_limits={"POST /v1/transfers": args.stripe_transfer_rate_limit},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promoters", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="Default: payouts_bench (bench/database.py).")
    parser.add_argument("--keep", action="store_true", help="Reuse the database as it is (no recreate/seed).")
    parser.add_argument("--batch-size", type=int, default=None, help="Override payouts.services.BATCH_SIZE.")
    parser.add_argument("--tracemalloc", action="store_true", help="Also trace Python allocations (slower).")
    parser.add_argument("--stripe-latency-ms", type=float, default=None, help="Real gateway + simulator.")
    parser.add_argument("--stripe-latency-jitter-ms", type=float, default=0)
    parser.add_argument("--stripe-rate-limit", type=float, default=100, help="Requests a second, all endpoints.")
    parser.add_argument("--stripe-transfer-rate-limit", type=float, default=25, help="POST /v1/transfers a second.")
    args = parser.parse_args()
    paced = args.stripe_latency_ms is not None
    if paced and args.keep:
        parser.error("--keep needs the simulator's accounts from the same seed: not with --stripe-latency-ms")
    args.database_url = args.database_url or bench_database_url("payouts_bench")

    if not args.keep:
        database_recreate(args.database_url)
    _setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from billing.audit import ledger_audit
    from payouts import services
    from payouts.models import PayoutRecord, PayoutRun, PayoutStatus

    sim = _simulator_start(args) if paced else None
    period = services.period_previous(services.period_of(timezone.now()))
    if not args.keep:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        accounts = _simulator_accounts(sim, args.promoters) if paced else None
        seeded = _seed(
            args.promoters, datetime.datetime(period.year, period.month, 15, 12, tzinfo=datetime.UTC), accounts
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have, on a database that grew over time
        print(
            f"seeded {args.promoters} promoters ({seeded['total_cents']} cents pending) "
            f"in {time.perf_counter() - started:.1f}s"
        )
    if paced:
        _simulator_pace(sim, args, seeded["total_cents"])
    else:
        _zero_latency_gateway()
    if args.batch_size:
        services.BATCH_SIZE = args.batch_size

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    if args.tracemalloc:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    load_before = os.getloadavg()[0]
    cpu_before = os.times()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        report = services.period_close(period=period)
    elapsed = time.perf_counter() - started
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = report.run
    print(
        f"close of {period:%Y-%m}: {elapsed:.1f}s wall time "
        f"(machine load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} CPUs)"
    )
    print(
        f"  released {report.released_cents} cents to {report.released_promoters} promoters; "
        f"{report.summaries} statements"
    )
    print(
        f"  payouts: {run.records_created} records, {run.paid} paid ({run.paid_cents} cents), {run.failed} failed, "
        f"skipped {dict(run.skipped)}"
    )
    print(f"  queries: {queries} ({queries / max(args.promoters, 1):.3f} per promoter)")
    # Less sensitive than wall time to what else runs: this process's own CPU (not PostgreSQL's).
    print(f"  CPU time of this process: {cpu:.1f}s")
    if paced:
        progress = PayoutRun.objects.get(period=period)
        print(
            f"  Stripe at {args.stripe_latency_ms:.0f} ms, {args.stripe_rate_limit:g}/s global, "
            f"{args.stripe_transfer_rate_limit:g}/s transfers: {run.paid / elapsed:.1f} transfers/s over the whole "
            f"close ({progress.per_second:.1f}/s while sending), {sim.pace.limited} answered 429 "
            f"({progress.rate_limited} seen by the run), {run.failed} payouts marked failed"
        )
    print(f"  peak RSS: {rss_after / 1024:.0f} MiB (before the close: {rss_before / 1024:.0f} MiB)")
    if args.tracemalloc:
        print(f"  peak traced Python memory: {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB")

    started = time.perf_counter()
    queries = 0
    with connection.execute_wrapper(count):
        again = services.period_close(period=period)
    print(
        f"second close: {time.perf_counter() - started:.1f}s, released {again.released_cents}, "
        f"paid {again.run.paid}, {queries} queries"
    )
    assert again.released_cents == 0 and again.run.paid == 0
    assert PayoutRecord.objects.filter(status=PayoutStatus.PAID).count() == run.paid
    started = time.perf_counter()
    audit = ledger_audit()
    print(
        f"ledger audit: {'clean' if audit.clean else audit.differences[:5]} "
        f"({audit.transactions} transactions, {time.perf_counter() - started:.1f}s)"
    )


if __name__ == "__main__":
    main()
