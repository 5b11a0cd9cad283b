"""A throw-away PostgreSQL server for tests (Debian binaries, run as the postgres user).

Reusable: `with postgres_server() as server: url = server.create_database("name")`.
The binaries are found, not assumed: PG_BIN if set, else the newest installed
`/usr/lib/postgresql/<version>/bin`, else `pg_config --bindir`. Under CI (`CI` or
`COACH_REQUIRE_POSTGRES` set, as `.ci/run` does) a missing server is a failure, never a skip.
Debian's server refuses to run as root, so when the tests run as root `initdb` and `pg_ctl`
run through `runuser -u postgres --`, in a temporary data folder on a free loopback port,
with trust authentication on loopback only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.name.split(".") if p.isdigit())


def find_pg_bin() -> Path:
    """Folder of initdb/pg_ctl/pg_dump: PG_BIN, the newest Debian version, or pg_config's."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = sorted(
        (d for d in DEBIAN_PG_ROOT.glob("*") if (d / "bin" / "initdb").exists()),
        key=_version_key,
    )
    if versions:
        return versions[-1] / "bin"
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip():
            return Path(found.stdout.strip())
    return DEBIAN_PG_ROOT / "bin"


def required() -> bool:
    """True under CI: PostgreSQL tests must run, a missing server fails them."""
    return any(
        os.environ.get(name, "") not in ("", "0") for name in ("CI", "COACH_REQUIRE_POSTGRES")
    )


PG_BIN = find_pg_bin()
PG_USER = "postgres"
START_TIMEOUT_S = 60
COMMAND_TIMEOUT_S = 120


def missing_reason() -> str | None:
    """Why the server cannot be started here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN} (apt-get install -y postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root but `runuser` is missing"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_pg(*args: str) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else list(args)


@dataclass
class PostgresServer:
    port: int
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server for the duration of the block; always stopped and removed after."""
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    root = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user=PG_USER)
    port = free_port()
    run = {"check": True, "timeout": COMMAND_TIMEOUT_S, "capture_output": True}
    subprocess.run(
        _as_pg(
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            PG_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ),
        **run,
    )
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        _as_pg(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        ),
        **run,
    )
    try:
        yield PostgresServer(port, data)
    finally:
        subprocess.run(
            _as_pg(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"),
            check=False,
            timeout=COMMAND_TIMEOUT_S,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
