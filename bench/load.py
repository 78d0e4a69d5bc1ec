"""Throughput with several app servers against one PostgreSQL database.

Four phases of the same length, with the same clients. The **floor** (bench.loadfloor)
runs the bare booking transaction straight against PostgreSQL, each client on seats of its
own. Then two gunicorn instances (2 sync workers each) serve the app on two free loopback
ports, both against the benchmark database, and concurrent clients (threads with
``http.client``, token-authenticated front-desk users) alternate between the two servers:

- **direct**: what the floor does, through the app: bare bookings one after another, no
  search in between, each client on days of its own (no racing). For each of its days a
  client POSTs a booking at the day's opening (local midnight, outside the opening hours,
  would be refused as bad input, 400); on 201 it books the next patient at the same start
  (the app picks another free seat), on 409 it goes to the ``next_free_start`` the answer
  names while that is on the same day, else to its next day. A client that has been
  through all its days stops early; the phase's rate is over the time it ran.
- **book**: each client searches one day's availability for a fresh patient, then books one
  of the first free starts it was offered. Clients are paired on the same days and clinic,
  so they race for the same seats and staff: some bookings must lose (409), none may
  double-book or fail (5xx).
- **mixed** (bench.mixed): searches, idempotent bookings, courses, reschedules, cancels,
  feed polls and board refreshes.

Each phase books on days of its own: book the first half of the open days ahead, mixed the
second half, so each meets the dataset's calendar, not another phase's bookings; direct the
open days after the dataset's last (every dataset day is about full, and a run's rows are
deleted afterwards). The load ratio is direct's bookings per second over the floor's: the floor
does no search, so the comparable app work is a booking with no search; the search + book
ratio is reported beside it.

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
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from backend.common.fields import local_iso
from backend.scheduling.booking.fetch import calendar_of
from backend.scheduling.booking.models import Hold
from backend.scheduling.resources.choices import ScreeningStatus
from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType

from . import cpu
from .config import LOAD_PHASES
from .dataset import iter_open_days
from .dbsetup import REPO, VAR
from .loadfloor import floor_run, share
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
    status, data, ms, _ = request_full(port, method, path, token, body)
    return status, data, ms


def request_full(port, method, path, token, body=None, extra_headers=None):
    """(status, body, milliseconds, lower-cased response headers) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    headers.update(extra_headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, data, (time.perf_counter() - started) * 1000, response_headers
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
        # Each client polls its feeds hundreds of times: lift the per-token limit (its
        # cache round trip still runs on every poll).
        FEED_RATE_LIMIT_REQUESTS=str(10**9),
        # This checkout's code, whatever else the environment has installed.
        PYTHONPATH=str(REPO),
    )
    processes, ports, logs = [], [], []
    VAR.mkdir(parents=True, exist_ok=True)
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
                    "--chdir",
                    str(REPO),
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
        self.cpu_seconds = 0.0

    def _next_port(self) -> int:
        self.requests += 1
        return self.ports[self.requests % len(self.ports)]

    def run(self) -> None:
        started = time.thread_time()
        try:
            self._run()
        finally:
            self.cpu_seconds = time.thread_time() - started

    def _run(self) -> None:
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


class DirectClient(threading.Thread):
    """Bare bookings through the app, one after another over days of its own: no search.

    ``days`` holds ``(day, first start)`` pairs, the start an aware ISO string. A 201 books
    the next patient at the same start; a 409 moves to the ``next_free_start`` it names if
    that is later on the same local day, else to the next day; anything else (or no answer)
    is counted and moves to the next day.
    """

    def __init__(self, index, *, ports, token, patients, days, session_type, zone, deadline):
        super().__init__(name=f"bench-direct-{index}", daemon=True)
        self.ports = ports
        self.token = token
        self.patients = patients
        self.days = days
        self.session_type = session_type
        self.zone = zone
        self.deadline = deadline
        self.book_ms: list[float] = []
        self.book_status: Counter = Counter()
        self.errors: Counter = Counter()
        self.conflicts: Counter = Counter()
        self.requests = 0
        self.days_started = 0
        self.out_of_days = False  # every day done before the deadline
        self.cpu_seconds = 0.0

    def run(self) -> None:
        started = time.thread_time()
        try:
            self._run()
        finally:
            self.cpu_seconds = time.thread_time() - started

    def _next_start(self, data: bytes, day: date, start: str) -> str | None:
        """The 409's next free start if it is later on ``day``, else None (next day)."""
        try:
            following = json.loads(data).get("next_free_start")
        except (ValueError, AttributeError):
            return None
        if not following:
            return None
        when = datetime.fromisoformat(following)
        if when.astimezone(self.zone).date() != day or when <= datetime.fromisoformat(start):
            return None
        return following

    def _run(self) -> None:
        patient_index = 0
        for day, first in self.days:
            self.days_started += 1
            start: str | None = first
            while start is not None:
                if (
                    time.monotonic() >= self.deadline
                    or self.requests >= MAX_REQUESTS_PER_CLIENT
                    or patient_index >= len(self.patients)
                ):
                    return
                body = {
                    "patient": self.patients[patient_index],
                    "session_type": self.session_type,
                    "start": start,
                }
                port = self.ports[self.requests % len(self.ports)]
                self.requests += 1
                try:
                    status, data, ms = _request(
                        port, "POST", "/api/v1/appointments/", self.token, body
                    )
                except OSError as exc:
                    self.errors[type(exc).__name__] += 1
                    break
                self.book_ms.append(ms)
                self.book_status[str(status)] += 1
                if status == 201:
                    patient_index += 1  # the same start again: another seat may be free
                elif status == 409:
                    following = self._next_start(data, day, start)
                    self.conflicts["same day" if following else "day full"] += 1
                    start = following
                else:
                    break
        self.out_of_days = True


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


PHASES = LOAD_PHASES


def _monitor(url: str):
    """A psycopg connection of the benchmark's own, to list the database's backends."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    info = {"dbname": config["NAME"], "autocommit": True}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host")):
        if config.get(key):
            info[name] = str(config[key])
    if config.get("PORT"):
        info["port"] = str(config["PORT"])
    return psycopg.connect(**info)


def _book_phase(*, ports, tokens, patients, days_by_pair, pairs, session_type, seconds, meter):
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
        for i in range(len(tokens))
    ]
    meter.begin()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    book_ms = [ms for t in threads for ms in t.book_ms]
    search_ms = [ms for t in threads for ms in t.search_ms]
    book_status = sum((t.book_status for t in threads), Counter())
    search_status = sum((t.search_status for t in threads), Counter())
    created = book_status.get("201", 0)
    split = meter.end(
        client_seconds=sum(t.cpu_seconds for t in threads),
        requests=len(book_ms) + len(search_ms),
        bookings=created,
    )
    server_errors = sum(n for s, n in (book_status + search_status).items() if s.startswith("5"))
    other_4xx = sum(n for s, n in book_status.items() if s.startswith("4") and s != "409") + sum(
        n for s, n in search_status.items() if s.startswith("4")
    )
    return {
        "seconds": round(elapsed, 1),
        "requests": len(book_ms) + len(search_ms),
        "requests_per_second": round((len(book_ms) + len(search_ms)) / elapsed, 1),
        "bookings_per_second": round(created / elapsed, 1),
        "status_counts": dict(book_status),
        "conflicts_by": dict(sum((t.conflicts for t in threads), Counter())),
        "availability_status_counts": dict(search_status),
        "other_4xx": other_4xx,
        "server_errors": server_errors,
        "client_errors": dict(sum((t.errors for t in threads), Counter())),
        "booking_latency": summary(book_ms),
        "availability_latency": summary(search_ms),
        "cpu": split,
    }


def _day_opening(clinic: Clinic, day: date) -> str:
    """The day's first instant the clinic is open, as the API writes it (local midnight if
    it has no hours that day: the API then refuses it and the client moves on)."""
    windows = calendar_of(clinic).hours.windows_on(day, clinic.timezone)
    start = windows[0].start if windows else datetime.combine(day, clock(0), clinic.zone)
    return local_iso(start, clinic.zone)


def _direct_phase(*, ports, tokens, clinics, patients, days_for, session_type, seconds, meter):
    """Bare bookings through the app: each client over its own days of one clinic."""
    parts = -(-len(tokens) // len(clinics))  # clients per clinic, as the floor spreads them
    threads = []
    for i, token in enumerate(tokens):
        clinic = clinics[i % len(clinics)]
        days = share(days_for(clinic), i // len(clinics), parts)
        threads.append(
            DirectClient(
                i,
                ports=ports[i % 2 :] + ports[: i % 2],
                token=token,
                patients=patients[i],
                days=[(day, _day_opening(clinic, day)) for day in days],
                session_type=session_type,
                zone=clinic.zone,
                deadline=0.0,
            )
        )
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.deadline = deadline
    meter.begin()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    book_ms = [ms for t in threads for ms in t.book_ms]
    status = sum((t.book_status for t in threads), Counter())
    created = status.get("201", 0)
    split = meter.end(
        client_seconds=sum(t.cpu_seconds for t in threads),
        requests=len(book_ms),
        bookings=created,
    )
    return {
        "seconds": round(elapsed, 1),
        "requests": len(book_ms),
        "requests_per_second": round(len(book_ms) / elapsed, 1),
        "bookings_per_second": round(created / elapsed, 1),
        "status_counts": dict(status),
        "conflicts_by": dict(sum((t.conflicts for t in threads), Counter())),
        "other_status": sum(n for s, n in status.items() if s not in ("201", "409")),
        "server_errors": sum(n for s, n in status.items() if s.startswith("5")),
        "client_errors": dict(sum((t.errors for t in threads), Counter())),
        "days_started": sum(t.days_started for t in threads),
        # Clients that booked every day they had before the time was up: the phase then
        # ends early, and its rate is over the time it ran.
        "clients_out_of_days": sum(t.out_of_days for t in threads),
        "booking_latency": summary(book_ms),
        "cpu": split,
    }


def _mixed_phase(*, ports, tokens, manager, clinics, patients, days_for, session_type, seconds,
                 meter, log):  # fmt: skip
    from .dataset import TEMPLATE_SLUG
    from .mixed import WEIGHTS, MixedClient

    # Calendar feeds to poll: each client's first patient's, and one room per clinic.
    room_feeds = {}
    for clinic in clinics:
        room = Room.objects.filter(clinic=clinic, name="Dosing A").first()
        status, data, _ = _request(ports[0], "POST", f"/api/v1/rooms/{room.id}/feed/", manager, {})
        if status == 201:
            room_feeds[clinic.id] = urlsplit(json.loads(data)["url"]).path
    deadline = time.monotonic() + seconds
    threads = []
    for i, token in enumerate(tokens):
        clinic = clinics[i % len(clinics)]
        feeds = [room_feeds[clinic.id]] if clinic.id in room_feeds else []
        status, data, _ = _request(
            ports[0], "POST", f"/api/v1/patients/{patients[i][0]}/feed/", manager, {}
        )
        if status == 201:
            feeds.append(urlsplit(json.loads(data)["url"]).path)
        threads.append(
            MixedClient(
                i,
                request=request_full,
                ports=ports[i % 2 :] + ports[: i % 2],
                token=token,
                clinic_id=clinic.id,
                patients=patients[i],
                days=days_for(clinic),
                session_type=session_type,
                template=TEMPLATE_SLUG,
                feeds=feeds,
                deadline=deadline,
                seed=5000 + i,
            )
        )
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.deadline = deadline
    meter.begin()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    status = {name: dict(sum((t.status[name] for t in threads), Counter())) for name in WEIGHTS}
    requests = sum(t.requests for t in threads)
    created = status["book"].get("201", 0)
    server_errors = sum(n for counts in status.values() for s, n in counts.items() if s[0] == "5")
    lost = [x for t in threads for x in t.lost_replays]
    return {
        "seconds": round(elapsed, 1),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "status_by_action": status,
        "latency_by_action": {
            name: summary([ms for t in threads for ms in t.latency[name]]) for name in WEIGHTS
        },
        "server_errors": server_errors,
        "idempotent_replays": sum(t.replays for t in threads),
        "lost_replays": len(lost),
        "lost_replay_examples": lost[:5],
        "client_errors": dict(sum((t.errors for t in threads), Counter())),
        "cpu": meter.end(
            client_seconds=sum(t.cpu_seconds for t in threads), requests=requests, bookings=created
        ),
    }


def load_run(
    *, url: str, info: dict, seconds: float, clients: int, phases=PHASES, log=print
) -> dict:
    if connection.vendor != "postgresql":
        raise SystemExit("The load test runs on PostgreSQL only.")
    clinics = list(Clinic.objects.filter(id__in=info["clinics"]).order_by("id"))
    session_type = SessionType.objects.get(clinic=None, slug="spravato-session").id
    tokens = [Token.objects.get(user__username=f"bench-load-{i % 8}").key for i in range(clients)]
    manager = Token.objects.get(user__username="bench-manager").key
    pairs = max(1, clients // 2)
    # Days after the in-process cases' windows and inside the dataset (an empty calendar
    # would flatter the figures). Search + book takes the first half of them: the two
    # clients of a pair share clinic and days; pairs on the same clinic take turns through
    # its days. The mixed workload takes the second half; so each phase meets the dataset's
    # calendar, not another phase's bookings. (The floor's bookings are deleted once it has
    # run.)
    today = timezone.now().astimezone(clinics[0].zone).date()
    last = date.fromisoformat(info["last_day"])
    first = today + timedelta(days=70)
    if (last - first).days < 20:  # a small dataset: its own few future days
        first = today + timedelta(days=1)
    open_days = {c.id: [d for d in iter_open_days(c, first, 400) if d <= last] for c in clinics}
    # Every dataset day is about full (two free starts left), and a phase must not run out
    # of free starts before its time is up: the open days after the dataset's last, which
    # the run's clean-up empties again, give the rest. Direct bookings take the first 200
    # of them (a booking's own work hardly depends on how full its day is: its board query
    # reads that day's holds by index, and the in-process booking case measures it on a
    # full day); search + book goes on to the next 200 once its dataset days are booked;
    # the floor, whose rows are deleted as soon as it has run, may use them all.
    after_dataset = {c.id: list(iter_open_days(c, last + timedelta(days=1), 400)) for c in clinics}
    days_by_pair = {}
    for pair in range(pairs):
        clinic = clinics[pair % len(clinics)]
        sharing = [p for p in range(pairs) if p % len(clinics) == pair % len(clinics)]
        days = open_days[clinic.id][: max(1, len(open_days[clinic.id]) // 2)]
        days += after_dataset[clinic.id][200:]
        days_by_pair[pair] = days[sharing.index(pair) :: len(sharing)]

    def direct_days(clinic):
        return after_dataset[clinic.id][:200]

    def later_days(clinic):
        days = open_days[clinic.id]
        return days[len(days) // 2 :] or days

    per_client = int(MAX_REQUESTS_PER_CLIENT / 2) + 10
    patients = {
        i: _patients(clinics[(i % pairs) % len(clinics)], per_client) for i in range(clients)
    }
    direct_patients = {
        i: _patients(clinics[i % len(clinics)], per_client if "direct" in phases else 0)
        for i in range(clients)
    }
    mixed_patients = {i: _patients(clinics[i % len(clinics)], 400) for i in range(clients)}
    hold_mark = Hold.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result: dict = {
        "servers": SERVERS,
        "workers_per_server": WORKERS,
        "clients": clients,
        "phases": list(phases),
        "cpu_measured": cpu.available(),
    }

    if "floor" in phases:
        log(f"  floor: {clients} clients on bare SQL for {seconds:.0f} s ...")
        floor_patients = _patients(clinics[0], clients)
        result["floor"] = floor_run(
            url=url,
            clinics=clinics,
            days_for=lambda clinic: open_days[clinic.id] + after_dataset[clinic.id],
            clients=clients,
            seconds=seconds,
            patients=floor_patients,
            log=log,
        )
    connection.close()  # the servers' connections only, while they run

    processes, ports, logs = _servers_start(url, log)
    monitor = _monitor(url)
    try:
        _wait_ready(ports, tokens[0], processes)
        # Every worker imports its views on first use: warm them all up, untimed.
        for port in ports:
            for _ in range(4 * WORKERS):
                _request(port, "GET", "/api/v1/clinics/", tokens[0])
        with monitor.cursor() as cursor:
            meter = cpu.Meter(
                leaders=[p.pid for p in processes],
                backend_pids=lambda: cpu.database_backends(cursor),
            )
            if "direct" in phases:
                log(f"  direct: {clients} clients booking for {seconds:.0f} s, no search ...")
                result["direct"] = _direct_phase(
                    ports=ports,
                    tokens=tokens,
                    clinics=clinics,
                    patients=direct_patients,
                    days_for=direct_days,
                    session_type=session_type,
                    seconds=seconds,
                    meter=meter,
                )
                direct = result["direct"]
                log(
                    f"  direct: {direct['status_counts'].get('201', 0)} bookings in "
                    f"{direct['seconds']:.1f} s = {direct['bookings_per_second']}/s; "
                    f"POST statuses {direct['status_counts']}; 5xx {direct['server_errors']}; "
                    f"{direct['days_started']} days started, "
                    f"{direct['clients_out_of_days']} clients ran out of days"
                )
            if "book" in phases:
                log(f"  book: {clients} clients for {seconds:.0f} s, ports {ports} ...")
                result["book"] = _book_phase(
                    ports=ports,
                    tokens=tokens,
                    patients=patients,
                    days_by_pair=days_by_pair,
                    pairs=pairs,
                    session_type=session_type,
                    seconds=seconds,
                    meter=meter,
                )
                book = result["book"]
                log(
                    f"  book: {book['status_counts'].get('201', 0)} bookings in "
                    f"{book['seconds']:.1f} s = {book['bookings_per_second']}/s; "
                    f"POST statuses {book['status_counts']}; 5xx {book['server_errors']}"
                )
            if "mixed" in phases:
                log(f"  mixed: {clients} clients for {seconds:.0f} s ...")
                result["mixed"] = _mixed_phase(
                    ports=ports,
                    tokens=tokens,
                    manager=manager,
                    clinics=clinics,
                    patients=mixed_patients,
                    days_for=later_days,
                    session_type=session_type,
                    seconds=seconds,
                    meter=meter,
                    log=log,
                )
                mixed = result["mixed"]
                log(
                    f"  mixed: {mixed['requests']} requests in {mixed['seconds']:.1f} s; "
                    f"statuses {mixed['status_by_action']}; 5xx {mixed['server_errors']}; "
                    f"replays {mixed['idempotent_replays']}, lost {mixed['lost_replays']}"
                )
    finally:
        monitor.close()
        _servers_stop(processes)
        log("  servers stopped")

    result["tracebacks_in_server_logs"] = sum(
        path.read_text(errors="replace").count("Traceback") for path in logs
    )
    result["overlaps"] = overlaps(hold_mark)
    book = result.get("book")
    if book:
        # The original workload's figures stay at the top level (the report's load table).
        result.update({k: v for k, v in book.items() if k not in ("cpu",)})
    floor_rate = result.get("floor", {}).get("bookings_per_second")
    # The load ratio compares like with like: bare bookings through the app over bare
    # bookings in SQL. Search + book does more work per booking; its ratio is kept beside.
    for phase, key in (("direct", "ratio_to_floor"), ("book", "book_ratio_to_floor")):
        if result.get(phase) and floor_rate is not None:
            rate = result[phase]["bookings_per_second"]
            result[key] = round(rate / floor_rate, 3) if floor_rate else None
    server_errors = sum(
        result.get(p, {}).get("server_errors", 0) for p in ("direct", "book", "mixed")
    )
    result["server_errors_all"] = server_errors
    result["ok"] = (
        server_errors == 0
        and result["overlaps"] == {"seat": 0, "staff": 0}
        and result.get("mixed", {}).get("lost_replays", 0) == 0
        and not result.get("floor", {}).get("errors")
    )
    log(
        f"  overlapping holds {result['overlaps']}; 5xx {server_errors}; "
        f"tracebacks {result['tracebacks_in_server_logs']}; ok {result['ok']}"
    )
    return result
