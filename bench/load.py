"""Throughput with several app servers against one PostgreSQL database.

Two gunicorn instances (2 sync workers each) serve the app on two free loopback ports,
both against the benchmark database. Concurrent clients (threads with ``http.client``,
token-authenticated front-desk users) alternate between the two servers: each searches
one day's availability for a fresh patient, then books one of the first free starts it
was offered. Clients are paired on the same days and clinic, so they race for the same
seats and staff: some bookings must lose (409), none may double-book or fail (5xx).

Afterwards the servers are stopped and SQL checks that no two active holds overlap on any
seat or staff member. Everything stays on 127.0.0.1, is bounded in time, and the server
processes are stopped whatever happens.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from backend.scheduling.booking.models import Hold
from backend.scheduling.resources.choices import ScreeningStatus
from backend.scheduling.resources.models import Clinic, Patient, SessionType

from .dataset import iter_open_days
from .dbsetup import REPO, VAR
from .stats import summary

SERVERS = 2
WORKERS = 2
MAX_REQUESTS_PER_CLIENT = 4_000
CANDIDATES = 6  # clients pick among the first few starts offered, so pairs collide


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, token: str, body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def _servers_start(url: str, log) -> tuple[list[subprocess.Popen], list[int], list[Path]]:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="bench",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="0",
        # Plain HTTP on loopback, as behind a TLS-terminating proxy: no redirect to https.
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="backend.settings",
    )
    processes, ports, logs = [], [], []
    for index in range(SERVERS):
        port = _free_port()
        log_path = VAR / f"bench-load-gunicorn-{index}.log"
        with log_path.open("w") as log_file:
            process = subprocess.Popen(
                [
                    str(gunicorn),
                    "backend.wsgi",
                    "-w",
                    str(WORKERS),
                    "-b",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "60",
                ],
                cwd=REPO,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        processes.append(process)
        ports.append(port)
        logs.append(log_path)
        log(f"  gunicorn {index + 1}: pid {process.pid}, port {port}, {WORKERS} workers")
    return processes, ports, logs


def _servers_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _wait_ready(ports: list[int], token: str, processes, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for port, process in zip(ports, processes, strict=True):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn on port {port} exited with {process.returncode}")
            try:
                status, _, _ = _request(port, "GET", "/api/v1/clinics/", token)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn on port {port} did not answer within {timeout} s")
            time.sleep(0.3)


class Client(threading.Thread):
    def __init__(self, index, *, ports, token, patients, days, session_type, deadline, seed):
        super().__init__(name=f"bench-client-{index}", daemon=True)
        self.index = index
        self.ports = ports
        self.token = token
        self.patients = patients
        self.days = days
        self.session_type = session_type
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.book_ms: list[float] = []
        self.search_ms: list[float] = []
        self.book_status: Counter = Counter()
        self.search_status: Counter = Counter()
        self.errors: Counter = Counter()
        self.conflicts: Counter = Counter()
        self.requests = 0

    def _next_port(self) -> int:
        self.requests += 1
        return self.ports[self.requests % len(self.ports)]

    def run(self) -> None:
        patient_index = day_index = 0
        while time.monotonic() < self.deadline and self.requests < MAX_REQUESTS_PER_CLIENT:
            if patient_index >= len(self.patients) or day_index >= len(self.days):
                break
            patient = self.patients[patient_index]
            day = self.days[day_index].isoformat()
            query = urlencode(
                {
                    "session_type": self.session_type,
                    "patient": patient,
                    "date_from": day,
                    "date_to": day,
                }
            )
            try:
                status, data, ms = _request(
                    self._next_port(), "GET", f"/api/v1/availability/?{query}", self.token
                )
            except OSError as exc:
                self.errors[type(exc).__name__] += 1
                continue
            self.search_ms.append(ms)
            self.search_status[str(status)] += 1
            if status != 200:
                continue
            slots = json.loads(data)["slots"][:CANDIDATES]
            if not slots:
                day_index += 1
                continue
            slot = self.rng.choice(slots)
            body = {"patient": patient, "session_type": self.session_type, "start": slot["start"]}
            try:
                status, data, ms = _request(
                    self._next_port(), "POST", "/api/v1/appointments/", self.token, body
                )
            except OSError as exc:
                self.errors[type(exc).__name__] += 1
                continue
            self.book_ms.append(ms)
            self.book_status[str(status)] += 1
            if status == 201:
                patient_index += 1
            elif status == 409:
                # Refused by the re-check under row locks, or by the exclusion constraint
                # itself ("... at the same moment").
                detail = json.loads(data).get("detail", "")
                self.conflicts["constraint" if "same moment" in detail else "re-check"] += 1


def _patients(clinic: Clinic, count: int) -> list[int]:
    rows = [
        Patient(
            clinic=clinic,
            first_name=f"Load{i}",
            last_name="Bench",
            escort_name="Sam Escort",
            escort_phone="+1 555 0199",
            screening_status=ScreeningStatus.CLEARED,
            rems_enrolled_on=timezone.now().date() - timedelta(days=30),
        )
        for i in range(count)
    ]
    return [p.id for p in Patient.objects.bulk_create(rows, batch_size=2_000)]


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None off Linux."""
    path = Path("/proc/stat")
    if not path.exists():
        return None
    fields = [int(x) for x in path.read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def overlaps(after_hold_id: int) -> dict[str, int]:
    """Active holds created by the load that overlap another active hold on one resource."""
    result = {}
    for column in ("seat_id", "staff_id"):
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT count(*) FROM scheduling_hold a
                JOIN scheduling_hold b
                  ON b.{column} = a.{column} AND b.id <> a.id AND b.active
                 AND b.start < a."end" AND a.start < b."end"
                WHERE a.id > %s AND a.active AND a.{column} IS NOT NULL
                """,
                [after_hold_id],
            )
            result[column.removesuffix("_id")] = cursor.fetchone()[0]
    return result


def load_run(*, url: str, info: dict, seconds: float, clients: int, log=print) -> dict:
    if connection.vendor != "postgresql":
        raise SystemExit("The load test runs on PostgreSQL only.")
    clinics = list(Clinic.objects.filter(id__in=info["clinics"]).order_by("id"))
    session_type = SessionType.objects.get(clinic=None, slug="spravato-session").id
    tokens = [Token.objects.get(user__username=f"bench-load-{i % 8}").key for i in range(clients)]
    pairs = max(1, clients // 2)
    # Days after the in-process cases' windows and inside the dataset (an empty calendar
    # would flatter the figures). The two clients of a pair share clinic and days; pairs on
    # the same clinic take turns through its days.
    today = timezone.now().astimezone(clinics[0].zone).date()
    first = today + timedelta(days=70)
    last = date.fromisoformat(info["last_day"])
    days_by_pair = {}
    for pair in range(pairs):
        clinic = clinics[pair % len(clinics)]
        sharing = [p for p in range(pairs) if p % len(clinics) == pair % len(clinics)]
        days = [d for d in iter_open_days(clinic, first, 400) if d <= last]
        days_by_pair[pair] = days[sharing.index(pair) :: len(sharing)]
    per_client = int(MAX_REQUESTS_PER_CLIENT / 2) + 10
    patients = {
        i: _patients(clinics[(i % pairs) % len(clinics)], per_client) for i in range(clients)
    }
    hold_mark = Hold.objects.order_by("-id").values_list("id", flat=True).first() or 0
    connection.close()  # the servers' connections only, while they run

    processes, ports, logs = _servers_start(url, log)
    try:
        _wait_ready(ports, tokens[0], processes)
        # Every worker imports its views on first use: warm them all up, untimed.
        for port in ports:
            for _ in range(4 * WORKERS):
                _request(port, "GET", "/api/v1/clinics/", tokens[0])
        log(f"  {clients} clients for {seconds:.0f} s, alternating between ports {ports} ...")
        deadline = time.monotonic() + seconds
        threads = [
            Client(
                i,
                ports=ports[i % 2 :] + ports[: i % 2],
                token=tokens[i],
                patients=patients[i],
                days=days_by_pair[i % pairs],
                session_type=session_type,
                deadline=deadline,
                seed=1000 + i,
            )
            for i in range(clients)
        ]
        cpu_before, own_before = _cpu_times(), resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.perf_counter() - started
        cpu_after, own_after = _cpu_times(), resource.getrusage(resource.RUSAGE_SELF)
    finally:
        _servers_stop(processes)
        log("  servers stopped")

    book_ms = [ms for t in threads for ms in t.book_ms]
    search_ms = [ms for t in threads for ms in t.search_ms]
    book_status = sum((t.book_status for t in threads), Counter())
    search_status = sum((t.search_status for t in threads), Counter())
    errors = sum((t.errors for t in threads), Counter())
    conflicts = sum((t.conflicts for t in threads), Counter())
    server_errors = sum(n for s, n in (book_status + search_status).items() if s.startswith("5"))
    other_4xx = sum(n for s, n in book_status.items() if s.startswith("4") and s != "409") + sum(
        n for s, n in search_status.items() if s.startswith("4")
    )
    tracebacks = sum(path.read_text(errors="replace").count("Traceback") for path in logs)
    found = overlaps(hold_mark)
    busy = None
    if cpu_before and cpu_after:
        busy = (cpu_after[0] - cpu_before[0]) / max(1e-9, cpu_after[1] - cpu_before[1])
    own = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
    cores = os.cpu_count() or 1
    created = book_status.get("201", 0)
    result = {
        "servers": SERVERS,
        "workers_per_server": WORKERS,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(book_ms) + len(search_ms),
        "requests_per_second": round((len(book_ms) + len(search_ms)) / elapsed, 1),
        "bookings_per_second": round(created / elapsed, 1),
        "status_counts": dict(book_status),
        "conflicts_by": dict(conflicts),
        "availability_status_counts": dict(search_status),
        "other_4xx": other_4xx,
        "server_errors": server_errors,
        "client_errors": dict(errors),
        "tracebacks_in_server_logs": tracebacks,
        "booking_latency": summary(book_ms),
        "availability_latency": summary(search_ms),
        "overlaps": found,
        "cpu_busy_share": None if busy is None else round(busy, 3),
        "client_cpu_share": round(own / (elapsed * cores), 3),
        "ok": server_errors == 0 and not errors and found == {"seat": 0, "staff": 0},
    }
    log(
        f"  {created} bookings in {elapsed:.1f} s = {result['bookings_per_second']}/s; "
        f"POST statuses {dict(book_status)}; 5xx {server_errors}; overlaps {found}"
    )
    return result
