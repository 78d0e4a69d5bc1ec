"""Floors: the least work each measured operation cannot avoid, timed on its own.

A ratio (measured / floor) far above 1 says the time goes into the application rather than
into the work itself.

- booking: in one transaction, the overlap query over the seat's holds, then the INSERTs
  of the appointment row and its holds, as bare SQL; committed (the measured booking
  commits too), then deleted untimed.
- availability: the one query over the window's holds on the candidate seats and staff,
  exactly as the app builds it and reads it (epoch-second integers, no ORM converters).
- feeds: the icalendar library serializing the same events (parsed from the feed the app
  produced, so they are exactly the same), ``Calendar.to_ical()`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from backend.common.db import EpochSeconds
from backend.scheduling.booking.fetch import (
    MAX_HOLD_SPAN,
    calendar_of,
    clinic_fetch,
    local_window,
    resources_fetch,
)
from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from backend.scheduling.resources.models import Patient, SessionType

from .stats import timed


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def availability_floor(clinic, session_type, date_from: date, date_to: date, *, reps: int):
    """The app's own busy-span query (``busy_fetch``'s), compiled once, read as the app
    reads it: epoch-second integers straight from the driver (``raw_rows_fetch``), so no
    per-row datetime parsing or ORM converter runs, here or in the app."""
    clinic = clinic_fetch(clinic.id)
    resources = resources_fetch(clinic, [session_type])[session_type.id]
    window = local_window(calendar_of(clinic), date_from, date_to)
    seats, staff = resources.seat_ids, resources.staff_ids
    queryset = Hold.objects.filter(
        Q(seat_id__in=seats) | Q(staff_id__in=staff),
        active=True,
        start__gte=window.start - MAX_HOLD_SPAN,
        start__lt=window.end,
        end__gt=window.start,
    ).values_list("seat_id", "staff_id", EpochSeconds("start"), EpochSeconds("end"))
    sql, params = queryset.query.sql_with_params()

    def query():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    rows = query()
    if rows and not isinstance(rows[0][2], int):
        raise RuntimeError("The availability floor must read epoch integers, as the app does.")
    return [timed(query)[0] for _ in range(reps)]


def _insert_sql(model, given: list[str]) -> tuple[str, list[int], list]:
    """INSERT ... RETURNING id for every concrete column; the others get their defaults."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    template, positions = [], []
    attnames = [f.attname for f in fields]
    for f in fields:
        template.append(
            None if f.attname in given else f.get_db_prep_save(f.get_default(), connection)
        )
    positions = [attnames.index(name) for name in given]
    sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks}) RETURNING id'
    return sql, positions, template


def booking_floor(
    patients: list[Patient], slot_for: Callable[[Patient, int], Any], session_type: SessionType
) -> list[float]:
    """``slot_for(patient, i)`` finds a free slot (untimed) right before each transaction."""
    appointment_sql, appointment_positions, appointment_template = _insert_sql(
        Appointment,
        [
            "clinic_id", "patient_id", "session_type_id", "room_id", "seat_id", "staff_id",
            "start", "end", "recovery_end", "status", "created_at", "updated_at",
        ],
    )  # fmt: skip
    hold_columns = '"appointment_id", "kind", "seat_id", "staff_id", "start", "end", "active"'
    # The lower bound on start (no hold is longer than MAX_HOLD_SPAN) keeps the index range
    # scan inside the window; without it the scan reads the seat's whole history.
    overlap_sql = (
        "SELECT 1 FROM scheduling_hold WHERE seat_id = %s AND active "
        'AND start >= %s AND start < %s AND "end" > %s LIMIT 1'
    )
    samples, created = [], []
    for index, patient in enumerate(patients):
        slot = slot_for(patient, index)
        seat_end = slot.recovery_end if slot.recovery_seat is None else slot.end
        stamp = _dt(slot.start - timedelta(days=1))
        values = [
            patient.clinic_id, patient.id, session_type.id, slot.seat.room_id, slot.seat.seat_id,
            slot.staff.staff_id if slot.staff else None, _dt(slot.start), _dt(slot.end),
            _dt(slot.recovery_end), "booked", stamp, stamp,
        ]  # fmt: skip
        row = list(appointment_template)
        for position, value in zip(appointment_positions, values, strict=True):
            row[position] = value
        holds = [(HoldKind.SESSION, slot.seat.seat_id, None, slot.start, slot.end)]
        if slot.recovery_end > slot.end:
            recovery_seat = slot.recovery_seat or slot.seat
            holds.append((HoldKind.RECOVERY, recovery_seat.seat_id, None, slot.end, seat_end))
        if slot.staff:
            holds.append((HoldKind.STAFF, None, slot.staff.staff_id, slot.start, slot.end))

        def book(row=row, holds=holds, slot=slot, seat_end=seat_end):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    overlap_sql,
                    [
                        slot.seat.seat_id,
                        _dt(slot.start - MAX_HOLD_SPAN),
                        _dt(seat_end),
                        _dt(slot.start),
                    ],
                )
                if cursor.fetchone() is not None:
                    raise RuntimeError("The floor's slot is taken.")
                cursor.execute(appointment_sql, row)
                appointment_id = cursor.fetchone()[0]
                marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(holds))
                params = []
                for kind, seat_id, staff_id, start, end in holds:
                    params += [
                        appointment_id,
                        kind.value,
                        seat_id,
                        staff_id,
                        _dt(start),
                        _dt(end),
                        True,
                    ]
                cursor.execute(
                    f"INSERT INTO scheduling_hold ({hold_columns}) VALUES {marks}", params
                )
                return appointment_id

        ms, appointment_id = timed(book)
        samples.append(ms)
        created.append(appointment_id)
    with transaction.atomic():
        Hold.objects.filter(appointment_id__in=created).delete()
        Appointment.objects.filter(id__in=created).delete()
    return samples


def ical_floor(body: bytes, *, reps: int) -> list[float]:
    from icalendar import Calendar

    calendar = Calendar.from_ical(body)
    calendar.to_ical()
    return [timed(calendar.to_ical)[0] for _ in range(reps)]
