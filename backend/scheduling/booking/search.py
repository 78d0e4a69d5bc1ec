"""Availability search: free starts for a session type over a range of local dates."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backend.common.errors import InvalidInput
from backend.scheduling.booking.availability import Placement, slots_find
from backend.scheduling.booking.fetch import board_fetch, clinic_fetch, local_date_of, spec_of
from backend.scheduling.booking.services import patient_eligibility_problems
from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType, Staff


@dataclass(frozen=True)
class AvailabilityResult:
    clinic: Clinic
    slots: list[Placement]


def availability_clinic(
    session_type: SessionType, *, clinic_id: int | None, patient: Patient | None
) -> int:
    """Which clinic to search: the session type's own, else the patient's, else the one named."""
    candidates = [
        c for c in (session_type.clinic_id, patient.clinic_id if patient else None, clinic_id) if c
    ]
    if not candidates:
        # A single-clinic install needs no clinic parameter for the built-in types.
        only = list(Clinic.objects.values_list("id", flat=True)[:2])
        if len(only) == 1:
            return only[0]
        raise InvalidInput("clinic", "Name the clinic: this session type is shared by all.")
    if len(set(candidates)) > 1:
        raise InvalidInput("clinic", "The session type, patient and clinic do not match.")
    return candidates[0]


def availability_search(
    *,
    session_type: SessionType,
    date_from: date,
    date_to: date,
    now: datetime,
    clinic_id: int | None = None,
    patient: Patient | None = None,
    staff: Staff | None = None,
    room: Room | None = None,
    step_minutes: int = 15,
    earliest: time | None = None,
    latest: time | None = None,
) -> AvailabilityResult:
    # Search never offers what booking would refuse: the same rules, the same 400s.
    if not session_type.active:
        raise InvalidInput("session_type", "This session type is no longer offered.")
    if patient is not None:
        problems = patient_eligibility_problems(patient, session_type)
        if problems:
            raise InvalidInput("patient", " ".join(problems))
    clinic_id = availability_clinic(session_type, clinic_id=clinic_id, patient=patient)
    # The patient's clinic row, if it came with the patient, is as fresh as a new read.
    clinic = (
        patient.clinic
        if patient is not None and Patient.clinic.is_cached(patient)
        else clinic_fetch(clinic_id)
    )
    if staff is not None and (
        staff.clinic_id != clinic.id or staff.role != session_type.staff_role
    ):
        raise InvalidInput("staff", "This staff member cannot run this session type here.")
    if room is not None and (room.clinic_id != clinic.id or room.kind != session_type.room_kind):
        raise InvalidInput("room", "This room cannot host this session type.")
    today = local_date_of(clinic, now)
    date_from = max(date_from, today)
    if date_to < date_from:
        return AvailabilityResult(clinic, [])
    spec = spec_of(session_type)
    board = board_fetch(
        clinic=clinic,
        session_type=session_type,
        date_from=date_from,
        date_to=date_to,
        patient=patient,
        room_id=room.id if room else None,
    )
    slots = slots_find(
        board,
        spec,
        date_from,
        date_to,
        now=now,
        step=timedelta(minutes=step_minutes),
        preferred_staff_id=staff.id if staff else None,
        earliest=earliest,
        latest=latest,
    )
    if staff is not None:
        slots = [s for s in slots if s.staff is not None and s.staff.staff_id == staff.id]
    return AvailabilityResult(clinic, slots)
