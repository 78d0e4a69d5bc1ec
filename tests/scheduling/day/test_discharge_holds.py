"""A discharge before the booked recovery end frees what the appointment held from then on:
its seat, and its place in the monitoring ratio. A discharge after it changes no hold."""

from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime

from backend.common.errors import Conflict
from backend.scheduling.booking.models import AppointmentEvent, AppointmentStatus, Hold, HoldKind
from backend.scheduling.booking.search import availability_search
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.day.rules import DischargeChecks
from backend.scheduling.day.services import appointment_discharge
from tests.factories import ClinicFactory
from tests.scheduling.day.conftest import DAY
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db

PASSING = DischargeChecks(vitals_stable=True, alert_and_oriented=True, score=9)


def recovering(world, *, start, first_dose, patient=None):
    return world.appointment(
        start=start,
        status=AppointmentStatus.RECOVERING,
        checked_in_at=start - timedelta(minutes=15),
        session_started_at=first_dose,
        patient=patient or world.patient,
    )


def holds_of(appointment) -> dict[str, tuple]:
    return {
        h.kind: (h.start, h.end, h.active) for h in Hold.objects.filter(appointment=appointment)
    }


def discharge_changes(appointment) -> dict:
    return AppointmentEvent.objects.get(appointment=appointment, action="discharged").changes


def test_early_discharge_ends_the_recovery_hold_at_the_discharge(day, clinician_user):
    # Earliest discharge 11:05 (120 minutes from the 09:05 dose); recovery booked to 11:15.
    appointment = recovering(day, start=day.at(9), first_dose=day.at(9, 5))
    now = day.at(11, 8)

    appointment_discharge(actor=clinician_user, appointment=appointment, checks=PASSING, now=now)

    holds = holds_of(appointment)
    assert holds[HoldKind.RECOVERY] == (day.at(9, 15), now, True)
    assert holds[HoldKind.SESSION] == (day.at(9), day.at(9, 15), True)
    appointment.refresh_from_db()
    assert (appointment.recovery_end, appointment.sequence) == (day.at(11, 15), 0)
    booked_end, released_at = discharge_changes(appointment)["holds_end"]
    assert (parse_datetime(booked_end), parse_datetime(released_at)) == (day.at(11, 15), now)


def test_discharge_after_the_booked_recovery_end_changes_no_hold(day, clinician_user):
    appointment = recovering(day, start=day.at(9), first_dose=day.at(9, 5))
    before = holds_of(appointment)

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(11, 40)
    )

    assert holds_of(appointment) == before
    assert "holds_end" not in discharge_changes(appointment)


def test_overridden_discharge_before_recovery_began_releases_every_later_hold(day, clinician_user):
    # An infusion: in the chair 09:00-09:55, recovery booked in the lounge 09:55-10:55.
    appointment = day.appointment(
        start=day.at(9),
        session_type=day.infusion,
        status=AppointmentStatus.IN_SESSION,
        checked_in_at=day.at(8, 50),
        session_started_at=day.at(9),
    )
    now = day.at(9, 40)
    early = DischargeChecks(
        vitals_stable=True, alert_and_oriented=True, score=9, override_reason="Infusion stopped"
    )

    appointment_discharge(actor=clinician_user, appointment=appointment, checks=early, now=now)

    holds = holds_of(appointment)
    assert holds[HoldKind.SESSION] == (day.at(9), now, True)
    assert holds[HoldKind.RECOVERY] == (day.at(9, 55), day.at(10, 55), False)


def small_clinic(**kwargs):
    """One nurse and a recovery that may end after 45 minutes of monitoring."""
    return build_clinic_world(
        ClinicFactory(name="Small Clinic", with_hours=True, recovering_per_monitor=1),
        day=DAY,
        nurses=1,
        session_type_changes={"spravato": {"min_monitoring_minutes": 45}},
        **kwargs,
    )


def starts_offered(world, now) -> list:
    result = availability_search(
        session_type=world.spravato,
        date_from=DAY,
        date_to=DAY,
        now=now,
        patient=world.other_patient,
    )
    return [slot.start for slot in result.slots]


def test_early_discharge_frees_the_seat_for_availability_and_booking(clinician_user):
    world = small_clinic(recliners=1)
    appointment = recovering(world, start=world.at(9), first_dose=world.at(9, 5))
    now = world.at(10)
    assert world.at(10) not in starts_offered(world, now)

    appointment_discharge(actor=clinician_user, appointment=appointment, checks=PASSING, now=now)

    assert starts_offered(world, now)[0] == world.at(10)
    booked = appointment_book(
        actor=None,
        patient=world.other_patient,
        session_type=world.spravato,
        start=world.at(10),
        now=now,
    )
    assert booked.seat_id == world.recliners[0].id


def test_early_discharge_frees_the_monitor_for_the_next_recovery(clinician_user):
    world = small_clinic(recliners=2)
    appointment = recovering(world, start=world.at(9), first_dose=world.at(9, 5))
    now = world.at(10)
    with pytest.raises(Conflict) as refused:
        appointment_book(
            actor=None,
            patient=world.other_patient,
            session_type=world.spravato,
            start=world.at(10),
            now=now,
        )
    assert [c["resource"] for c in refused.value.conflicts] == ["monitoring"]

    appointment_discharge(actor=clinician_user, appointment=appointment, checks=PASSING, now=now)

    booked = appointment_book(
        actor=None,
        patient=world.other_patient,
        session_type=world.spravato,
        start=world.at(10),
        now=now,
    )
    assert booked.status == AppointmentStatus.BOOKED
