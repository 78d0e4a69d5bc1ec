"""`manage.py check --deploy` is clean with the production settings the README documents.

The environment is read from the README's "Running in production" block (its `export`
lines), with a real random SECRET_KEY in place of the placeholder; the check runs in a
fresh process on the production settings module, as a deployment would.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def documented_production_environment() -> dict[str, str]:
    text = README.read_text()
    section = text.split("## Running in production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    env = {}
    for line in block.splitlines():
        match = re.match(r"export (\w+)=(\S*)", line.strip())
        if match:
            env[match.group(1)] = match.group(2)
    return env


def check_deploy(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
        and key not in {"DATABASE_URL", "REVERSE_PROXY_COUNT", "SESSION_IDLE_MINUTES"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **base,
            **env,
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def production_env() -> dict[str, str]:
    env = documented_production_environment()
    assert env["SECRET_KEY"] == "..."  # the README's placeholder
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_the_readme_documents_the_https_settings(production_env):
    assert production_env["SECURE_HSTS_SECONDS"] == "31536000"
    assert {"ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_INCLUDE_SUBDOMAINS"} <= set(
        production_env
    )
    assert "DEBUG" not in production_env


def test_check_deploy_is_clean_with_the_documented_settings(tmp_path, production_env):
    result = check_deploy(tmp_path, production_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_hsts(tmp_path, production_env):
    """The check above would notice a missing setting: without HSTS it warns."""
    del production_env["SECURE_HSTS_SECONDS"]

    result = check_deploy(tmp_path, production_env)

    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
