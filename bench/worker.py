"""One benchmark run: one size on one database, in its own process.

``python -m bench`` starts one of these per (size, database) because Django binds to one
database per process. It picks the benchmark database (never the developer's), migrates
it, builds or reuses the dataset, runs the cases (or the load test) and writes its results
as JSON for the orchestrator.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import dbsetup
from .config import CASE_NAMES, LOAD_PHASES, size_appointments


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--size", required=True)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--only", default=",".join(CASE_NAMES))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--load-clients", type=int, default=8)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--load-phases", default=",".join(LOAD_PHASES))
    parser.add_argument("--quiet-wait", type=float, default=0)
    parser.add_argument("--build-only", action="store_true")
    return parser.parse_args(argv)


def _log(*parts, **kwargs) -> None:
    kwargs.setdefault("flush", True)
    print(*parts, **kwargs)


def main(argv: list[str] | None = None) -> int:
    args = _args(sys.argv[1:] if argv is None else argv)
    appointments = size_appointments(args.size)
    url = dbsetup.choose(args.db, args.size, base_url=args.base_url or None, rebuild=args.rebuild)
    # The benchmark's own settings: never DEBUG (it would keep every query in memory), a
    # throwaway key, hosts the in-process client and the load test use.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    # Plain HTTP on loopback, as behind a TLS-terminating proxy: no redirect to https.
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings"

    import warnings

    import django

    # WhiteNoise warns once that collectstatic never ran; the API does not serve static files.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from backend.common.db import planner_statistics_refresh

    from . import dataset

    # Public feed URLs are rate limited per token (60 per 10 minutes by default); the
    # benchmark fetches one feed hundreds of times, so it lifts the limit. The limiter's
    # cache round trip still runs on every request.
    settings.FEED_RATE_LIMIT = (10**9, 600)

    _log(f"[{args.size} on {args.db}] database {_safe(url)}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    now = datetime.now(UTC)
    today = now.astimezone(dataset.ZoneInfo(dataset.CLINICS[0][2])).date()
    info = dataset.marker_read()
    why = dataset.marker_usable(info, appointments, today)
    if why is not None:
        _log(f"[{args.size} on {args.db}] building the dataset ({why}) ...")
        if info is not None or dataset.Clinic.objects.exists():
            connection.close()
            dbsetup.choose(args.db, args.size, base_url=args.base_url or None, rebuild=True)
            call_command("migrate", verbosity=0, interactive=False)
        info = dataset.build(appointments, now=now, log=_log)
        _log(
            f"[{args.size} on {args.db}] dataset: {info['appointments']:,} appointments over "
            f"{info['days']} days ({info['first_day']} .. {info['last_day']}), "
            f"built in {info['build_seconds']} s"
        )
    else:
        _log(
            f"[{args.size} on {args.db}] reusing the dataset built on {info['built_on']} "
            f"({info['appointments']:,} appointments, {info['first_day']} .. {info['last_day']})"
        )
        # Rows a killed earlier run may have left behind.
        dataset.run_rows_delete(info["watermarks"])
        # A dataset built before the planner statistics were part of a build, or grown
        # since: what the worker's hourly statistics task keeps true on a live database.
        planner_statistics_refresh()

    result = {
        "size": args.size,
        "db": args.db,
        "db_version": _db_version(connection),
        "appointments": appointments,
        "holds": dataset.Hold.objects.count(),
        "dataset": {k: v for k, v in info.items() if k != "watermarks"},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "code": _code_version(),
    }
    try:
        if args.build_only:
            result["cases"] = []
        elif args.load:
            from .load import load_run

            result["load"] = load_run(
                url=url,
                info=info,
                seconds=args.load_seconds,
                clients=args.load_clients,
                phases=[p for p in args.load_phases.split(",") if p],
                log=_log,
            )
        else:
            from .cases import Context, run_cases

            profile_dir = dbsetup.VAR / "bench-profiles" if args.profile else None
            ctx = Context(
                info,
                smoke=args.size == "smoke",
                profile_dir=profile_dir,
                label=f"{dbsetup.db_suffix(args.size)}-{args.db}",
                quiet_wait=args.quiet_wait,
            )
            only = [name for name in args.only.split(",") if name]
            result["cases"] = [r.as_dict() for r in run_cases(ctx, only, log=_log)]
    finally:
        removed = dataset.run_rows_delete(info["watermarks"])
        _log(f"[{args.size} on {args.db}] cleaned up the run's rows: {removed}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))
    return 0


def _code_version() -> dict:
    """The commit measured and how many files differed from it (read-only git calls)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=dbsetup.REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "modified_files": len(status.splitlines()) if status else 0,
    }


def _db_version(connection) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0].split()[0]
    import sqlite3

    return "SQLite " + sqlite3.sqlite_version


def _safe(url: str) -> str:
    """The URL without a password, for the log."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


if __name__ == "__main__":
    raise SystemExit(main())
