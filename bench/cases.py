"""The measured cases: each request goes through the whole in-process stack.

Requests are made with DRF's ``APIClient`` and a real ``Authorization: Token`` header, so
URL routing, middleware, authentication, role permissions, validation, the service, the
database and serialization are all inside the timed span, exactly as a client sees them
(minus the network and the WSGI server, which the ``--load`` test adds).

For every case: a few untimed warm-up requests, one request whose queries are counted
(``CaptureQueriesContext``, not timed), then the timed repetitions. Cases that write book a
fresh patient or plan each time, at slots found beforehand (untimed) by the same
availability search the front desk uses.
"""

from __future__ import annotations

import cProfile
import os
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.booking.search import availability_search
from backend.scheduling.resources.choices import ScreeningStatus
from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType

from . import floors
from .config import CASES_BY_NAME
from .dataset import TEMPLATE_SLUG, iter_open_days
from .stats import median, summary, timed


def _round3(value):
    return None if value is None else round(value, 3)


WARMUP = 2


@dataclass
class CaseResult:
    name: str
    samples: list[float] = field(default_factory=list)
    cpu_samples: list[float] = field(default_factory=list)  # this process's CPU per call
    queries: int | None = None
    floor_samples: list[float] = field(default_factory=list)
    floor: str = ""
    status: str = "ok"  # ok | not available | error
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        case = CASES_BY_NAME[self.name]
        result = {
            "name": self.name,
            "title": case.title,
            "status": self.status,
            "note": self.note,
            "target_ms": case.target_ms,
            "queries": self.queries,
            **summary(self.samples),
            "cpu_median_ms": _round3(median(self.cpu_samples)),
            "extra": self.extra,
        }
        if self.floor_samples:
            floor = summary(self.floor_samples)
            result["floor"] = self.floor
            result["floor_ms"] = floor["median_ms"]
            result["floor_p95_ms"] = floor["p95_ms"]
            if floor["median_ms"] and result["median_ms"] is not None:
                result["ratio"] = round(result["median_ms"] / floor["median_ms"], 2)
        return result


class Unavailable(Exception):
    """The endpoint a case needs does not exist (yet)."""


class Context:
    """What the cases share: clients, the dataset's ids, fresh patients, dates."""

    def __init__(
        self,
        dataset: dict,
        *,
        smoke: bool,
        profile_dir: Path | None,
        label: str,
        quiet_wait: float = 0,
    ):
        self.dataset = dataset
        self.quiet_wait = quiet_wait
        self.smoke = smoke
        self.profile_dir = profile_dir
        self.label = label
        self.rng = random.Random(7)
        self.frontdesk = self._client("bench-frontdesk")
        self.manager = self._client("bench-manager")
        self.public = APIClient()
        self.clinics = list(Clinic.objects.filter(id__in=dataset["clinics"]).order_by("id"))
        self.clinic = self.clinics[0]
        self.zones = {clinic.id: clinic.zone for clinic in self.clinics}
        self.spravato = SessionType.objects.get(clinic=None, slug="spravato-session")
        self.now = timezone.now()
        self.today = self.now.astimezone(self.clinic.zone).date()
        self.monday = self.today + timedelta(days=7 - self.today.weekday())
        self.window = (self.monday, self.monday + timedelta(days=27))
        self.open_days = {
            clinic.id: list(iter_open_days(clinic, self.monday, 24)) for clinic in self.clinics
        }
        self.feed_patient = dataset["feed_patient"]
        self.search_patient = Patient.objects.filter(
            clinic=self.clinic, id__gt=self.feed_patient
        ).order_by("id")[0]
        self.room = Room.objects.get(clinic=self.clinic, name="Dosing A")
        self.booked_plans: list[int] = []
        self._fresh = 0
        self._profiler: cProfile.Profile | None = None
        self.last_cpu = 0.0

    @staticmethod
    def _client(username: str) -> APIClient:
        token = Token.objects.get(user__username=username)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def reps(self, name: str) -> int:
        case = CASES_BY_NAME[name]
        return case.smoke_reps if self.smoke else case.reps

    def fresh_patients(self, count: int, clinic: Clinic | None = None) -> list[Patient]:
        """New cleared, REMS-enrolled patients with an empty calendar (untimed)."""
        rows = []
        for i in range(count):
            self._fresh += 1
            target = clinic or self.clinics[i % len(self.clinics)]
            rows.append(
                Patient(
                    clinic=target,
                    first_name=f"Run{self._fresh}",
                    last_name="Bench",
                    escort_name="Sam Escort",
                    escort_phone="+1 555 0199",
                    screening_status=ScreeningStatus.CLEARED,
                    screening_date=date(2024, 1, 8),
                    rems_enrolled_on=date(2024, 1, 9),
                )
            )
        return Patient.objects.bulk_create(rows)

    def free_slot(self, patient: Patient, day: date, session_type: SessionType | None = None):
        """A random free start on ``day`` for the patient, from the availability service."""
        session_type = session_type or self.spravato
        result = availability_search(
            session_type=session_type,
            date_from=day,
            date_to=day,
            now=timezone.now(),
            patient=patient,
        )
        return self.rng.choice(result.slots) if result.slots else None

    def slot_for(self, patient: Patient, index: int):
        days = self.open_days[patient.clinic_id]
        for attempt in range(len(days)):
            slot = self.free_slot(patient, days[(index + attempt) % len(days)])
            if slot is not None:
                return slot
        raise RuntimeError("No free spravato slot in the next four weeks: the dataset is full.")

    def profiled(self, name: str, run: Callable[[], None]) -> None:
        """Run the timed repetitions; with --profile, cProfile covers the timed calls only."""
        if self.profile_dir is None:
            run()
            return
        self._profiler = cProfile.Profile()
        try:
            run()
        finally:
            profiler, self._profiler = self._profiler, None
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(self.profile_dir / f"bench-{self.label}-{name}.prof")

    def timed(self, call: Callable[[], Any]) -> tuple[float, Any]:
        """(wall ms, result); the call's CPU time in this process (the app's own work: the
        database server's is another process's) is left in ``last_cpu``. On a machine
        shared with other work the wall time waits for the CPU; the CPU time does not."""
        profiler = self._profiler
        cpu = time.process_time()
        try:
            if profiler is None:
                return timed(call)
            profiler.enable()
            try:
                return timed(call)
            finally:
                profiler.disable()
        finally:
            self.last_cpu = (time.process_time() - cpu) * 1000


def others_running(samples: int = 10, interval: float = 0.1) -> float:
    """Mean number of other runnable tasks on the machine (from /proc/loadavg), over about a
    second; this process's reading thread is one of the runnable ones and is subtracted."""
    path = Path("/proc/loadavg")
    if not path.exists():
        return 0.0
    counts = []
    for _ in range(samples):
        counts.append(int(path.read_text().split()[3].split("/")[0]) - 1)
        time.sleep(interval)
    return sum(counts) / len(counts)


def quiet_wait(seconds: float, log=print) -> float:
    """Wait (up to ``seconds``) until no other process competes for the CPU; returns the
    last reading of other runnable tasks."""
    deadline = time.monotonic() + seconds
    busy = others_running(5, 0.05)
    waited = False
    while busy > 0.2 and time.monotonic() < deadline:
        if not waited:
            log(f"    waiting for a quiet machine ({busy:.1f} other tasks running) ...", flush=True)
            waited = True
        time.sleep(2)
        busy = others_running()
    return busy


def _expect(response, status: int, what: str):
    if response.status_code == 404 and status != 404:
        raise Unavailable(f"{what}: 404 {getattr(response, 'data', '') or ''}".strip())
    if response.status_code != status:
        body = getattr(response, "data", None) or response.content[:300]
        raise RuntimeError(f"{what}: expected {status}, got {response.status_code}: {body}")
    return response


def _counted(call: Callable[[], Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured.captured_queries), result


# --- cases -------------------------------------------------------------------------------


def case_availability(ctx: Context) -> list[CaseResult]:
    result = CaseResult("availability")
    date_from, date_to = ctx.window
    url = (
        f"/api/v1/availability/?session_type={ctx.spravato.id}&patient={ctx.search_patient.id}"
        f"&date_from={date_from}&date_to={date_to}"
    )

    def get():
        return _expect(ctx.frontdesk.get(url), 200, "availability")

    for _ in range(WARMUP):
        get()
    result.queries, response = _counted(get)
    result.extra["slots"] = len(response.data["slots"])
    result.extra["days"] = (date_to - date_from).days + 1

    def run():
        for _ in range(ctx.reps("availability")):
            ms, _ = ctx.timed(get)
            result.samples.append(ms)
            result.cpu_samples.append(ctx.last_cpu)

    ctx.profiled("availability", run)
    result.floor = "the window's holds query alone (SQL)"
    result.floor_samples = floors.availability_floor(
        ctx.clinic, ctx.spravato, date_from, date_to, reps=ctx.reps("availability")
    )
    return [result]


def case_booking(ctx: Context) -> list[CaseResult]:
    result = CaseResult("booking")
    reps = ctx.reps("booking")
    patients = ctx.fresh_patients(reps + 1 + WARMUP)
    failures = 0

    def book(patient: Patient, index: int):
        slot = ctx.slot_for(patient, index)
        body = {
            "patient": patient.id,
            "session_type": ctx.spravato.id,
            "start": slot.start.isoformat(),
        }
        return lambda: ctx.frontdesk.post("/api/v1/appointments/", body, format="json")

    for i in range(WARMUP):
        _expect(book(patients[i], i)(), 201, "booking")
    post = book(patients[WARMUP], WARMUP)
    result.queries, response = _counted(post)
    _expect(response, 201, "booking")

    def run():
        nonlocal failures
        for i in range(reps):
            index = WARMUP + 1 + i
            post = book(patients[index], index)
            ms, response = ctx.timed(post)
            if response.status_code == 201:
                result.samples.append(ms)
                result.cpu_samples.append(ctx.last_cpu)
            else:
                failures += 1

    ctx.profiled("booking", run)
    result.extra["failures"] = failures
    result.floor = "overlap query + INSERT appointment and holds, one transaction (SQL)"
    floor_patients = ctx.fresh_patients(reps)
    result.floor_samples = floors.booking_floor(
        floor_patients, lambda patient, i: ctx.slot_for(patient, i + 3), ctx.spravato
    )
    return [result]


COUNTED_TRIES = 10


def _plan_create(ctx: Context, patient: Patient, start: date) -> int:
    response = ctx.frontdesk.post(
        "/api/v1/plans/",
        {"patient": patient.id, "template": TEMPLATE_SLUG, "start_date": start.isoformat()},
        format="json",
    )
    return _expect(response, 201, "plan create").data["id"]


def case_plan(ctx: Context) -> list[CaseResult]:
    preview_result = CaseResult("plan_preview")
    book_result = CaseResult("plan_book")
    both = CaseResult("plan_preview_book")
    reps = ctx.reps("plan_preview_book")
    patients = ctx.fresh_patients(reps + 1 + WARMUP)
    failures = unplaced = 0

    def start_date(i: int) -> date:
        return ctx.monday + timedelta(days=(2 * i) % 42)

    def preview(plan_id: int):
        return ctx.frontdesk.post(f"/api/v1/plans/{plan_id}/preview/", {}, format="json")

    def book(plan_id: int):
        return ctx.frontdesk.post(f"/api/v1/plans/{plan_id}/book/", {}, format="json")

    for i in range(WARMUP):
        plan_id = _plan_create(ctx, patients[i], start_date(i))
        _expect(preview(plan_id), 200, "plan preview")
        if book(plan_id).status_code == 201:
            ctx.booked_plans.append(plan_id)
    # The queries of a course that previews and books whole: the first start date (of a
    # few) whose course the calendar, as the cases before left it, can still take.
    sessions, counted = 0, ctx.fresh_patients(COUNTED_TRIES)
    for attempt, patient in enumerate(counted):
        plan_id = _plan_create(ctx, patient, start_date(WARMUP + 5 * attempt))
        preview_result.queries, response = _counted(lambda: preview(plan_id))  # noqa: B023
        _expect(response, 200, "plan preview")
        sessions = max(sessions, len(response.data["sessions"]))
        if len(response.data["sessions"]) != 14:
            continue
        book_result.queries, response = _counted(lambda: book(plan_id))  # noqa: B023
        if response.status_code == 201:
            ctx.booked_plans.append(plan_id)
            break
    else:
        raise RuntimeError(
            f"No {TEMPLATE_SLUG} course of 14 sessions (at most {sessions}) previewed and "
            f"booked whole in {COUNTED_TRIES} start dates."
        )
    both.queries = preview_result.queries + book_result.queries

    def run():
        nonlocal failures, unplaced
        for i in range(reps):
            index = WARMUP + 1 + i
            plan_id = _plan_create(ctx, patients[index], start_date(index))
            ms_preview, response = ctx.timed(lambda: preview(plan_id))  # noqa: B023
            cpu_preview = ctx.last_cpu
            _expect(response, 200, "plan preview")
            # Every preview counts, also one that cannot place the whole course (the front
            # desk sees its reasons); only a course that books counts for book.
            preview_result.samples.append(ms_preview)
            preview_result.cpu_samples.append(cpu_preview)
            if len(response.data["sessions"]) != 14:
                unplaced += 1
                continue
            ms_book, response = ctx.timed(lambda: book(plan_id))  # noqa: B023
            if response.status_code != 201:
                failures += 1
                continue
            ctx.booked_plans.append(plan_id)
            book_result.samples.append(ms_book)
            book_result.cpu_samples.append(ctx.last_cpu)
            both.samples.append(ms_preview + ms_book)
            both.cpu_samples.append(cpu_preview + ctx.last_cpu)

    ctx.profiled("plan", run)
    for result in (preview_result, book_result, both):
        result.extra = {"sessions": sessions, "failures": failures, "not_placed": unplaced}
    return [preview_result, book_result, both]


def case_reschedule(ctx: Context) -> list[CaseResult]:
    result = CaseResult("reschedule")
    reps = ctx.reps("reschedule")
    needed = reps + 1 + WARMUP
    attempt = 0
    while len(ctx.booked_plans) < needed and attempt < 3 * needed:
        (patient,) = ctx.fresh_patients(1, ctx.clinics[attempt % len(ctx.clinics)])
        start = ctx.monday + timedelta(days=(2 * attempt + 1) % 42)
        plan_id = _plan_create(ctx, patient, start)
        attempt += 1
        response = ctx.frontdesk.post(f"/api/v1/plans/{plan_id}/book/", {}, format="json")
        if response.status_code == 201:
            ctx.booked_plans.append(plan_id)
    plans = ctx.booked_plans[:needed]
    failures, moved = 0, []

    def move(plan_id: int):
        second = Appointment.objects.select_related("patient", "session_type").get(
            plan_id=plan_id, ordinal=2, status=AppointmentStatus.BOOKED
        )
        zone = ctx.zones[second.clinic_id]
        local = second.start.astimezone(zone)
        best = None
        for shift in (1, 2):
            day = local.date() + timedelta(days=shift)
            slots = availability_search(
                session_type=second.session_type,
                date_from=day,
                date_to=day,
                now=timezone.now(),
                patient=second.patient,
            ).slots
            if slots:
                wanted = local.hour * 60 + local.minute
                best = min(
                    slots,
                    key=lambda s: abs(
                        s.start.astimezone(zone).hour * 60
                        + s.start.astimezone(zone).minute
                        - wanted
                    ),
                )
                break
        if best is None:
            return None
        body = {"start": best.start.isoformat(), "cascade": True}
        return lambda: ctx.frontdesk.post(
            f"/api/v1/appointments/{second.id}/reschedule/", body, format="json"
        )

    calls = []
    for plan_id in plans:
        call = move(plan_id)
        if call is None:
            failures += 1
        else:
            calls.append(call)
    # Warm up and count queries on the first moves the cascade accepts.
    warm = 0
    while calls and result.queries is None:
        call = calls.pop(0)
        if warm < WARMUP:
            warm += int(call().status_code == 200)
            continue
        queries, response = _counted(call)
        if response.status_code == 200:
            result.queries = queries
            # The count grows with the sessions the cascade moves, not with the data.
            result.extra["moved_in_counted_request"] = len(response.data.get("moved", []))

    def run():
        nonlocal failures
        for call in calls:
            ms, response = ctx.timed(call)
            if response.status_code == 200:
                result.samples.append(ms)
                result.cpu_samples.append(ctx.last_cpu)
                moved.append(len(response.data.get("moved", [])))
            else:
                failures += 1

    ctx.profiled("reschedule", run)
    result.extra = {
        "failures": failures,
        "cascaded_moves_mean": round(sum(moved) / len(moved), 1) if moved else None,
    }
    return [result]


def _feed_url(client: APIClient, path: str, what: str) -> str:
    response = client.post(path, {}, format="json")
    if response.status_code in (404, 405):
        raise Unavailable(f"{what}: POST {path} answered {response.status_code}")
    _expect(response, 201, what)
    return urlsplit(response.data["url"]).path


def _feed_case(ctx: Context, name: str, path: str) -> tuple[CaseResult, str]:
    result = CaseResult(name)

    def get():
        return _expect(ctx.public.get(path), 200, name)

    for _ in range(WARMUP):
        get()
    result.queries, response = _counted(get)
    body = response.content
    result.extra["events"] = body.count(b"BEGIN:VEVENT")
    result.extra["bytes"] = len(body)

    def run():
        for _ in range(ctx.reps(name)):
            ms, _ = ctx.timed(get)
            result.samples.append(ms)
            result.cpu_samples.append(ctx.last_cpu)

    ctx.profiled(name, run)
    result.floor = "icalendar: Calendar.to_ical() of the same events, prebuilt"
    result.floor_samples = floors.ical_floor(body, reps=ctx.reps(name))
    return result, response["ETag"]


def case_feeds(ctx: Context, only: set[str]) -> list[CaseResult]:
    results = []
    if {"patient_feed", "feed_304"} & only:
        path = _feed_url(
            ctx.frontdesk, f"/api/v1/patients/{ctx.feed_patient}/feed/", "patient_feed"
        )
        patient, etag = _feed_case(ctx, "patient_feed", path)
        if "patient_feed" in only:
            results.append(patient)
        if "feed_304" in only:
            results.append(_case_304(ctx, path, etag))
    if {"room_feed", "room_feed_304"} & only:
        path = _feed_url(ctx.manager, f"/api/v1/rooms/{ctx.room.id}/feed/", "room_feed")
        room, etag = _feed_case(ctx, "room_feed", path)
        room.extra["room"] = f"{ctx.clinic.name} / {ctx.room.name}"
        if "room_feed" in only:
            results.append(room)
        if "room_feed_304" in only:
            results.append(_case_304(ctx, path, etag, "room_feed_304"))
    return results


def _case_304(ctx: Context, path: str, etag: str, name: str = "feed_304") -> CaseResult:
    result = CaseResult(name)

    def get():
        return _expect(ctx.public.get(path, HTTP_IF_NONE_MATCH=etag), 304, name)

    for _ in range(WARMUP):
        get()
    result.queries, _ = _counted(get)

    def run():
        for _ in range(ctx.reps(name)):
            ms, _ = ctx.timed(get)
            result.samples.append(ms)
            result.cpu_samples.append(ctx.last_cpu)

    ctx.profiled(name, run)
    return result


def case_utilization(ctx: Context) -> list[CaseResult]:
    result = CaseResult("utilization")
    date_to = ctx.today - timedelta(days=1)
    date_from = date_to - timedelta(days=364)
    url = (
        f"/api/v1/reports/utilization/?clinic={ctx.clinic.id}"
        f"&date_from={date_from}&date_to={date_to}"
    )

    def get():
        return _expect(ctx.manager.get(url), 200, "utilization")

    get()
    result.queries, response = _counted(get)
    rooms = response.data.get("rooms", []) if hasattr(response, "data") else []
    result.extra = {"rooms": len(rooms), "days": (date_to - date_from).days + 1}

    def run():
        for _ in range(ctx.reps("utilization")):
            ms, _ = ctx.timed(get)
            result.samples.append(ms)
            result.cpu_samples.append(ctx.last_cpu)

    ctx.profiled("utilization", run)
    return [result]


# --- running them ------------------------------------------------------------------------

ORDER = [
    ("availability", case_availability),
    ("booking", case_booking),
    ("plan", case_plan),
    ("reschedule", case_reschedule),
    ("feeds", None),
    ("utilization", case_utilization),
]
GROUP_OF = {
    "availability": "availability",
    "booking": "booking",
    "plan_preview": "plan",
    "plan_book": "plan",
    "plan_preview_book": "plan",
    "reschedule": "reschedule",
    "patient_feed": "feeds",
    "room_feed": "feeds",
    "feed_304": "feeds",
    "room_feed_304": "feeds",
    "utilization": "utilization",
}


def run_cases(ctx: Context, only: list[str], log=print) -> list[CaseResult]:
    wanted = set(only)
    results: list[CaseResult] = []
    for group, function in ORDER:
        names = [name for name, g in GROUP_OF.items() if g == group and name in wanted]
        if not names:
            continue
        log(f"  measuring {', '.join(names)} ...", flush=True)
        busy = quiet_wait(ctx.quiet_wait, log) if ctx.quiet_wait else others_running(5, 0.05)
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        started = datetime.now(UTC)
        try:
            produced = case_feeds(ctx, wanted) if group == "feeds" else function(ctx)
            for r in produced:
                r.extra["others_running"] = round(busy, 2)
                r.extra["loadavg_1m"] = None if load_before is None else round(load_before, 2)
            results += [r for r in produced if r.name in wanted]
        except Unavailable as exc:
            results += [CaseResult(n, status="not available", note=str(exc)) for n in names]
        except Exception as exc:  # a broken case must not hide the others' figures
            traceback.print_exc()
            results += [
                CaseResult(n, status="error", note=f"{type(exc).__name__}: {exc}"[:300])
                for n in names
            ]
        seconds = (datetime.now(UTC) - started).total_seconds()
        log(f"    done in {seconds:.1f} s", flush=True)
    order = {name: i for i, name in enumerate(GROUP_OF)}
    return sorted(results, key=lambda r: order[r.name])
