"""Which database a benchmark run uses: its own, never the developer's.

Runs before ``django.setup()``: it decides ``DATABASE_URL`` for the worker process.

- SQLite (default): ``var/bench-<size>.sqlite3`` at the repository root (absolute path).
- PostgreSQL (when the caller's ``DATABASE_URL`` points at one): a database named
  ``<caller's database>_bench_<size>`` (``kap_bench_100k`` for ``postgres:///kap``) on the
  same server, created with psycopg if missing; so people sharing one server each get their
  own benchmark databases.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / "var"


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0] in {"postgres", "postgresql", "pgsql", "postgis"}


def db_suffix(size: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", size.lower()).strip("_")


def sqlite_path(size: str) -> Path:
    return VAR / f"bench-{db_suffix(size)}.sqlite3"


def sqlite_url(size: str) -> str:
    return f"sqlite:///{sqlite_path(size)}"


def postgres_name(size: str, base: str = "kap") -> str:
    return f"{base or 'kap'}_bench_{db_suffix(size)}"


def postgres_url(base_url: str, size: str) -> str:
    """The caller's PostgreSQL URL with the database name replaced (host, user kept)."""
    parts = urlsplit(base_url)
    name = postgres_name(size, parts.path.lstrip("/"))
    if not parts.netloc:  # postgres:///name: the local socket
        return f"{parts.scheme}:///{name}" + (f"?{parts.query}" if parts.query else "")
    return urlunsplit(parts._replace(path="/" + name))


def _maintenance_conninfo(url: str) -> dict:
    import dj_database_url

    config = dj_database_url.parse(url)
    info = {"dbname": "postgres"}
    for key, name in (
        ("USER", "user"),
        ("PASSWORD", "password"),
        ("HOST", "host"),
        ("PORT", "port"),
    ):
        if config.get(key):
            info[name] = str(config[key])
    return info


def postgres_ensure(url: str, *, rebuild: bool) -> bool:
    """Create the benchmark database if missing (drop it first with ``rebuild``).

    Returns True when the database was created now.
    """
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(**_maintenance_conninfo(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    return False


def sqlite_ensure(size: str, *, rebuild: bool) -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    if rebuild:
        path = sqlite_path(size)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def choose(db: str, size: str, *, base_url: str | None, rebuild: bool) -> str:
    """Point ``DATABASE_URL`` at the benchmark database for ``db`` and return the URL."""
    if db == "sqlite":
        sqlite_ensure(size, rebuild=rebuild)
        url = sqlite_url(size)
    elif db == "postgresql":
        if not is_postgres_url(base_url):
            raise SystemExit(
                "PostgreSQL runs need DATABASE_URL=postgres://... (e.g. postgres:///kap)"
            )
        url = postgres_url(base_url, size)
        postgres_ensure(url, rebuild=rebuild)
    else:
        raise SystemExit(f"Unknown database {db!r}: sqlite or postgresql.")
    os.environ["DATABASE_URL"] = url
    return url
