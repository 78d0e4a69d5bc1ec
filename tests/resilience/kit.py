"""A real site for crash, contention and backup tests: a SQLite database with the demo
clinic, and gunicorn servers on it, in processes of their own (as production runs).

These tests need no pytest-django database: each works on its own copy of a database
prepared once per session (``prepared_site``), through HTTP and through SQLite directly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
USERS = {"front_desk": "frontdesk", "clinician": "clinician", "manager": "manager"}


@dataclass
class Site:
    """A database (a SQLite file in ``var_dir``, or the PostgreSQL database ``pg_name``)
    and the API tokens of the demo users."""

    var_dir: Path
    tokens: dict[str, str]
    env_extra: dict[str, str] = field(default_factory=dict)
    pg_name: str | None = None

    @property
    def database(self) -> Path:
        return self.var_dir / "kap.sqlite3"

    @property
    def database_url(self) -> str:
        if self.pg_name:
            return f"postgres:///{self.pg_name}"
        return f"sqlite:///{self.database}"

    def timestamp(self, value: datetime):
        """``value`` as this database's driver writes a Django datetime column."""
        if self.pg_name:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": self.database_url,
                "VAR_DIR": str(self.var_dir),
                "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.env_extra)
        env.update(extra)
        return env

    def manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip()

    def copy_to(self, var_dir: Path) -> Site:
        var_dir.mkdir(parents=True, exist_ok=True)
        if self.pg_name:
            name = f"{self.pg_name}_{var_dir.parent.name}"[:63].replace("-", "_").lower()
            subprocess.run(["dropdb", "--if-exists", name], check=True, capture_output=True)
            subprocess.run(["createdb", "-T", self.pg_name, name], check=True)
            return Site(var_dir, dict(self.tokens), dict(self.env_extra), name)
        # The online backup API copies a consistent database, WAL included.
        source = sqlite3.connect(self.database)
        target = sqlite3.connect(var_dir / "kap.sqlite3")
        with target:
            source.backup(target)
        source.close()
        target.close()
        return Site(var_dir, dict(self.tokens), dict(self.env_extra))

    def drop(self) -> None:
        if self.pg_name:
            subprocess.run(["dropdb", "--if-exists", self.pg_name], check=False)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.pg_name:
            import psycopg

            with psycopg.connect(dbname=self.pg_name) as db:
                return db.execute(sql.replace("?", "%s"), params).fetchall()
        db = sqlite3.connect(self.database, timeout=30)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def execute(self, sql: str, params: tuple = ()) -> int:
        if self.pg_name:
            import psycopg

            with psycopg.connect(dbname=self.pg_name) as db:
                return db.execute(sql.replace("?", "%s"), params).rowcount
        db = sqlite3.connect(self.database, timeout=30)
        try:
            with db:
                return db.execute(sql, params).rowcount
        finally:
            db.close()

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]


def prepare_site(var_dir: Path, pg_name: str | None = None) -> Site:
    site = Site(var_dir, {}, pg_name=pg_name)
    var_dir.mkdir(parents=True, exist_ok=True)
    if pg_name:
        subprocess.run(["dropdb", "--if-exists", pg_name], check=True, capture_output=True)
        subprocess.run(["createdb", pg_name], check=True)
    site.manage("migrate", "--noinput")
    site.manage("loaddata", "fixtures/demo.json")
    site.manage("demo_schedule")
    site.tokens = {role: site.manage("apitoken", user) for role, user in USERS.items()}
    return site


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: object


class Server:
    """gunicorn serving ``site`` on a free port; ``stop()`` (or the context) ends it."""

    def __init__(self, site: Site, *, workers: int = 1, log: Path, **env: str) -> None:
        self.site = site
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "backend.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "300",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=site.env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn exited at start"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not listen within a minute")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        role: str = "front_desk",
        headers: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {self.site.tokens[role]}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        try:
            parsed: object = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(status, got, parsed)


@contextmanager
def serving(site: Site, log: Path, **kwargs):
    server = Server(site, log=log, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def copy_site(prepared: Site, tmp_path: Path) -> Site:
    return prepared.copy_to(tmp_path / "var")


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
