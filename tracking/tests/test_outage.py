"""The database stops for 30 seconds while clicks keep coming (issue 20, item 5).

A web process (tracking/tests/outage_load.py, in its own process) serves clicks through Django's
whole stack from four threads, on a PostgreSQL server of this test's own; the server is shut down
(fast: sessions ended, a batch in flight rolled back) for 30 s and started again. Meanwhile the
redirects keep answering from the link cache, the writer holds its queue, then spills to disk.
Afterwards every answered click is counted exactly once and the cap is exact: the campaign was
funded for fewer views than were sent, and reaches its cap while the spilled clicks are written
back.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tracking.tests.throwaway_postgres import ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent.parent
OUTAGE_SECONDS = 30
CLICKS_PER_SECOND = 150
MAX_VIEWS = 3_000  # about 20 s of clicks: reached while the outage's clicks are written back
MAX_QUEUED = 500  # a few seconds of clicks in memory; the rest of the outage spills


@pytest.fixture
def server(db):
    source = dict(connection.settings_dict)  # the test database: its schema is copied
    pg = ThrowawayPostgres()
    try:
        pg.start()
        pg.copy_schema(source, "outage")
        yield pg
    finally:
        pg.remove()


def _line(process, prefix: str) -> dict:
    line = process.stdout.readline()
    assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}; stderr: {process.stderr.read()[-3000:]}"
    return json.loads(line[len(prefix) :])


def _spilled_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_thirty_seconds_without_the_database_under_load_lose_and_repeat_no_click(server, tmp_path):
    spill = tmp_path / "spill"
    env = {
        **os.environ,
        "DATABASE_URL": server.url("outage"),
        "TRACKING_SPILL_DIR": str(spill),
        "TRACKING_WRITER_MAX_QUEUED": str(MAX_QUEUED),
    }
    load = subprocess.Popen(  # noqa: S603 (this interpreter, the project's module)
        [sys.executable, "-m", "tracking.tests.outage_load", str(MAX_VIEWS), str(CLICKS_PER_SECOND)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ids = _line(load, "ready ")
        time.sleep(3)  # clicks written as they come
        server.stop()
        stopped = time.monotonic()
        spilled = 0
        while time.monotonic() - stopped < OUTAGE_SECONDS:
            time.sleep(1)
            spilled = max(spilled, _spilled_bytes(spill))
        server.start()
        time.sleep(3)  # clicks of the outage written back, new ones behind them
        load.stdin.write("stop\n")
        load.stdin.flush()
        done = _line(load, "done ")
        assert load.wait(timeout=60) == 0
    finally:
        if load.poll() is None:
            load.kill()

    sent = done["statuses"].pop("302")
    print(f"outage: {sent} clicks answered, {spilled} bytes spilled at most")
    assert done["statuses"] == {}, "every click was answered with its redirect"
    assert (done["written"], done["dropped"], done["failed"]) == (True, 0, 0)
    assert spilled > 0, "the outage outlasted the in-memory queue: clicks went to disk"
    assert sent > MAX_VIEWS + 1_000
    with psycopg.connect(server.url("outage")) as conn:
        paid_views, max_views = conn.execute(
            "SELECT paid_views, max_views FROM campaigns WHERE id = %s", [ids["campaign"]]
        ).fetchone()
        requests, paid, capped = conn.execute(
            "SELECT sum(requests), sum(paid_views), sum(rejected_cap) FROM view_stats WHERE participation_id = %s",
            [ids["participation"]],
        ).fetchone()
        generated = conn.execute(
            "SELECT views_generated FROM promoter_campaigns WHERE id = %s", [ids["participation"]]
        ).fetchone()[0]
        visitors = conn.execute(
            "SELECT count(*) FROM unique_views WHERE participation_id = %s", [ids["participation"]]
        ).fetchone()[0]
    assert requests == sent, "each answered click counted once: none lost, none twice"
    assert visitors == sent
    assert paid_views == max_views == paid == generated == MAX_VIEWS
    assert capped == sent - MAX_VIEWS
    assert not any(path.is_file() and path.stat().st_size for path in spill.rglob("*")), "spill files written back"
