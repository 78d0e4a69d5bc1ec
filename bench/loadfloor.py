"""The load floor: the bare booking transaction, straight against PostgreSQL, under load.

The same number of clients as the app's load run, for the same time, each in its own
thread with its own database connection (psycopg, no Django), each booking one chair after
another through the dataset's calendar:

    BEGIN; overlap query over the seat's active holds (the same index range the app
    reads); INSERT the appointment RETURNING id; INSERT its seat holds; COMMIT

A start that the overlap query finds taken is rolled back and the next free start tried,
as a client would. Each client books on seats of its own, so the floor has no lock waits:
it is the least the database and a client must do per booking. The app's bookings per
second divided by these is the load ratio. The rows written are deleted afterwards.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from django.db import connection, transaction

from backend.scheduling.booking.fetch import MAX_HOLD_SPAN, spec_of
from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from backend.scheduling.resources.choices import RoomKind
from backend.scheduling.resources.models import Seat, SessionType

from . import cpu
from .floors import _insert_sql

STEP = timedelta(minutes=15)
# Around the clock: the floor needs many free starts, and the overlap query reads the same
# index range whether or not it finds a hold.
OPENS, CLOSES = clock(0, 0), clock(23, 0)

OVERLAP_SQL = (
    'SELECT max("end") FROM scheduling_hold WHERE seat_id = %s AND active '
    'AND start >= %s AND start < %s AND "end" > %s'
)
HOLD_SQL = (
    'INSERT INTO scheduling_hold ("appointment_id", "kind", "seat_id", "staff_id", "start", '
    '"end", "active") VALUES (%s, %s, %s, NULL, %s, %s, true), (%s, %s, %s, NULL, %s, %s, true)'
)


def _ceil(instant: datetime) -> datetime:
    epoch = int(instant.timestamp())
    step = int(STEP.total_seconds())
    return datetime.fromtimestamp(-(-epoch // step) * step, UTC)


class FloorClient(threading.Thread):
    def __init__(self, index, *, conninfo, seats, clinic, patient_id, session_type, days, deadline):
        super().__init__(name=f"bench-floor-{index}", daemon=True)
        self.conninfo = conninfo
        self.seats = seats
        self.seat = seats[0]
        self.clinic = clinic
        self.patient_id = patient_id
        self.session_type = session_type
        self.spec = spec_of(session_type)
        self.days = days
        self.deadline = deadline
        self.booked: list[int] = []
        self.taken = 0
        self.errors: list[str] = []
        self.cpu_seconds = 0.0
        self.backend_pid: int | None = None
        self.ready = threading.Event()
        self.go = threading.Event()
        sql, positions, template = _insert_sql(
            Appointment,
            [
                "clinic_id", "patient_id", "session_type_id", "room_id", "seat_id",
                "start", "end", "recovery_end", "status", "created_at", "updated_at",
            ],
        )  # fmt: skip
        self.appointment_sql, self.positions, self.template = sql, positions, template

    def _book(self, conn, start: datetime) -> datetime | None:
        """One bare booking at ``start``; returns None when booked, else the next start."""
        end = start + self.spec.in_room
        seat_end = end + self.spec.recovery
        with conn.cursor() as cursor:
            cursor.execute(OVERLAP_SQL, [self.seat.id, start - MAX_HOLD_SPAN, seat_end, start])
            busy_until = cursor.fetchone()[0]
            if busy_until is not None:
                conn.rollback()
                return max(_ceil(busy_until), start + STEP)
            row = list(self.template)
            stamp = datetime.now(UTC)
            values = [
                self.clinic.id, self.patient_id, self.session_type.id, self.seat.room_id,
                self.seat.id, start, end, seat_end, "booked", stamp, stamp,
            ]  # fmt: skip
            for position, value in zip(self.positions, values, strict=True):
                row[position] = value
            cursor.execute(self.appointment_sql, row)
            appointment_id = cursor.fetchone()[0]
            cursor.execute(
                HOLD_SQL,
                [
                    appointment_id, HoldKind.SESSION.value, self.seat.id, start, end,
                    appointment_id, HoldKind.RECOVERY.value, self.seat.id, end, seat_end,
                ],
            )  # fmt: skip
        conn.commit()
        self.booked.append(appointment_id)
        return None

    def run(self) -> None:
        import psycopg

        try:
            with psycopg.connect(**self.conninfo) as conn:
                self.backend_pid = conn.info.backend_pid
                self.ready.set()
                self.go.wait()
                started = time.thread_time()
                zone = self.clinic.zone
                for day, seat in ((d, s) for d in self.days for s in self.seats):
                    self.seat = seat
                    start = datetime.combine(day, OPENS, zone).astimezone(UTC)
                    close = datetime.combine(day, CLOSES, zone).astimezone(UTC)
                    while start + self.spec.in_room <= close:
                        if time.monotonic() >= self.deadline:
                            self.cpu_seconds = time.thread_time() - started
                            return
                        following = self._book(conn, start)
                        if following is None:
                            start = _ceil(start + self.spec.in_room + self.spec.recovery)
                        else:
                            self.taken += 1
                            start = following
                self.cpu_seconds = time.thread_time() - started
        except Exception as exc:  # reported, never hidden
            self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            self.ready.set()


def share(items: list, part: int, parts: int) -> list:
    """The ``part``-th of ``parts`` disjoint shares of ``items`` (at least one item)."""
    mine = items[part::parts]
    return mine or [items[part % len(items)]]


def floor_run(*, url: str, clinics, days_for, clients: int, seconds: float, patients, log) -> dict:
    """Run the bare booking transaction from ``clients`` threads for ``seconds``."""
    import dj_database_url

    config = dj_database_url.parse(url)
    conninfo = {"dbname": config["NAME"]}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host")):
        if config.get(key):
            conninfo[name] = str(config[key])
    if config.get("PORT"):
        conninfo["port"] = str(config["PORT"])
    session_type = SessionType.objects.get(clinic=None, slug="spravato-session")
    seats = {
        clinic.id: list(
            Seat.objects.filter(room__clinic=clinic, room__kind=RoomKind.DOSING, active=True)
            .select_related("room")
            .order_by("room__name", "name", "id")
        )
        for clinic in clinics
    }
    threads = []
    deadline = time.monotonic() + 3600  # replaced once every client is connected
    for i in range(clients):
        clinic = clinics[i % len(clinics)]
        threads.append(
            FloorClient(
                i,
                conninfo=conninfo,
                seats=share(seats[clinic.id], i // len(clinics), -(-clients // len(clinics))),
                clinic=clinic,
                patient_id=patients[i],
                session_type=session_type,
                days=days_for(clinic),
                deadline=deadline,
            )
        )
    connection.close()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.ready.wait(30)
    pids = [t.backend_pid for t in threads if t.backend_pid]
    meter = cpu.Meter(leaders=[], backend_pids=lambda: pids)
    meter.begin()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.deadline = deadline
    started = time.perf_counter()
    for thread in threads:
        thread.go.set()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    booked = sum(len(t.booked) for t in threads)
    attempts = booked + sum(t.taken for t in threads)
    split = meter.end(
        client_seconds=sum(t.cpu_seconds for t in threads), requests=booked, bookings=booked
    )
    errors = [e for t in threads for e in t.errors]
    ids = [i for t in threads for i in t.booked]
    with transaction.atomic():
        Hold.objects.filter(appointment_id__in=ids).delete()
        Appointment.objects.filter(id__in=ids).delete()
    result = {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "bookings": booked,
        "attempts": attempts,
        "bookings_per_second": round(booked / elapsed, 1),
        "errors": errors,
        "cpu": split,
    }
    log(
        f"  floor: {booked} bare bookings in {elapsed:.1f} s = {result['bookings_per_second']}/s "
        f"({attempts - booked} starts found taken){'; errors: ' + str(errors) if errors else ''}"
    )
    return result
