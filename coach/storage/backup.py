"""`coach backup` / `coach restore`: a consistent copy of the database, the media and the spool.

The archive (`.tar.gz`) holds `manifest.json`, the database and the two folders:

- SQLite: `database.sqlite`, taken with SQLite's online backup API (a consistent snapshot while
  the coach keeps running).
- PostgreSQL: `database.pgdump`, `pg_dump --format=custom` (one consistent snapshot); restored
  with `pg_restore` into an existing, empty database.
- `media/` (clips, plots) and `spool/` (red flags not yet replayed) are copied after the
  database snapshot. Clips are content-addressed and never rewritten, so every clip the
  snapshot refers to is in the copy (unless retention deleted it meanwhile; its report stays).

The manifest records the schema revision and a SHA-256 per file; restore checks them, then
brings the schema up to date with the migrations.

| variable | default | meaning |
|---|---|---|
| PG_BIN | (PATH, then newest /usr/lib/postgresql/*/bin) | folder of pg_dump / pg_restore |
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from coach.storage.db import make_engine
from coach.storage.migrate import upgrade

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
CHUNK = 1 << 20
TOOL_TIMEOUT_S = 3600
FORMAT_VERSION = 1


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


@dataclass(frozen=True)
class Locations:
    """Where the coach keeps its state."""

    database_url: str
    media_dir: Path
    spool_dir: Path

    def folders(self) -> list[tuple[str, Path]]:
        """(name in the archive, folder) for the folders a backup carries."""
        return [("media", self.media_dir), ("spool", self.spool_dir)]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    folder = os.environ.get("PG_BIN", "")
    if folder:
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if versions:
        return str(versions[-1])
    raise BackupError(f"{name} not found (install the PostgreSQL client, or set PG_BIN)")


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments and environment (the password never on the command line)."""
    parsed = make_url(url)
    args = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return [*args, "--dbname", parsed.database or "postgres"], env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _dump_database(url: str, folder: Path) -> str:
    """Snapshot the database into `folder`; returns the file name."""
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(folder / SQLITE_FILE)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return SQLITE_FILE
    if url.startswith("postgresql"):
        args, env = _pg_args(url)
        dump = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
        _run([*dump, *args, "--file", str(folder / PG_FILE)], env)
        return PG_FILE
    raise BackupError(f"unsupported database {make_url(url).drivername}")


def backup(archive: Path, where: Locations) -> dict[str, Any]:
    """Write a consistent backup of `where` to `archive` (.tar.gz); returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="coach-backup-") as tmp:
        folder = Path(tmp)
        revision = _revision(where.database_url)
        database = _dump_database(where.database_url, folder)
        files = {database: _sha256(folder / database)}
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder / database, arcname=database)
            for name, source in where.folders():
                if not source.exists():
                    continue
                for path in sorted(p for p in source.rglob("*") if p.is_file()):
                    arcname = f"{name}/{path.relative_to(source).as_posix()}"
                    files[arcname] = _sha256(path)
                    tar.add(path, arcname=arcname)
            manifest = {
                "format": FORMAT_VERSION,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "dialect": make_url(where.database_url).get_backend_name(),
                "schema_revision": revision,
                "database": database,
                "files": files,
            }
            manifest_path = folder / MANIFEST
            manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
            tar.add(manifest_path, arcname=MANIFEST)
    os.chmod(archive, 0o600)  # it holds patient data
    return manifest


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"refusing unsafe archive entry {member.name!r}")
        members.append(member)
    return members


def _restore_database(url: str, dump: Path, *, force: bool) -> None:
    if url.startswith("sqlite"):
        target = _sqlite_path(url)
        if target.exists() and not force:
            raise BackupError(f"{target} exists: restore into a new database, or use --force")
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(target.name + ".restoring")
        shutil.copyfile(dump, temp)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temp, target)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            ).scalar()
    finally:
        engine.dispose()
    if tables and not force:
        raise BackupError("the target database is not empty: restore into a new one, or --force")
    args, env = _pg_args(url)
    restore = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    if force:
        restore += ["--clean", "--if-exists"]
    _run([*restore, *args, "--single-transaction", str(dump)], env)


def restore(archive: Path, where: Locations, *, force: bool = False) -> dict[str, Any]:
    """Restore `archive` into `where` (checksums verified first); returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="coach-restore-") as tmp:
        folder = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(folder, members=_safe_members(tar))
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        for name, digest in manifest["files"].items():
            if _sha256(folder / name) != digest:
                raise BackupError(f"{name} is damaged in the archive (checksum mismatch)")
        wanted = "sqlite" if where.database_url.startswith("sqlite") else "postgresql"
        if manifest["dialect"] != wanted:
            raise BackupError(f"a {manifest['dialect']} backup cannot be restored into {wanted}")
        _restore_database(where.database_url, folder / manifest["database"], force=force)
        for name, target in where.folders():
            source = folder / name
            if source.exists():
                shutil.copytree(source, target, dirs_exist_ok=True)
    upgrade(where.database_url)
    return manifest
