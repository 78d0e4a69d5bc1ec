"""The clinic the scheduling, plan and console tests share, built with the factories.

``build_clinic_world`` lays a clinic out the way a small ketamine clinic is laid out: a
dosing room with recliners, a recovery lounge, a therapy room, nurses and a therapist who
work the clinic's opening hours, the clinic's own Spravato, infusion and integration
session types, and patients who are cleared and enrolled in REMS. Its keyword arguments
change only what a group of tests needs changed (more recliners, the names its assertions
read); the root conftest's ``world`` is the clinic as it is, and a test directory that
needs another holds its variant in its conftest.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.scheduling.booking.models import AppointmentStatus, Hold, HoldKind
from backend.scheduling.resources.choices import RecoveryLocation, RoomKind, StaffRole
from backend.scheduling.resources.models import Clinic, Patient, Room, Seat, SessionType, Staff
from tests.factories import (
    CLOSES,
    OPENS,
    WEEKDAYS,
    AppointmentFactory,
    HoldFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    WorkingHoursFactory,
)

WEDNESDAY = 2

# Booking deactivates the holds of these; the helpers below write them the same way.
INACTIVE_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)

SPRAVATO_INSTRUCTIONS = (
    "No food for 2 hours and no drinks for 30 minutes before your appointment. "
    "You will stay with us for at least 2 hours afterwards."
)

# The clinic's own session types, by the world attribute that names each. A variant's
# ``session_types`` changes fields of these; it cannot add others.
SESSION_TYPES: dict[str, dict] = {
    "spravato": {
        "slug": "spravato",
        "name": "Spravato",
        "requires_rems": True,
        "in_room_minutes": 15,
        "recovery_minutes": 120,
        "recovery_location": RecoveryLocation.SAME_SEAT,
        "min_monitoring_minutes": 120,
        "escort_required": True,
        "arrive_minutes_before": 20,
        "patient_instructions": SPRAVATO_INSTRUCTIONS,
    },
    "infusion": {
        "slug": "infusion",
        "name": "IV infusion",
        "in_room_minutes": 55,
        "recovery_minutes": 60,
        "recovery_location": RecoveryLocation.RECOVERY_ROOM,
        "min_monitoring_minutes": 115,
        "escort_required": True,
        "arrive_minutes_before": 15,
        "patient_instructions": "Eat lightly: no food for 4 hours before your appointment.",
    },
    "therapy": {
        "slug": "integration",
        "name": "Integration",
        "is_dosing": False,
        "in_room_minutes": 60,
        "recovery_minutes": 0,
        "min_monitoring_minutes": 0,
        "escort_required": False,
        "room_kind": RoomKind.THERAPY,
        "staff_role": StaffRole.THERAPIST,
        "arrive_minutes_before": 10,
        "patient_instructions": "",
    },
}


def weekday_ahead(clinic: Clinic, weekday: int, *, at_least_days: int = 14) -> date:
    """The first ``weekday`` (Monday = 0) at least ``at_least_days`` after the clinic's today.

    API tests go through the real clock, so the days they book must lie ahead of it.
    """
    day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def add_holds(appointment, *, recovery_seat: Seat | None = None) -> None:
    """The seat holds booking leaves on ``appointment``: its session on its seat, then its
    recovery (if it has one) on ``recovery_seat``, by default the same seat. The holds of a
    cancelled appointment or a no-show are inactive, as booking leaves them."""
    active = appointment.status not in INACTIVE_STATUSES
    HoldFactory(
        appointment=appointment,
        kind=HoldKind.SESSION,
        seat=appointment.seat,
        start=appointment.start,
        end=appointment.end,
        active=active,
    )
    if appointment.recovery_end > appointment.end:
        HoldFactory(
            appointment=appointment,
            kind=HoldKind.RECOVERY,
            seat=recovery_seat or appointment.seat,
            start=appointment.end,
            end=appointment.recovery_end,
            active=active,
        )


def first_free_seat(seats: Sequence[Seat], start: datetime, end: datetime) -> Seat:
    """The first of ``seats`` with no active hold overlapping ``start``-``end``."""
    busy = set(
        Hold.objects.filter(seat__in=seats, active=True, start__lt=end, end__gt=start).values_list(
            "seat_id", flat=True
        )
    )
    for seat in seats:
        if seat.id not in busy:
            return seat
    raise AssertionError(f"no seat of {[s.name for s in seats]} is free {start}-{end}")


@dataclass
class ClinicWorld:
    # The first five fields can be given in order: a test may lay out a clinic by hand.
    clinic: Clinic
    dosing_room: Room
    recliners: list[Seat]
    lounge: Room | None = None
    lounge_chairs: list[Seat] = field(default_factory=list)
    therapy_rooms: list[Room] = field(default_factory=list)
    therapy_chairs: list[Seat] = field(default_factory=list)
    nurses: list[Staff] = field(default_factory=list)
    therapists: list[Staff] = field(default_factory=list)
    prescribers: list[Staff] = field(default_factory=list)
    spravato: SessionType | None = None
    infusion: SessionType | None = None
    therapy: SessionType | None = None
    patients: list[Patient] = field(default_factory=list)
    day: date = field(kw_only=True)

    @property
    def zone(self) -> ZoneInfo:
        return self.clinic.zone

    @property
    def nurse(self) -> Staff:
        return self.nurses[0]

    @property
    def therapist(self) -> Staff:
        return self.therapists[0]

    @property
    def patient(self) -> Patient:
        return self.patients[0]

    @property
    def other_patient(self) -> Patient:
        return self.patients[1]

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        """An aware instant at a wall-clock time on ``day`` (the world's), in the clinic's zone."""
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=self.zone)

    def appointment(
        self,
        start: datetime,
        *,
        session_type: SessionType | None = None,
        status: str = AppointmentStatus.BOOKED,
        patient: Patient | None = None,
        seat: Seat | None = None,
        **fields,
    ):
        """A Spravato appointment row (unless told otherwise) for the first patient, with
        the seat holds booking would give it. No booking rule is checked.

        Unless given, the seat is the first one of the session's kind free over its visit,
        and recovery in the recovery room takes the first lounge chair free over it:
        overlapping appointments never share a seat, which PostgreSQL's exclusion
        constraint would refuse. The first staff member of the session's role is named but
        holds no span, for the same reason.
        """
        session_type = session_type or self.spravato
        end = start + timedelta(minutes=session_type.in_room_minutes)
        recovery_end = end + timedelta(minutes=session_type.recovery_minutes)
        same_seat = session_type.recovery_in_same_seat
        if seat is None:
            therapy = session_type.room_kind == RoomKind.THERAPY
            seats = self.therapy_chairs if therapy else self.recliners
            seat = first_free_seat(seats, start, recovery_end if same_seat else end)
        recovery_seat = seat
        if recovery_end > end and not same_seat:
            recovery_seat = first_free_seat(self.lounge_chairs, end, recovery_end)
        fields.setdefault("staff", self._staff_for(session_type))
        fields.setdefault("escort_name", "Sam Escort")
        fields.setdefault("escort_phone", "555-0199")
        appointment = AppointmentFactory(
            clinic=self.clinic,
            patient=patient or self.patient,
            session_type=session_type,
            room=seat.room,
            seat=seat,
            start=start,
            end=end,
            recovery_end=recovery_end,
            status=status,
            **fields,
        )
        add_holds(appointment, recovery_seat=recovery_seat)
        return appointment

    def _staff_for(self, session_type: SessionType) -> Staff | None:
        by_role = {StaffRole.NURSE: self.nurses, StaffRole.THERAPIST: self.therapists}
        people = by_role.get(session_type.staff_role, [])
        return people[0] if people else None


def _seats(room: Room, name: str, count: int) -> list[Seat]:
    return [SeatFactory(room=room, name=f"{name} {i}") for i in range(1, count + 1)]


def _staff(clinic: Clinic, role: str, names: list[str]) -> list[Staff]:
    """Staff members who work Monday to Friday 08:00-18:00, the hours of an open clinic."""
    people = [StaffFactory(clinic=clinic, name=name, role=role) for name in names]
    for person in people:
        for weekday in WEEKDAYS:
            WorkingHoursFactory(staff=person, weekday=weekday, starts=OPENS, ends=CLOSES)
    return people


def _everyday_patient(i: int) -> dict:
    return {
        "first_name": f"Robin{i}",
        "last_name": f"Lee{i}",
        "cleared": True,
        "rems": True,
        "escort_name": f"Escort {i}",
        "escort_phone": "555-0100",
    }


W = TypeVar("W", bound=ClinicWorld)


def build_clinic_world(
    clinic: Clinic,
    *,
    world_class: type[W] = ClinicWorld,
    day: date | None = None,
    dosing_room: str = "Spravato Room",
    recliners: int = 2,
    lounge_chairs: int = 2,
    lounge_chair: str = "Lounge",
    therapy_rooms: int = 1,
    nurses: int = 2,
    therapists: int = 1,
    prescribers: int = 1,
    session_types: bool = True,
    session_type_changes: Mapping[str, Mapping] | None = None,
    patients: int | Sequence[Mapping] = 4,
    **fields,
) -> W:
    """Lays ``clinic`` out and returns it as a ``world_class`` (a variant's subclass).

    - ``day``: the world's day; by default the Wednesday at least two weeks ahead.
    - a dosing room named ``dosing_room`` with ``recliners`` recliners ("Recliner 1"...);
      a "Recovery Lounge" with ``lounge_chairs`` chairs named ``lounge_chair`` 1, 2...
      (none: no lounge); ``therapy_rooms`` therapy rooms ("Therapy A"...), a "Chair" each.
    - ``nurses`` nurses ("Nurse A"...), ``therapists`` therapists ("Therapist X"...) and
      ``prescribers`` prescribers ("Prescriber P"...), working Monday to Friday 08:00-18:00.
    - the session types of ``SESSION_TYPES`` with the fields ``session_type_changes``
      gives; with ``session_types=False`` the clinic has none of its own.
    - ``patients``: how many, or the PatientFactory fields of each; each is by default
      Robin<i> Lee<i>, cleared, REMS-enrolled, with "Escort <i>" on file.
    - ``fields``: further fields of ``world_class``, or ones to replace.
    """
    dosing = RoomFactory(clinic=clinic, name=dosing_room, kind=RoomKind.DOSING)
    recliner_seats = _seats(dosing, "Recliner", recliners)
    lounge, chairs = None, []
    if lounge_chairs:
        lounge = RoomFactory(clinic=clinic, name="Recovery Lounge", kind=RoomKind.RECOVERY)
        chairs = _seats(lounge, lounge_chair, lounge_chairs)
    rooms = [
        RoomFactory(clinic=clinic, name=f"Therapy {letter}", kind=RoomKind.THERAPY)
        for letter in "ABCDEF"[:therapy_rooms]
    ]
    therapy_chairs = [SeatFactory(room=room, name="Chair") for room in rooms]
    nurse_staff = _staff(clinic, StaffRole.NURSE, [f"Nurse {n}" for n in "ABCDEF"[:nurses]])
    therapist_staff = _staff(
        clinic, StaffRole.THERAPIST, [f"Therapist {n}" for n in "XYZ"[:therapists]]
    )
    # On site for sessions that need a prescriber (Spravato REMS); runs none itself.
    prescriber_staff = _staff(
        clinic, StaffRole.PRESCRIBER, [f"Prescriber {n}" for n in "PQ"[:prescribers]]
    )
    own_types = {}
    if session_types:
        changes = session_type_changes or {}
        own_types = {
            key: SessionTypeFactory(clinic=clinic, **{**spec, **changes.get(key, {})})
            for key, spec in SESSION_TYPES.items()
        }
    if isinstance(patients, int):
        patients = [{}] * patients
    people = [
        PatientFactory(clinic=clinic, **{**_everyday_patient(i), **own})
        for i, own in enumerate(patients)
    ]
    built = {
        "clinic": clinic,
        "dosing_room": dosing,
        "recliners": recliner_seats,
        "lounge": lounge,
        "lounge_chairs": chairs,
        "therapy_rooms": rooms,
        "therapy_chairs": therapy_chairs,
        "nurses": nurse_staff,
        "therapists": therapist_staff,
        "prescribers": prescriber_staff,
        **own_types,
        "patients": people,
        "day": day or weekday_ahead(clinic, WEDNESDAY),
    }
    return world_class(**{**built, **fields})


def api_time(value: datetime, zone) -> str:
    """How the API writes ``value`` at ``zone``'s wall clock: ISO 8601, a zero offset as ``Z``.

    Written out here rather than borrowed from the code under test, so that a response built
    by hand (``+00:00``) and one from a serializer field (``Z``) cannot both pass.
    """
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
