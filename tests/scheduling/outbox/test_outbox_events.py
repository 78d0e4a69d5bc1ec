"""Every change of interest writes its outbox event, with ids, times, status and sequence.

These run inside the test's transaction; ``test_outbox_transactions.py`` commits and rolls
back for real.
"""

from datetime import UTC, timedelta

import pytest
from django.db import transaction

from backend.common.errors import Conflict, InvalidInput
from backend.plans.models import PlanTemplate
from backend.plans.services.plans import plan_book, plan_cancel, plan_create
from backend.plans.services.reschedule import plan_session_reschedule
from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.booking.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from backend.scheduling.day.rules import DischargeChecks
from backend.scheduling.day.services import (
    appointment_check_in,
    appointment_discharge,
    appointment_no_show,
    appointment_recover,
    appointment_start,
)
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.outbox.services import outbox_emit
from tests.plans.conftest import PlanWorld
from tests.worlds import build_clinic_world, weekday_ahead

pytestmark = pytest.mark.django_db

APPOINTMENT_KEYS = {
    "clinic",
    "appointment",
    "patient",
    "plan",
    "start",
    "end",
    "status",
    "sequence",
}


def outbox() -> list[tuple[str, str]]:
    return list(OutboxEvent.objects.order_by("id").values_list("type", "subject"))


def book(world, actor, hour=9, patient=0):
    return appointment_book(
        actor=actor,
        patient=world.patients[patient],
        session_type=world.spravato,
        start=world.at(hour),
        now=world.at(hour) - timedelta(days=3),
    )


def test_a_booking_writes_one_event_with_ids_utc_times_status_and_sequence(world, front_desk_user):
    appointment = book(world, front_desk_user)

    [event] = OutboxEvent.objects.all()

    assert (event.type, event.subject, event.clinic_id) == (
        "appointment.booked",
        f"appointment:{appointment.id}",
        world.clinic.id,
    )
    assert event.created_at == world.at(9) - timedelta(days=3)
    assert event.dispatched_at is None
    assert event.data == {
        "clinic": world.clinic.id,
        "appointment": appointment.id,
        "patient": world.patients[0].id,
        "plan": None,
        "start": world.at(9).astimezone(UTC).isoformat(),
        "end": world.at(9, 15).astimezone(UTC).isoformat(),
        "status": "booked",
        "sequence": 0,
    }


def test_no_names_or_notes_reach_the_outbox(world, front_desk_user):
    patient = world.patients[0]
    patient.escort_name = "Escort Person"
    patient.save()
    appointment = book(world, front_desk_user)
    appointment_cancel(
        actor=front_desk_user, appointment=appointment, reason="Feels unwell", now=world.at(7)
    )

    text = str(list(OutboxEvent.objects.values_list("data", flat=True)))

    for private in (patient.first_name, patient.last_name, "Escort Person", "Feels unwell"):
        assert private not in text
    for event in OutboxEvent.objects.all():
        assert set(event.data) == APPOINTMENT_KEYS


def test_refused_bookings_write_no_event(world, front_desk_user):
    book(world, front_desk_user, patient=0)
    book(world, front_desk_user, patient=1)  # both recliners at 9
    inactive = world.patients[3]
    inactive.active = False
    inactive.save()

    with pytest.raises(Conflict):
        book(world, front_desk_user, patient=2)
    with pytest.raises(InvalidInput):
        book(world, front_desk_user, hour=13, patient=3)

    assert [t for t, _ in outbox()] == ["appointment.booked"] * 2


def test_a_booking_rolled_back_with_its_savepoint_leaves_no_event(world, front_desk_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(world, front_desk_user)
        assert OutboxEvent.objects.count() == 1
        raise RuntimeError("the caller's transaction fails after the booking")

    assert outbox() == []


def test_reschedule_cancel_and_the_day_steps_each_write_their_event(world, front_desk_user):
    first = book(world, front_desk_user)
    second = book(world, front_desk_user, hour=12, patient=1)
    third = book(world, front_desk_user, hour=14, patient=2)
    moved = appointment_reschedule(
        actor=front_desk_user, appointment=first, start=world.at(10), now=world.at(7)
    )
    appointment_cancel(actor=front_desk_user, appointment=third, reason="", now=world.at(7))
    appointment_check_in(actor=front_desk_user, appointment=moved, now=world.at(9, 50))
    appointment_start(actor=front_desk_user, appointment=moved, now=world.at(10))
    appointment_recover(actor=front_desk_user, appointment=moved, now=world.at(10, 15))
    appointment_discharge(
        actor=front_desk_user,
        appointment=moved,
        checks=DischargeChecks(vitals_stable=True, alert_and_oriented=True, score=10),
        now=world.at(12, 30),
    )
    appointment_no_show(actor=front_desk_user, appointment=second, now=world.at(12, 40))

    rows = list(OutboxEvent.objects.order_by("id").values_list("type", "subject", "data"))

    a, b, c = (f"appointment:{x.id}" for x in (first, second, third))
    assert [(t, s) for t, s, _ in rows] == [
        ("appointment.booked", a),
        ("appointment.booked", b),
        ("appointment.booked", c),
        ("appointment.rescheduled", a),
        ("appointment.cancelled", c),
        ("appointment.checked_in", a),
        ("appointment.discharged", a),
        ("appointment.no_show", b),
    ]
    by_type = {t: d for t, _, d in rows}
    assert by_type["appointment.rescheduled"]["start"] == world.at(10).astimezone(UTC).isoformat()
    # The calendar sequence: moves, cancellations and no-shows raise it, the day's steps do not.
    assert [d["sequence"] for _, _, d in rows] == [0, 0, 0, 1, 1, 1, 1, 1]
    assert [d["status"] for _, _, d in rows] == [
        "booked",
        "booked",
        "booked",
        "booked",
        "cancelled",
        "checked_in",
        "discharged",
        "no_show",
    ]


def test_a_refused_move_writes_no_event(world, front_desk_user):
    first = book(world, front_desk_user)
    book(world, front_desk_user, hour=12, patient=1)
    book(world, front_desk_user, hour=12, patient=2)  # both recliners at 12

    with pytest.raises(Conflict):
        appointment_reschedule(
            actor=front_desk_user, appointment=first, start=world.at(12), now=world.at(7)
        )

    assert [t for t, _ in outbox()] == ["appointment.booked"] * 3


def test_emitting_an_unknown_type_is_a_programming_error(world):
    with pytest.raises(ValueError, match="unknown outbox event type"):
        outbox_emit(
            clinic_id=world.clinic.id, type="appointment.exploded", data={}, now=world.at(9)
        )


# --- Plans -------------------------------------------------------------------------------


@pytest.fixture
def course_world(clinic) -> PlanWorld:
    return build_clinic_world(
        clinic,
        world_class=PlanWorld,
        day=weekday_ahead(clinic, 0),
        recliners=3,
        lounge_chairs=4,
        therapy_rooms=2,
        therapists=2,
        patients=2,
    )


def test_a_plan_books_and_cancels_with_one_plan_event_each_and_one_per_session(
    course_world, front_desk_user
):
    world = course_world
    now = world.at(world.monday, 8) - timedelta(days=7)
    plan = plan_create(
        actor=front_desk_user,
        patient=world.patients[0],
        template=PlanTemplate.objects.get(slug="iv-ketamine", clinic=None),
        start_date=world.monday,
        now=now,
    )
    booking = plan_book(actor=front_desk_user, plan=plan, now=now)
    appointments = sorted(booking.appointments, key=lambda a: a.start)
    plan_cancel(actor=front_desk_user, plan=plan, reason="Moved away", now=now)

    rows = list(OutboxEvent.objects.order_by("id").values_list("type", "subject", "data"))

    sessions = len(appointments)
    assert sessions >= 2
    types = [t for t, _, _ in rows]
    assert types == (
        ["appointment.booked"] * sessions
        + ["plan.booked"]
        + ["appointment.cancelled"] * sessions
        + ["plan.cancelled"]
    )
    booked = rows[sessions][2]
    cancelled = rows[-1][2]
    assert booked == {
        "clinic": world.clinic.id,
        "plan": plan.id,
        "patient": world.patients[0].id,
        "start": appointments[0].start.astimezone(UTC).isoformat(),
        "end": appointments[-1].end.astimezone(UTC).isoformat(),
        "status": "booked",
        "sequence": 0,
        "appointments": [a.id for a in booking.appointments],
    }
    assert (cancelled["status"], cancelled["sequence"]) == ("cancelled", 1)
    assert sorted(cancelled["appointments"]) == sorted(a.id for a in appointments)
    assert all(d["plan"] == plan.id for t, _, d in rows if t.startswith("appointment."))
    assert "Moved away" not in str(rows)


def test_a_cascade_emits_for_every_session_it_moves_and_a_dry_run_for_none(
    course_world, front_desk_user
):
    world = course_world
    now = world.at(world.monday, 8) - timedelta(days=7)
    plan = plan_create(
        actor=front_desk_user,
        patient=world.patients[0],
        template=PlanTemplate.objects.get(slug="spravato-trd", clinic=None),
        start_date=world.monday,
        now=now,
    )
    course = {
        a.ordinal: a for a in plan_book(actor=front_desk_user, plan=plan, now=now).appointments
    }
    before = OutboxEvent.objects.count()
    first = course[1]
    target = first.start + timedelta(days=1)

    plan_session_reschedule(
        actor=front_desk_user, appointment=first, start=target, now=now, cascade=True, dry_run=True
    )
    after_dry_run = OutboxEvent.objects.count()
    moved, followers = plan_session_reschedule(
        actor=front_desk_user, appointment=first, start=target, now=now, cascade=True
    )

    rescheduled = list(
        OutboxEvent.objects.filter(type="appointment.rescheduled").values_list("subject", flat=True)
    )
    assert after_dry_run == before
    assert sorted(rescheduled) == sorted(f"appointment:{a.id}" for a in [moved, *followers])
    assert OutboxEvent.objects.count() == before + 1 + len(followers)
    assert followers, "the move should push later sessions"
    assert moved.status == AppointmentStatus.BOOKED
