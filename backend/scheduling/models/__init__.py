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
from .day_of_treatment import Discharge, ReminderSent, RemsForm, RideConfirmation
from .feeds import FeedOwnerKind, FeedToken
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
    "Discharge",
    "FeedOwnerKind",
    "FeedToken",
    "Hold",
    "HoldKind",
    "IdempotencyKey",
    "OpeningHours",
    "Patient",
    "RecoveryLocation",
    "ReminderSent",
    "RemsForm",
    "RideConfirmation",
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
