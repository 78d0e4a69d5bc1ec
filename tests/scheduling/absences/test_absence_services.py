"""Which appointments an absence takes the staff member from, and how each is fixed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.scheduling.absences.services import (
    appointment_reassignment_propose,
    appointments_needing_attention,
    staff_absence_record,
)
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.choices import AbsenceKind
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db


def away(world, staff, start, end, kind=AbsenceKind.ABSENCE):
    return staff_absence_record(
        actor=None, staff=staff, start=start, end=end, kind=kind, now=timezone.now()
    )


def test_needing_attention_lists_booked_future_appointments_of_the_absent_member(world):
    hit = world.appointment(world.at(10), staff=world.nurses[0])
    world.appointment(world.at(10), staff=world.nurses[1], patient=world.other_patient)
    world.appointment(
        world.at(14),
        staff=world.nurses[0],
        patient=world.patients[2],
        status=AppointmentStatus.CANCELLED,
    )
    away(world, world.nurses[0], world.at(9), world.at(16))

    listed = appointments_needing_attention(Appointment.objects.all(), now=timezone.now())

    assert list(listed) == [hit]


def test_an_extra_shift_flags_nothing(world):
    world.appointment(world.at(10), staff=world.nurses[0])

    _, affected = away(world, world.nurses[0], world.at(9), world.at(16), AbsenceKind.EXTRA_SHIFT)

    assert affected == []
    assert not appointments_needing_attention(Appointment.objects.all(), now=timezone.now())


def test_reassignment_proposes_the_other_nurse_at_the_same_time(world):
    appointment = world.appointment(world.at(10), staff=world.nurses[0])
    away(world, world.nurses[0], world.at(8), world.at(18))

    proposal = appointment_reassignment_propose(appointment=appointment, now=timezone.now())

    assert proposal.same_time
    assert proposal.staff.staff_id == world.nurses[1].id


def test_reassignment_proposes_the_nearest_start_when_nobody_else_is_free(clinic):
    solo = build_clinic_world(clinic, nurses=1)
    appointment = solo.appointment(solo.at(10), staff=solo.nurse)
    away(solo, solo.nurse, solo.at(8), solo.at(12))

    proposal = appointment_reassignment_propose(appointment=appointment, now=timezone.now())

    assert not proposal.same_time
    assert proposal.placement.start == solo.at(12)
    assert proposal.placement.staff.staff_id == solo.nurse.id


def test_reassignment_skips_a_whole_day_off_to_the_next_working_day(clinic):
    solo = build_clinic_world(clinic, nurses=1)
    appointment = solo.appointment(solo.at(10), staff=solo.nurse)
    away(solo, solo.nurse, solo.at(0), solo.at(0, day=solo.day + timedelta(days=1)))

    proposal = appointment_reassignment_propose(appointment=appointment, now=timezone.now())

    assert proposal.placement.start == solo.at(8, day=solo.day + timedelta(days=1))
