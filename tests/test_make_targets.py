"""The Makefile parses and names every documented target (dry runs: nothing executes)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [
    "run",
    "test",
    "lint",
    "fmt",
    "migrate",
    "demo",
    "clean",
    "bench",
    ".venv",
    "backup",
]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_dry_run(*args: str) -> subprocess.CompletedProcess:
    # Under `make test`, the outer make's flags and variables must not leak in.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(
        ["make", "--dry-run", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("target", TARGETS)
def test_make_target_dry_runs(target):
    result = make_dry_run(target)

    assert result.returncode == 0, result.stderr


def test_make_run_serves_on_the_given_port_after_loading_the_demo():
    result = make_dry_run("run", "PORT=8123")

    assert "loaddata fixtures/demo.json" in result.stdout
    assert "runserver 127.0.0.1:8123" in result.stdout
    assert result.stdout.index("migrate --noinput") < result.stdout.index("loaddata")


def test_make_token_prints_the_named_users_token_with_local_settings():
    result = make_dry_run("token", "USER=frontdesk")

    assert result.returncode == 0, result.stderr
    assert "manage.py apitoken 'frontdesk'" in result.stdout


def test_make_token_without_a_user_says_how():
    result = subprocess.run(
        ["make", "--no-print-directory", "token"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}},
        timeout=60,
    )

    assert result.returncode != 0
    assert "usage: make token USER=<username>" in result.stderr


def test_make_test_passes_pytest_args_through():
    result = make_dry_run("test", "PYTEST_ARGS=-k demo")

    assert ".venv/bin/pytest -k demo" in result.stdout


def test_make_backup_and_restore_run_the_backup_commands():
    backup = make_dry_run("backup", "FILE=var/backups/monday.sqlite3")
    restore = make_dry_run("restore", "FILE=var/backups/monday.sqlite3")

    assert backup.returncode == 0, backup.stderr
    assert "manage.py backup --output 'var/backups/monday.sqlite3'" in backup.stdout
    assert restore.returncode == 0, restore.stderr
    assert "manage.py restore 'var/backups/monday.sqlite3' --yes" in restore.stdout


def test_make_restore_without_a_file_says_how():
    result = subprocess.run(
        ["make", "--no-print-directory", "restore"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}},
        timeout=60,
    )

    assert result.returncode != 0
    assert "usage: make restore FILE=<backup file>" in result.stderr
