"""Enumerations shared by models, serializers and the pure domain."""

from django.db import models


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class RoomKind(models.TextChoices):
    DOSING = "dosing", "Dosing"
    RECOVERY = "recovery", "Recovery"
    THERAPY = "therapy", "Therapy"


class SeatKind(models.TextChoices):
    RECLINER = "recliner", "Recliner"
    CHAIR = "chair", "Chair"
    BED = "bed", "Bed"


class StaffRole(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"


class ScreeningStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLEARED = "cleared", "Cleared"
    NOT_CLEARED = "not_cleared", "Not cleared"


class RecoveryLocation(models.TextChoices):
    SAME_SEAT = "same_seat", "Same seat"
    RECOVERY_ROOM = "recovery_room", "Recovery room"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    IN_SESSION = "in_session", "In session"
    RECOVERING = "recovering", "Recovering"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses whose holds still occupy seats and staff.
ACTIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_SESSION,
    AppointmentStatus.RECOVERING,
    AppointmentStatus.DISCHARGED,
)


class HoldKind(models.TextChoices):
    SESSION = "session", "Session"
    RECOVERY = "recovery", "Recovery"
    STAFF = "staff", "Staff"


class Role:
    """Django group names; a user's groups are their roles."""

    FRONT_DESK = "front_desk"
    CLINICIAN = "clinician"
    MANAGER = "manager"
    ALL = (FRONT_DESK, CLINICIAN, MANAGER)
