"""Set-up checks against the bookings: closures and retiring seats or rooms.

The rows (closures, seats, rooms) belong to the resources topic; this topic sits above
booking because each check reads appointments. Moving the sessions a closure hits needs
plans' cascade, so plans coordinates that (``plans.services.closures``).
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction

from backend.common.errors import Conflict, InvalidInput
from backend.common.fields import local_iso
from backend.scheduling.booking.models import ACTIVE_STATUSES, Appointment, Hold
from backend.scheduling.resources.calendar import wall_to_utc
from backend.scheduling.resources.models import Clinic, Closure, Room, Seat

# A closure longer than this is almost surely a typo in the year.
MAX_CLOSURE_DAYS = 366


def closure_check(*, clinic: Clinic, start_date: date, end_date: date) -> None:
    if end_date < start_date:
        raise InvalidInput("end_date", "The closure cannot end before it starts.")
    if (end_date - start_date).days >= MAX_CLOSURE_DAYS:
        raise InvalidInput("end_date", "A closure covers at most a year.")


def closure_affected(
    *, clinic: Clinic, start_date: date, end_date: date, now: datetime
) -> list[Appointment]:
    """Appointments still to come that a closure of these local days would fall on."""
    zone = clinic.zone
    low = wall_to_utc(start_date, time(0), zone)
    high = wall_to_utc(end_date + timedelta(days=1), time(0), zone)
    return list(
        Appointment.objects.filter(
            clinic=clinic,
            status__in=sorted(ACTIVE_STATUSES),
            start__lt=high,
            recovery_end__gt=low,
            start__gte=now,
        )
        .select_related("patient", "session_type", "room", "staff")
        .order_by("start", "id")
    )


def closure_create(*, clinic: Clinic, start_date: date, end_date: date, reason: str) -> Closure:
    closure_check(clinic=clinic, start_date=start_date, end_date=end_date)
    return Closure.objects.create(
        clinic=clinic, start_date=start_date, end_date=end_date, reason=reason
    )


def _future_bookings(holds, now: datetime) -> list[Appointment]:
    ids = holds.filter(active=True, end__gt=now).values_list("appointment_id", flat=True)
    return list(
        Appointment.objects.filter(id__in=ids)
        .select_related("patient", "session_type")
        .order_by("start", "id")
    )


def _refuse_with(appointments: list[Appointment], what: str, clinic: Clinic) -> None:
    zone = clinic.zone
    raise Conflict(
        f"{what} has {len(appointments)} future booking(s); move or cancel them first.",
        conflicts=[
            {
                "appointment": a.id,
                "start": local_iso(a.start, zone),
                "message": f"{a.patient.full_name}, {a.session_type.name}, "
                f"{a.start.astimezone(zone):%a %d %b %Y %H:%M}",
            }
            for a in appointments
        ],
    )


def seat_active_set(*, seat: Seat, active: bool, now: datetime) -> Seat:
    """(De)activate a seat; refused (409, listing them) while it has future bookings."""
    with transaction.atomic():
        seat = Seat.objects.select_for_update().select_related("room__clinic").get(pk=seat.pk)
        if not active:
            booked = _future_bookings(Hold.objects.filter(seat=seat), now)
            if booked:
                _refuse_with(booked, f"{seat.room.name} / {seat.name}", seat.room.clinic)
        seat.active = active
        seat.save(update_fields=["active"])
        return seat


def room_active_set(*, room: Room, active: bool, now: datetime) -> Room:
    """(De)activate a room; refused (409, listing them) while its seats have future bookings."""
    with transaction.atomic():
        room = Room.objects.select_for_update().select_related("clinic").get(pk=room.pk)
        if not active:
            booked = _future_bookings(Hold.objects.filter(seat__room=room), now)
            if booked:
                _refuse_with(booked, room.name, room.clinic)
        room.active = active
        room.save(update_fields=["active"])
        return room
