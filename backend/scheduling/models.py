"""Every table of the scheduling app, for Django to find.

Django loads ``<app>.models`` to register an app's models; each topic package defines its
own in its ``models`` module, and they keep the ``scheduling`` app label (and so their
tables and migrations) because they live inside this app's package. Code imports a model
from its topic, not from here.
"""

from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.booking.models import Appointment, AppointmentEvent, Hold, IdempotencyKey
from backend.scheduling.day.models import Discharge, ReminderSent, RemsForm, RideConfirmation
from backend.scheduling.feeds.models import FeedStamp, FeedToken
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.resources.models import (
    Clinic,
    Closure,
    OpeningHours,
    Patient,
    Room,
    Seat,
    SessionType,
    Staff,
    StaffAbsence,
    WorkingHours,
)
from backend.scheduling.selfservice.models import PatientLink
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistEvent

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "Authorization",
    "Clinic",
    "Closure",
    "Discharge",
    "FeedStamp",
    "FeedToken",
    "GroupSession",
    "Hold",
    "IdempotencyKey",
    "OpeningHours",
    "OutboxEvent",
    "Patient",
    "PatientLink",
    "ReminderSent",
    "RemsForm",
    "RideConfirmation",
    "Room",
    "Seat",
    "SessionType",
    "Staff",
    "StaffAbsence",
    "WaitlistEntry",
    "WaitlistEvent",
    "WorkingHours",
]
