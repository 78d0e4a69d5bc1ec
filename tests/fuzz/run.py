"""Fuzz the API with schemathesis, once per role, against a server this script starts.

    .venv/bin/python -m tests.fuzz.run                  # every role, the CI budget
    FUZZ_SEED=1234 .venv/bin/python -m tests.fuzz.run   # replay a run (the seed is printed)
    FUZZ_ROLES=manager FUZZ_MAX_TIME=300 .venv/bin/python -m tests.fuzz.run

Each role gets a fresh copy of a SQLite database holding the demo clinic (the manager's
run deletes and rewrites rows, which must not change what the next role sees) and a
gunicorn server of its own on it. Schemathesis reads the served schema and runs the
examples, coverage and fuzzing phases with the checks below; any failure fails the run
(exit 1). Nothing is loosened here: a failure is a bug in the app or in its schema.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
ROLES = {"front_desk": "frontdesk", "clinician": "clinician", "manager": "manager"}
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "use_after_free",
    ]
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{var_dir / 'kap.sqlite3'}",
            "VAR_DIR": str(var_dir),
            "SECRET_KEY": "fuzz-only-" + "x" * 50,
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            # The fuzzer sends many wrong passwords to the token endpoint: it must see the
            # lockout (429, documented), but the real users' tokens stay valid anyway.
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return result.stdout.strip()


def _prepare_database(template_dir: Path) -> dict[str, str]:
    """Migrate, load the demo clinic and make a token per role; returns role -> token."""
    env = _env(template_dir)
    _manage(env, "migrate", "--noinput")
    _manage(env, "loaddata", "fixtures/demo.json")
    _manage(env, "demo_schedule")
    return {role: _manage(env, "apitoken", user) for role, user in ROLES.items()}


def _wait_until_up(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before answering")
        try:
            with urllib.request.urlopen(base + "/api/schema/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not answer within a minute")


def _fuzz_role(role: str, token: str, template_dir: Path, seed: int, max_time: int) -> int:
    var_dir = Path(tempfile.mkdtemp(prefix=f"kap-fuzz-{role}-"))
    try:
        for name in os.listdir(template_dir):
            shutil.copy2(template_dir / name, var_dir / name)
        env = _env(var_dir)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        report_dir = ROOT / "test-output" / "fuzz" / role
        report_dir.mkdir(parents=True, exist_ok=True)
        server_log = open(report_dir / "server.log", "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "backend.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                "--log-level",
                "warning",
                # No request-line limit: gunicorn's own 400 for a long URL is a text page
                # the schema cannot describe; a deployment's proxy sets that limit.
                "--limit-request-line",
                "0",
            ],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(base, server)
            command = [
                PYTHON,
                "-m",
                "schemathesis.cli",
                "run",
                f"{base}/api/schema/",
                "--url",
                base,
                "--header",
                f"Authorization: Token {token}",
                "--checks",
                CHECKS,
                "--phases",
                os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful"),
                "--seed",
                str(seed),
                "--max-time",
                str(max_time),
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--suppress-health-check",
                "all",
                "--report",
                "junit",
                "--report-dir",
                str(report_dir),
                "--no-color",
                "--output-sanitize",
                "true",
            ]
            extra = os.environ.get("FUZZ_ARGS", "").split()
            print(f"\n--- schemathesis as {role} (seed {seed}, {max_time} s) ---", flush=True)
            return subprocess.run(command + extra, cwd=ROOT, env=env, check=False).returncode
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            server_log.close()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def main() -> int:
    seed = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(2**31))
    max_time = int(os.environ.get("FUZZ_MAX_TIME", "60"))
    roles = [r for r in os.environ.get("FUZZ_ROLES", ",".join(ROLES)).split(",") if r]
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise SystemExit(f"unknown roles: {', '.join(sorted(unknown))}")
    print(f"fuzz seed: {seed} (replay with FUZZ_SEED={seed})", flush=True)
    template_dir = Path(tempfile.mkdtemp(prefix="kap-fuzz-template-"))
    try:
        tokens = _prepare_database(template_dir)
        failed = [
            role
            for role in roles
            if _fuzz_role(role, tokens[role], template_dir, seed, max_time) != 0
        ]
    finally:
        shutil.rmtree(template_dir, ignore_errors=True)
    print(f"\nfuzz seed: {seed} (replay with FUZZ_SEED={seed})")
    if failed:
        print(f"schemathesis found failures as: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"schemathesis: 0 failures for {', '.join(roles)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
