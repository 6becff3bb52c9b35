"""Benchmark the Visibility redirect against a bare Django redirect, on PostgreSQL behind gunicorn.

    .venv/bin/python bench/tracking.py [--requests 20000] [--concurrency 32] [--workers 2] [--threads 8]

Uses its own database (`campaignplatform_bench` on DATABASE_URL's server, or on the embedded
server when it is unset: bench/database.py), migrated on start; the tracking tables
are emptied and vacuumed first, so runs start alike. Both targets run on the same gunicorn
(2 workers x 8 threads by default), over the same keep-alive connections spread evenly over the
workers (see `balanced_connections`). Serves the site on loopback only, drives `/bare/<code>`
(same middleware, no tracking) and `/v/<code>` with distinct visitors (X-Forwarded-For varies;
one trusted proxy), prints requests per second and p50/p99 latency for both and their ratio.
Then it checks the cap: the campaign is funded for fewer views than the benchmark sends, and
must end at exactly its max_views with view_stats and views_generated in step. Those are read
after gunicorn has stopped (SIGTERM), so the check also proves that clicks a worker had queued
(tracking/writer.py) were written when it stopped.
"""

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and its name would hide the
# `tracking` app: look modules up from the project root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
from bench.database import bench_database_url, database_ensure  # noqa: E402

MAX_REQUESTS = 200_000
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def django_setup(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.tracking_settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def reset_tracking_tables():
    """Start every run from the same state: drop the visitor, rate-limit and stats rows of earlier
    runs (this database is the benchmark's own) and vacuum the rows every click updates. Without
    it each run measures the bloat the previous ones left behind (and a server may run with
    autovacuum off, as the shared development one does)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE unique_views, tracking_rate_limits, view_stats")
        for table in ("campaigns", "promoter_campaigns", "view_stats", "unique_views", "tracking_rate_limits"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def fixture(max_views: int):
    """A fresh active Visibility campaign and one promoter's participation. (The redirect needs
    no money; funding is billing's and is not what is measured.)"""
    import datetime
    import uuid

    from django.utils import timezone

    from accounts.models import Role, User
    from campaigns.models import Campaign, CampaignStatus, CampaignType, PromoterCampaign

    tag = uuid.uuid4().hex[:8]
    advertiser = User.objects.create(email=f"bench-adv-{tag}@example.test", role=Role.ADVERTISER)
    promoter = User.objects.create(email=f"bench-pro-{tag}@example.test", role=Role.PROMOTER)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        advertiser=advertiser,
        campaign_type=CampaignType.VISIBILITY,
        status=CampaignStatus.ACTIVE,
        title=f"Bench {tag}",
        description="bench",
        target_url="https://example.com/product",
        start_date=today,
        end_date=today + datetime.timedelta(days=30),
        cpv=300,
        max_views=max_views,
        published_at=timezone.now(),
    )
    participation = PromoterCampaign.objects.create(campaign=campaign, promoter=promoter)
    return campaign, participation


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "campaignplatform.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    server = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603 (our own venv binary)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    sys.exit("gunicorn did not start")


def stop_server(server: subprocess.Popen):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


async def _read_response(reader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def balanced_connections(port: int, concurrency: int, workers: int) -> list:
    """`concurrency` keep-alive connections, the same number held by each gunicorn worker.

    A gthread worker serves every request of the connections it accepted, and which worker
    accepts a burst of new connections is luck: one may take 25 of 32 and run at one core's
    speed while the other idles. Measured both ways, that luck moved the bare redirect between
    2,800 and 6,700 req/s. So connections are opened, asked which worker holds them, and kept
    only while that worker has less than its share.
    """
    share = -(-concurrency // workers)
    held: dict[str, list] = {}
    kept, spare = [], []
    for _attempt in range(concurrency * 50):
        if len(kept) == concurrency:
            break
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /bench/worker HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _status, body = await _read_response(reader)
        pid = body.decode()
        if len(held.setdefault(pid, [])) < share:
            held[pid].append(writer)
            kept.append((reader, writer))
        else:
            spare.append(writer)  # kept open until the end, so the next one goes elsewhere
    for writer in spare:
        writer.close()
    if len(kept) < concurrency:
        sys.exit(f"could not balance {concurrency} connections over {workers} workers: {held}")
    return kept


def _cpu_seconds(processes: list) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except Exception:  # noqa: S112 (a process that exited meanwhile: its time is gone either way)
            continue
    return total


# PostgreSQL processes that work for every database: their CPU counts too.
POSTGRES_SHARED = ("walwriter", "checkpointer", "background writer", "autovacuum launcher")


class ServerCpu:
    """CPU time spent by gunicorn (master, workers and their threads) and by PostgreSQL (this
    database's backends and autovacuum, and the server's WAL and checkpoint writers), so each
    target's cost per request can be read apart from what other programs on a shared machine
    take: req/s moves with the neighbours' load, CPU per request much less."""

    def __init__(self, server: subprocess.Popen, postmaster_pid: int | None, database: str):
        import psutil

        self._gunicorn = psutil.Process(server.pid)
        self._postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None
        self._database = f" {database} "

    def _postgres(self) -> list:
        if self._postmaster is None:
            return []
        mine = []
        for process in self._postmaster.children():
            try:
                title = " ".join(process.cmdline()) + " "
            except Exception:  # noqa: S112 (exited meanwhile)
                continue
            if self._database in title or any(name in title for name in POSTGRES_SHARED):
                mine.append(process)
        return mine

    def sample(self) -> dict:
        gunicorn = [self._gunicorn, *self._gunicorn.children(recursive=True)]
        return {"gunicorn": _cpu_seconds(gunicorn), "postgres": _cpu_seconds(self._postgres())}


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, if it runs on this machine (the benchmark's
    database is always on loopback) and this user may read it."""
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        return psutil.Process(backend).ppid()
    except psutil.Error:
        return None


def measured(cpu: ServerCpu, run) -> dict:
    before = cpu.sample()
    row = asyncio.run(run)
    after = cpu.sample()
    for name in before:
        row[f"{name}_us"] = (after[name] - before[name]) / row["requests"] * 1e6
    return row


async def drive(port: int, path: str, total: int, concurrency: int, workers: int, first_visitor: int) -> dict:
    """`total` GETs over `concurrency` keep-alive connections spread evenly over the workers;
    visitor n sends X-Forwarded-For 10.x.y.z."""
    latencies, statuses = [], {}
    counter = iter(range(total))

    async def connection_loop(reader, writer):
        try:
            for n in counter:
                visitor = first_visitor + n
                ip = f"10.{(visitor >> 16) & 255}.{(visitor >> 8) & 255}.{visitor & 255}"
                request = (
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UA}\r\n"
                    f"X-Forwarded-For: {ip}\r\nAccept: text/html\r\n\r\n"
                ).encode()
                started = time.perf_counter()
                writer.write(request)
                status, _body = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    connections = await balanced_connections(port, concurrency, workers)
    started = time.perf_counter()
    await asyncio.gather(*(connection_loop(reader, writer) for reader, writer in connections))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help=f"per target (max {MAX_REQUESTS})")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="alternating bare/tracking rounds (best of)")
    args = parser.parse_args()
    total = max(100, min(args.requests, MAX_REQUESTS))

    load_before = os.getloadavg()  # other work on the machine, before this run adds its own
    url = bench_database_url("campaignplatform_bench")
    database_ensure(url)
    django_setup(url)
    from django.db import connection
    from django.db.models import Sum

    from campaigns.models import Campaign, PromoterCampaign
    from tracking.models import ViewStat

    # Funded for fewer views than are sent, so the cap is hit under full concurrency.
    max_views = total * args.rounds * 3 // 4
    reset_tracking_tables()
    campaign, participation = fixture(max_views)
    postgres = postmaster_pid()
    connection.close()

    # gunicorn also reads the project's gunicorn.conf.py (production): no access log per request here.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.tracking_settings",
        "GUNICORN_ACCESS_LOG": "false",
    }
    port = free_port()
    server = start_server(port, args.workers, args.threads, env)
    cpu = ServerCpu(server, postgres, "campaignplatform_bench")
    code = participation.tracking_code
    try:
        warm = asyncio.run(drive(port, f"/bare/{code}", 500, args.concurrency, args.workers, 0))
        assert warm["statuses"] == {302: 500}, warm
        results = {"bare": [], "tracking": []}
        visitor = 0
        for _round in range(args.rounds):
            results["bare"].append(
                measured(cpu, drive(port, f"/bare/{code}", total, args.concurrency, args.workers, 0))
            )
            results["tracking"].append(
                measured(cpu, drive(port, f"/v/{code}", total, args.concurrency, args.workers, visitor))
            )
            visitor += total
    finally:
        stop_server(server)

    bare = max(results["bare"], key=lambda r: r["rps"])
    tracking = max(results["tracking"], key=lambda r: r["rps"])
    before, after = (" ".join(f"{value:.2f}" for value in load) for load in (load_before, os.getloadavg()))
    print(
        f"gunicorn gthread {args.workers}x{args.threads} on 127.0.0.1, PostgreSQL, {args.concurrency} connections; "
        f"{os.cpu_count()} CPUs, load average {before} before the run, {after} after"
    )
    print(
        f"{'target':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'gunicorn CPU us/req':>21}{'PostgreSQL CPU us/req':>23}  statuses"
    )
    for name, row in (("bare", bare), ("tracking", tracking)):
        print(
            f"{name:<10}{row['requests']:>10}{row['rps']:>10.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{row['gunicorn_us']:>21.0f}{row['postgres_us']:>23.0f}  {row['statuses']}"
        )
    ratio = tracking["rps"] / bare["rps"]
    print(
        f"throughput ratio tracking/bare: {ratio:.2f}x (target >= 0.90)  p99 tracking: {tracking['p99_ms']:.1f} ms "
        "(target < 50)"
    )

    campaign = Campaign.objects.get(pk=campaign.pk)
    stats = ViewStat.objects.filter(participation=participation).aggregate(
        paid=Sum("paid_views"), requests=Sum("requests"), cap=Sum("rejected_cap"), inactive=Sum("rejected_inactive")
    )
    generated = PromoterCampaign.objects.get(pk=participation.pk).views_generated
    sent = sum(r["requests"] for r in results["tracking"])
    print(
        f"cap: max_views={campaign.max_views} paid_views={campaign.paid_views} view_stats.paid={stats['paid']} "
        f"views_generated={generated} requests={stats['requests']}/{sent} rejected_cap={stats['cap']}"
    )
    ok = campaign.paid_views == campaign.max_views == stats["paid"] == generated and stats["requests"] == sent
    print("cap never exceeded, counters in step" if ok else "CAP OR COUNTERS WRONG")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
