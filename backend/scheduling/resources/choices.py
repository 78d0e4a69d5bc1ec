"""Enumerations of the clinic's resources."""

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


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth"


class AbsenceKind(models.TextChoices):
    ABSENCE = "absence", "Time off"
    EXTRA_SHIFT = "extra_shift", "Extra shift"
