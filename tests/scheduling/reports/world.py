"""The clinic report tests look at, and ``book``, which writes an appointment's holds.

``book`` writes an appointment and its seat holds directly, the way booking leaves them
(cancelled and no-show holds inactive), with no booking rules.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from backend.scheduling.booking.models import AppointmentStatus, HoldKind
from tests.factories import AppointmentFactory, HoldFactory

NEW_YORK_DAY = date(2026, 5, 4)  # a Monday
INACTIVE_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


@dataclass
class ReportWorld:
    clinic: object
    dosing_room: object
    recliners: list
    lounge: object
    lounge_chairs: list

    def at(self, hour: int, minute: int = 0, day: date = NEW_YORK_DAY) -> datetime:
        """An aware instant at a wall-clock time in the clinic's zone."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.clinic.zone)

    def book(
        self,
        seat,
        start: datetime,
        session_end: datetime,
        recovery_end: datetime | None = None,
        *,
        recovery_seat=None,
        status: str = AppointmentStatus.BOOKED,
    ):
        """An appointment with a session hold and, if it has one, a recovery hold."""
        recovery_end = recovery_end or session_end
        appointment = AppointmentFactory(
            clinic=self.clinic,
            room=seat.room,
            seat=seat,
            start=start,
            end=session_end,
            recovery_end=recovery_end,
            status=status,
        )
        active = status not in INACTIVE_STATUSES
        HoldFactory(
            appointment=appointment,
            kind=HoldKind.SESSION,
            seat=seat,
            start=start,
            end=session_end,
            active=active,
        )
        if recovery_end > session_end:
            HoldFactory(
                appointment=appointment,
                kind=HoldKind.RECOVERY,
                seat=recovery_seat or seat,
                start=session_end,
                end=recovery_end,
                active=active,
            )
        return appointment
