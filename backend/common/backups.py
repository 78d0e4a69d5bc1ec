"""Backups of the whole database, and restoring one (``make backup``, ``make restore``).

- SQLite: the online backup API, page by page under SQLite's own locking, so a backup
  taken while the app serves is consistent (WAL included) and a restore replaces the
  database as one write (the app waits for it like for any writer).
- PostgreSQL: ``pg_dump --format=custom`` (consistent: one snapshot) and ``pg_restore
  --clean --if-exists --single-transaction`` (all of it or nothing).

Everything goes: appointments, holds, plans, the audit trail and the access log, tokens,
webhook secrets. A backup file is as sensitive as the database (docs/operations.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections


class BackupError(Exception):
    pass


def _database(alias: str = "default") -> dict:
    return settings.DATABASES[alias]


def _is_sqlite(db: dict) -> bool:
    return db["ENGINE"] == "django.db.backends.sqlite3"


def default_backup_path(now: datetime | None = None, alias: str = "default") -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if _is_sqlite(_database(alias)) else "pgdump"
    return Path(settings.VAR_DIR) / "backups" / f"kap-{stamp}.{suffix}"


def _pg_environment(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def database_backup(target: Path, alias: str = "default") -> Path:
    """Write a consistent copy of the database to ``target`` (made anew)."""
    db = _database(alias)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} exists already; choose another file.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if _is_sqlite(db):
            source = sqlite3.connect(str(db["NAME"]), timeout=30)
            copy = sqlite3.connect(partial)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(partial),
                    db["NAME"],
                ],
                _pg_environment(db),
            )
        # Only a finished backup gets its name: a crash leaves a .partial, never a
        # truncated file that looks whole.
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def database_restore(source: Path, alias: str = "default") -> None:
    """Replace the whole database with the backup ``source``: all of it, or nothing."""
    if not source.is_file():
        raise BackupError(f"No backup at {source}.")
    db = _database(alias)
    connections[alias].close()
    if _is_sqlite(db):
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            check = backup.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{source} is not a sound SQLite database: {check}")
            live = sqlite3.connect(str(db["NAME"]), timeout=60)
            try:
                backup.backup(live)
            finally:
                live.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from exc
        finally:
            backup.close()
        return
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            db["NAME"],
            str(source),
        ],
        _pg_environment(db),
    )
