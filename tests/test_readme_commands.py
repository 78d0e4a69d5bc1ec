"""Every command the README shows works as written, on a fresh clone, in a fresh environment.

The first test lists the README's commands and fails when one appears that this file does
not cover, so a new command cannot slip in untried. The second clones the repository,
lets ``make run`` create its own ``.venv`` from nothing (only Python and make, as the
README promises), and runs the commands in a shell with none of this machine's settings:
no DEBUG, no SECRET_KEY, no DATABASE_URL. It takes minutes (the install), so it runs only
with ``KAP_README_TEST=1``, as .ci/run sets it. Commands that CI runs in steps of their own
(the whole test suite, the benchmarks) are run here in their smallest form.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every command line of the README's ```sh blocks (comments dropped), and where it runs.
HERE = "run by test_the_readme_commands_work_on_a_fresh_clone"
GROUPS = "tests/scheduling/groups/test_group_sessions.py (the same requests, through the API)"
COHORTS = "tests/plans/api/test_cohorts_api.py (the same requests, through the API)"
MOVES = "tests/scheduling/groups/test_group_reschedule.py (the same requests, through the API)"
COVERED = {
    "make run": HERE,
    "make test": HERE + " (one test file; .ci/run runs the whole suite twice)",
    "export DATABASE_URL=postgres://kap:...@db.internal:5432/kap": HERE + " (SQLite instead)",
    "export SECRET_KEY=...": HERE,
    "export ALLOWED_HOSTS=scheduler.example.org": HERE,
    "export CSRF_TRUSTED_ORIGINS=https://scheduler.example.org": HERE,
    "export SECURE_SSL_REDIRECT=1": HERE,
    "export SECURE_HSTS_SECONDS=31536000": HERE,
    "export SECURE_HSTS_INCLUDE_SUBDOMAINS=1": HERE,
    "export SECURE_HSTS_PRELOAD=1": HERE,
    "export REVERSE_PROXY_COUNT=1": HERE,
    "pip install .": HERE,
    "python manage.py check --deploy": HERE,
    "python manage.py migrate --noinput": HERE,
    "python manage.py collectstatic --noinput": HERE,
    "python manage.py createsuperuser": HERE + " (--noinput, from the environment)",
    "gunicorn backend.wsgi --bind 127.0.0.1:8000 --workers 4": HERE + " (another port)",
    "python manage.py tasks_worker": HERE,
    "make backup": HERE,
    "make restore FILE=var/backups/kap-<time>.sqlite3": HERE,
    'curl -X POST http://127.0.0.1:8000/api/v1/auth/token/ -H "Content-Type: application/json"'
    ' -d \'{"username": "frontdesk", "password": "kap-demo-2026"}\'': HERE,
    "make token USER=frontdesk": HERE,
    'curl -H "Authorization: Token <key>" http://127.0.0.1:8000/api/v1/clinics/': HERE,
    'curl -H "Authorization: Token <key>" '
    '"http://127.0.0.1:8000/fhir/R4/Appointment?patient=Patient/7&date=ge2030-01-07'
    '&status=booked"': HERE,
    "make bench": "SIZE=smoke here; .ci/run's benchmark smoke run",
    "SIZE=smoke make bench": HERE,
    ".venv/bin/python -m bench --sizes 10k,100k,1m": "the bench harness of SIZE=smoke make bench",
    "DATABASE_URL=postgres:///kap .venv/bin/python -m bench --load": "bench/ (its own tests)",
    ".venv/bin/python -m bench --only availability,booking --profile": "bench/ (its own tests)",
    ".venv/bin/python -m bench --baseline var/before.json": "bench/ (its own tests)",
    # The group and cohort examples name ids (<id>) a reader fills in from their own data.
    'curl -H "Authorization: Token <key>" -H "Content-Type: application/json" -d'
    ' \'{"session_type": <kap-group-dosing id>, "room": <id>, "start":'
    ' "2030-01-08T09:00:00-05:00", "staff": [<id>, <id>]}\''
    " http://127.0.0.1:8000/api/v1/group-sessions/": GROUPS,
    'curl ... -H "Idempotency-Key: 4f1c" -d \'{"patient": <id>}\''
    " http://127.0.0.1:8000/api/v1/group-sessions/<id>/enroll/": GROUPS,
    'curl ... -d \'{"reason": "Facilitator ill"}\''
    " http://127.0.0.1:8000/api/v1/group-sessions/<id>/cancel/": GROUPS,
    'curl ... -d \'{"start": "2030-01-09T10:00:00-05:00"}\''
    " http://127.0.0.1:8000/api/v1/group-sessions/<id>/reschedule/": MOVES,
    'curl ... "http://127.0.0.1:8000/api/v1/group-sessions/?clinic=1&date_from=2030-01-01'
    '&date_to=2030-01-31"': GROUPS,
    'curl ... -d \'{"template": "kap-group", "clinic": 1, "start_date":'
    ' "2030-01-07", "room": <group room>, "staff": [<id>, <id>]}\''
    " http://127.0.0.1:8000/api/v1/cohorts/": COHORTS,
    "curl ... -d '{\"patient\": <id>}' http://127.0.0.1:8000/api/v1/cohorts/<id>/enroll/": COHORTS,
}


def readme_commands() -> list[str]:
    """The README's shell commands, one per logical line (continuations joined)."""
    commands, block = [], None
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            block = [] if line.strip() == "```sh" and block is None else None
            continue
        if block is None:
            continue
        block.append(line)
        if not line.rstrip().endswith("\\"):
            joined = " ".join(part.rstrip().rstrip("\\").strip() for part in block)
            block.clear()
            command = re.sub(r"\s+#.*$", "", joined).strip()
            command = re.sub(r"\s+", " ", command)
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_every_readme_command_is_covered():
    missing = [command for command in readme_commands() if command not in COVERED]
    stale = [command for command in COVERED if command not in readme_commands()]

    assert missing == [], "README commands this file does not run: add them"
    assert stale == [], "commands no longer in the README: drop them"


# --- the fresh clone ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_env(**extra: str) -> dict[str, str]:
    """A new user's shell: PATH, HOME, locale and proxies; none of this machine's settings."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME", "TERM"}
    env = {k: v for k, v in os.environ.items() if k in keep or k.lower().endswith("_proxy")}
    env.update(extra)
    return env


def sh(command: str, cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listened on {port} within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def group_alive(pgid: int, wait: float = 60) -> bool:
    """Whether a process of the group is still running after ``wait`` seconds of leeway
    (the task worker notices its parent is gone at its next poll)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.5)


@pytest.mark.skipif(
    os.environ.get("KAP_README_TEST") != "1",
    reason="clones the repository and installs a fresh environment (minutes): "
    "KAP_README_TEST=1, as .ci/run sets it",
)
@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("git") is None, reason="needs curl and git"
)
def test_the_readme_commands_work_on_a_fresh_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = fresh_env()
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    # make run: installs .venv, migrates, loads the demo, serves (with its task worker).
    log = tmp_path / "make-run.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(f"{base}/accounts/login/", server, log, timeout=1500)
        assert "frontdesk" in log.read_text()  # the demo logins are printed

        answer = sh(
            f'curl -sf -X POST {base}/api/v1/auth/token/ -H "Content-Type: application/json" '
            '-d \'{"username": "frontdesk", "password": "kap-demo-2026"}\'',
            clone,
            env,
        )
        key = json.loads(answer)["token"]
        assert sh("make --no-print-directory -s token USER=frontdesk", clone, env).strip() == key
        clinics = json.loads(
            sh(f'curl -sf -H "Authorization: Token {key}" {base}/api/v1/clinics/', clone, env)
        )
        assert clinics["count"] >= 1
        bundle = json.loads(
            sh(
                f'curl -sf -H "Authorization: Token {key}" '
                f'"{base}/fhir/R4/Appointment?patient=Patient/7&date=ge2030-01-07&status=booked"',
                clone,
                env,
            )
        )
        assert bundle["resourceType"] == "Bundle"
        assert json.loads(
            sh(f"curl -sf -H 'Authorization: Token {key}' {base}/api/v1/", clone, env)
        )

        backup = sh("make --no-print-directory -s backup", clone, env).strip().splitlines()[-1]
        assert (clone / backup).is_file() or Path(backup).is_file()
        sh(f"make --no-print-directory -s restore FILE={backup}", clone, env)
        assert (
            json.loads(
                sh(f'curl -sf -H "Authorization: Token {key}" {base}/api/v1/clinics/', clone, env)
            )["count"]
            == clinics["count"]
        )
    finally:
        stop(server)
    assert not group_alive(server.pid), "make run left its server or worker running"

    # make test, in its smallest form; SIZE=smoke make bench.
    sh('make --no-print-directory test PYTEST_ARGS="tests/test_api_root.py -q"', clone, env)
    sh("SIZE=smoke make --no-print-directory bench", clone, env, timeout=1200)

    # Running in production, as the README lists it (SQLite in place of PostgreSQL).
    production = fresh_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        SECRET_KEY=os.urandom(40).hex(),
        ALLOWED_HOSTS="scheduler.example.org,127.0.0.1",
        CSRF_TRUSTED_ORIGINS="https://scheduler.example.org",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
        REVERSE_PROXY_COUNT="1",
        VAR_DIR=str(tmp_path / "production-var"),
        DJANGO_SUPERUSER_PASSWORD="a-long-first-password-2026",
    )
    venv = clone / ".venv" / "bin"
    production["PATH"] = f"{venv}:{production['PATH']}"
    sh("pip install --quiet .", clone, production)
    checked = sh("python manage.py check --deploy", clone, production)
    assert "no issues" in checked
    sh("python manage.py migrate --noinput", clone, production)
    sh("python manage.py collectstatic --noinput", clone, production)
    sh(
        "python manage.py createsuperuser --noinput --username admin --email admin@example.org",
        clone,
        production,
    )
    app_port = free_port()
    gunicorn_log = tmp_path / "gunicorn.log"
    with open(gunicorn_log, "w") as out:
        app = subprocess.Popen(
            ["gunicorn", "backend.wsgi", "--bind", f"127.0.0.1:{app_port}", "--workers", "4"],
            cwd=clone,
            env=production,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker_log = tmp_path / "tasks-worker.log"
    with open(worker_log, "w") as out:
        worker = subprocess.Popen(
            ["python", "manage.py", "tasks_worker"],
            cwd=clone,
            env=production,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(app_port, app, gunicorn_log)
        # Behind the proxy: plain HTTP is redirected to HTTPS, the proxy's HTTPS is served.
        redirected = sh(
            f"curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{app_port}/api/v1/",
            clone,
            production,
        )
        assert redirected == "301"
        served = sh(
            f"curl -s -o /dev/null -w '%{{http_code}}' -H 'X-Forwarded-Proto: https' "
            f"-H 'Host: scheduler.example.org' http://127.0.0.1:{app_port}/accounts/login/",
            clone,
            production,
        )
        assert served == "200"
        time.sleep(2)
        assert worker.poll() is None, worker_log.read_text()
    finally:
        stop(app)
        stop(worker)
