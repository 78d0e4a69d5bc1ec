"""Absences: record, delete, find what they hit, and propose a fix for each hit.

An appointment *needs attention* when it is booked, has not started, and its staff member
is absent for part of its staffed span. Nothing is stored for the flag: it is asked of the
rows every time, so deleting an absence or reassigning the appointment clears it at once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from backend.common.errors import InvalidInput
from backend.scheduling.booking.availability import (
    Placement,
    StaffRef,
    next_free_start,
    placement_check,
)
from backend.scheduling.booking.fetch import board_fetch, clinic_fetch, local_date_of, spec_of
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.calendar import wall_to_utc
from backend.scheduling.resources.choices import AbsenceKind
from backend.scheduling.resources.models import Clinic, Staff, StaffAbsence

# Longest absence or extra shift one entry may record; a longer leave is a few entries (or
# deactivating the staff member), and the bound keeps a typo from blanking a year.
MAX_ENTRY = timedelta(days=92)


def whole_days_span(clinic: Clinic, first: date, last: date) -> tuple[datetime, datetime]:
    """Local midnight before ``first`` to local midnight after ``last`` (inclusive days)."""
    zone = clinic.zone
    after = last + timedelta(days=1)
    return wall_to_utc(first, time(0, 0), zone), wall_to_utc(after, time(0, 0), zone)


def staff_absence_record(
    *,
    actor,
    staff: Staff,
    start: datetime,
    end: datetime,
    reason: str = "",
    kind: str = AbsenceKind.ABSENCE,
    all_day: bool = False,
    now: datetime,
) -> tuple[StaffAbsence, list[Appointment]]:
    """Record time off (or an extra shift); returns it with the appointments it hits."""
    if end <= start:
        raise InvalidInput("end", "The end must be after the start.")
    if end - start > MAX_ENTRY:
        raise InvalidInput("end", "One entry covers at most 92 days; record longer leave in parts.")
    if kind not in AbsenceKind.values:
        raise InvalidInput("kind", f"Kind is one of: {', '.join(AbsenceKind.values)}.")
    with transaction.atomic():
        absence = StaffAbsence.objects.create(
            staff=staff,
            kind=kind,
            start=start,
            end=end,
            reason=reason,
            all_day=all_day,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    return absence, absence_affected(absence, now=now)


def staff_absence_delete(*, absence: StaffAbsence) -> None:
    absence.delete()


def absence_affected(absence: StaffAbsence, *, now: datetime) -> list[Appointment]:
    """Booked appointments, not yet started, whose staff member this absence takes away."""
    if absence.kind != AbsenceKind.ABSENCE:
        return []
    return list(
        Appointment.objects.filter(
            staff_id=absence.staff_id,
            status=AppointmentStatus.BOOKED,
            start__lt=absence.end,
            end__gt=absence.start,
            start__gte=now,
        ).order_by("start", "id")
    )


def absences_affected(absences: list[StaffAbsence], *, now: datetime) -> dict[int, list[int]]:
    """``absence_affected`` for many absences of one staff member at once (1 query)."""
    off = [a for a in absences if a.kind == AbsenceKind.ABSENCE]
    result: dict[int, list[int]] = {a.id: [] for a in absences}
    if not off:
        return result
    rows = Appointment.objects.filter(
        staff_id__in={a.staff_id for a in off},
        status=AppointmentStatus.BOOKED,
        start__lt=max(a.end for a in off),
        end__gt=min(a.start for a in off),
        start__gte=now,
    ).values_list("id", "staff_id", "start", "end")
    for appointment_id, staff_id, start, end in sorted(rows, key=lambda r: (r[2], r[0])):
        for absence in off:
            if absence.staff_id == staff_id and start < absence.end and end > absence.start:
                result[absence.id].append(appointment_id)
    return result


def staff_absent_during() -> Exists:
    """True for an appointment whose staff member has time off overlapping its span."""
    return Exists(
        StaffAbsence.objects.filter(
            staff_id=OuterRef("staff_id"),
            kind=AbsenceKind.ABSENCE,
            start__lt=OuterRef("end"),
            end__gt=OuterRef("start"),
        )
    )


def appointments_needing_attention(
    queryset: QuerySet[Appointment], *, now: datetime
) -> QuerySet[Appointment]:
    """Booked, not started, and their staff member is away for part of them."""
    return (
        queryset.filter(status=AppointmentStatus.BOOKED, start__gte=now, staff__isnull=False)
        .filter(staff_absent_during())
        .order_by("start", "id")
    )


# The board flag of an appointment whose staff member is away.
STAFF_AWAY = "needs_attention"


def staff_away_ids(appointments: list[Appointment], *, now: datetime) -> set[int]:
    """Which of these appointments need attention (1 query; none for an empty list)."""
    ids = [a.id for a in appointments if a.staff_id is not None]
    if not ids:
        return set()
    flagged = appointments_needing_attention(Appointment.objects.filter(id__in=ids), now=now)
    return set(flagged.values_list("id", flat=True))


@dataclass(frozen=True)
class Reassignment:
    """How to fix an appointment whose staff member is away.

    ``staff`` set: the same start with another qualified staff member who is working and
    free. Otherwise ``placement`` is the nearest start when someone is (None: nothing in
    the next four weeks).
    """

    appointment: Appointment
    staff: StaffRef | None = None
    placement: Placement | None = None

    @property
    def same_time(self) -> bool:
        return self.staff is not None


def appointment_reassignment_propose(*, appointment: Appointment, now: datetime) -> Reassignment:
    """Another staff member for the same time, else the nearest start that has one.

    Uses the very placement rule booking uses, on a board where the appointment's own holds
    do not count: the absent member's windows already lack the absence, so the staff pick
    passes over them.
    """
    clinic = clinic_fetch(appointment.clinic_id)
    session_type = appointment.session_type
    spec = spec_of(session_type)
    board = board_fetch(
        clinic=clinic,
        session_type=session_type,
        date_from=local_date_of(clinic, min(appointment.start, now)),
        date_to=local_date_of(clinic, appointment.start + timedelta(days=28)),
        patient=appointment.patient,
        exclude_appointment_ids=[appointment.id],
    )
    same = placement_check(board, spec, appointment.start, now=now, seat_id=appointment.seat_id)
    if not isinstance(same, Placement):
        same = placement_check(board, spec, appointment.start, now=now)
    if isinstance(same, Placement) and same.staff is not None:
        return Reassignment(appointment=appointment, staff=same.staff)
    later = next_free_start(board, spec, after=max(appointment.start, now), now=now)
    return Reassignment(appointment=appointment, placement=later)
