"""The mixed workload of the load test: what a busy front desk and its calendars do at once.

Each client thread, on two app servers in turn, repeatedly picks one of:

- search: one day's availability for one of its patients;
- book: search, then book one of the first starts offered, with an ``Idempotency-Key``;
  every third booking is sent twice with the same key, and the replay must give the same
  answer (status and appointment id), else it counts as a lost idempotent replay;
- course: create a 14-session plan and book it (this feeds the reschedules);
- reschedule: move the second session of one of its courses to the next day with
  ``cascade`` (later sessions move as needed);
- cancel: cancel one of its single bookings;
- feed: poll its patient's or the clinic room's calendar feed with ``If-None-Match``;
- board: refresh the front desk's day board.

409 (someone else took the time) and the 400s the rules give (a course that cannot be
placed) are answers; a 5xx, a lost replay or an overlapping hold afterwards is a failure.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlencode

WEIGHTS = {
    "search": 26,
    "book": 24,
    "course": 4,
    "reschedule": 10,
    "cancel": 10,
    "feed": 16,
    "board": 10,
}


class MixedClient(threading.Thread):
    def __init__(
        self,
        index,
        *,
        request,
        ports,
        token,
        clinic_id,
        patients,
        days,
        session_type,
        template,
        feeds,
        deadline,
        seed,
    ):
        super().__init__(name=f"bench-mixed-{index}", daemon=True)
        self.request_raw = request
        self.ports = ports
        self.token = token
        self.clinic_id = clinic_id
        self.patients = list(patients)
        self.days = days
        self.session_type = session_type
        self.template = template
        self.feeds = feeds  # [path, ...]
        self.etags: dict[str, str] = {}
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.status: dict[str, Counter] = {name: Counter() for name in WEIGHTS}
        self.latency: dict[str, list[float]] = {name: [] for name in WEIGHTS}
        self.errors: Counter = Counter()
        self.replays = 0
        self.lost_replays: list[str] = []
        self.singles: list[int] = []
        self.course_seconds: list[tuple[int, int, str]] = []  # (appointment, patient, start)
        self.requests = 0
        self.cpu_seconds = 0.0
        self.day_index = 0

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, action, method, path, body=None, headers=None):
        self.requests += 1
        port = self.ports[self.requests % len(self.ports)]
        try:
            status, data, ms, response_headers = self.request_raw(
                port, method, path, self.token, body, headers
            )
        except OSError as exc:
            self.errors[type(exc).__name__] += 1
            return None, None, {}
        self.status[action][str(status)] += 1
        self.latency[action].append(ms)
        return status, data, response_headers

    def _patient(self) -> int:
        return self.rng.choice(self.patients)

    def _day(self) -> date:
        return self.days[self.rng.randrange(len(self.days))]

    def _slots(self, action, patient, day, session_type=None):
        query = urlencode(
            {
                "session_type": session_type or self.session_type,
                "patient": patient,
                "date_from": day.isoformat(),
                "date_to": day.isoformat(),
            }
        )
        status, data, _ = self._call(action, "GET", f"/api/v1/availability/?{query}")
        return json.loads(data)["slots"] if status == 200 else []

    # -- actions ---------------------------------------------------------------------------

    def search(self):
        self._slots("search", self._patient(), self._day())

    def book(self):
        patient = self._patient()
        slots = self._slots("book", patient, self._day())[:6]
        if not slots:
            return
        body = {
            "patient": patient,
            "session_type": self.session_type,
            "start": self.rng.choice(slots)["start"],
        }
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        status, data, _ = self._call("book", "POST", "/api/v1/appointments/", body, headers)
        if status is None:
            return
        first = json.loads(data) if data else {}
        if status == 201:
            self.singles.append(first["id"])
        if self.rng.random() < 1 / 3 and status < 500:
            self.replays += 1
            again, data, _ = self._call("book", "POST", "/api/v1/appointments/", body, headers)
            second = json.loads(data) if data else {}
            if again != status or second.get("id") != first.get("id"):
                self.lost_replays.append(f"{status} then {again}")

    def course(self):
        patient = self.patients.pop() if len(self.patients) > 4 else None
        if patient is None:
            return
        body = {"patient": patient, "template": self.template, "start_date": str(self._day())}
        status, data, _ = self._call("course", "POST", "/api/v1/plans/", body)
        if status != 201:
            return
        plan = json.loads(data)["id"]
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        status, data, _ = self._call("course", "POST", f"/api/v1/plans/{plan}/book/", {}, headers)
        if status == 201:
            for item in json.loads(data)["appointments"]:
                if item.get("ordinal") == 2:
                    self.course_seconds.append((item["id"], patient, item["start"]))

    def reschedule(self):
        if not self.course_seconds:
            return self.course()
        appointment, patient, start = self.course_seconds.pop(
            self.rng.randrange(len(self.course_seconds))
        )
        day = date.fromisoformat(start[:10]) + timedelta(days=1)
        slots = self._slots("reschedule", patient, day)
        if not slots:
            return
        body = {"start": slots[len(slots) // 2]["start"], "cascade": True}
        status, _, _ = self._call(
            "reschedule", "POST", f"/api/v1/appointments/{appointment}/reschedule/", body
        )
        if status == 200:
            self.course_seconds.append((appointment, patient, body["start"]))

    def cancel(self):
        if not self.singles:
            return self.book()
        appointment = self.singles.pop(self.rng.randrange(len(self.singles)))
        self._call(
            "cancel",
            "POST",
            f"/api/v1/appointments/{appointment}/cancel/",
            {"reason": "Load test: patient called to cancel."},
        )

    def feed(self):
        path = self.rng.choice(self.feeds)
        headers = {"If-None-Match": self.etags[path]} if path in self.etags else {}
        status, _, response_headers = self._call("feed", "GET", path, None, headers)
        if status == 200 and response_headers.get("etag"):
            self.etags[path] = response_headers["etag"]

    def board(self):
        query = urlencode({"clinic": self.clinic_id, "date": self._day().isoformat()})
        self._call("board", "GET", f"/api/v1/board/?{query}")

    def run(self) -> None:
        started = time.thread_time()
        names = list(WEIGHTS)
        weights = [WEIGHTS[n] for n in names]
        while time.monotonic() < self.deadline:
            action = self.rng.choices(names, weights)[0]
            try:
                getattr(self, action)()
            except (ValueError, KeyError) as exc:  # an unreadable answer is an error
                self.errors[f"{action}: {type(exc).__name__}"] += 1
        self.cpu_seconds = time.thread_time() - started
