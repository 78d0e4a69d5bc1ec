"""Row locks taken before a booking re-checks the calendar.

On PostgreSQL, concurrent writers that want the same seats, staff or patient queue on
these locks instead of both passing the check and one failing late on the exclusion
constraint. Locks are always taken in one order (clinic, patients, seats, staff; ids
ascending) so two writers can never wait on each other. SQLite has no row locks: its
IMMEDIATE transactions already serialize every writer.

The clinic row serialises writers that add monitored recovery: the monitoring ratio is a
clinic-wide sum that no seat or staff lock covers (two bookings on different seats could
each pass the check and together break it).
"""

from collections.abc import Iterable

from backend.common.db import row_locks_take
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import Clinic, Patient, Seat, Staff


def resources_lock(
    *,
    clinic_ids: Iterable[int] = (),
    patient_ids: Iterable[int] = (),
    seat_ids: Iterable[int] = (),
    staff_ids: Iterable[int] = (),
) -> None:
    """Lock the clinics, patients, seats and staff, in that order, in one statement."""
    row_locks_take(
        [
            (Clinic, list(clinic_ids)),
            (Patient, list(patient_ids)),
            (Seat, list(seat_ids)),
            (Staff, list(staff_ids)),
        ]
    )


def appointment_lock(appointment_id: int) -> Appointment:
    """Re-read an appointment under a row lock (plain read on SQLite, which is serialized)."""
    return (
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .with_details()
        .get(pk=appointment_id)
    )
