"""The benchmarks' databases: a database of their own on DATABASE_URL's server, or on the embedded
PostgreSQL server of local runs when DATABASE_URL is unset (as `make run` and `make test` do)."""

import os
from urllib.parse import urlsplit, urlunsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1", "")


def bench_database_url(name: str) -> str:
    """The URL of database `name` on the server the project would use; loopback servers only."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base:
        from campaignplatform.embedded_postgres import database_url

        base = database_url()
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("The benchmarks need PostgreSQL: set DATABASE_URL to a postgres:// URL (or leave it unset).")
    if (parts.hostname or "") not in LOOPBACK:
        raise SystemExit("The benchmarks run against a database on this machine only.")
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_name(url))))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_name(url))))


def database_ensure(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_name(url)]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_name(url))))
