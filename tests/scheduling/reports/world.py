"""The clinic report tests look at, and ``book``, which writes an appointment's holds.

``book`` writes an appointment and its seat holds directly, the way booking leaves them
(cancelled and no-show holds inactive), with no booking rules: report tests choose each
hold's exact span, whatever the session type.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from backend.scheduling.booking.models import AppointmentStatus
from tests.factories import AppointmentFactory
from tests.worlds import ClinicWorld, add_holds

NEW_YORK_DAY = date(2026, 5, 4)  # a Monday


@dataclass
class ReportWorld(ClinicWorld):
    day: date = field(default=NEW_YORK_DAY, kw_only=True)

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
        appointment = AppointmentFactory(
            clinic=self.clinic,
            room=seat.room,
            seat=seat,
            start=start,
            end=session_end,
            recovery_end=recovery_end or session_end,
            status=status,
        )
        add_holds(appointment, recovery_seat=recovery_seat)
        return appointment
