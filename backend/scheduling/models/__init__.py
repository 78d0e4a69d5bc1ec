from .appointments import Appointment, AppointmentEvent, Hold
from .choices import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    HoldKind,
    RecoveryLocation,
    Role,
    RoomKind,
    ScreeningStatus,
    SeatKind,
    StaffRole,
    Weekday,
)
from .clinic import Clinic, Closure, OpeningHours
from .idempotency import IdempotencyKey
from .patients import Patient
from .resources import Room, Seat, SessionType, Staff, WorkingHours

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentEvent",
    "AppointmentStatus",
    "Clinic",
    "Closure",
    "Hold",
    "HoldKind",
    "IdempotencyKey",
    "OpeningHours",
    "Patient",
    "RecoveryLocation",
    "Role",
    "Room",
    "RoomKind",
    "ScreeningStatus",
    "Seat",
    "SeatKind",
    "SessionType",
    "Staff",
    "StaffRole",
    "Weekday",
    "WorkingHours",
]
