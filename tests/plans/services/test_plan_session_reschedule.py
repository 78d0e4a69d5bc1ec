"""plan_session_reschedule: one transaction moves a session and, with ``cascade``, the later
sessions of its plan, through scheduling's booking services."""

import itertools
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.common.errors import Conflict
from backend.plans.models import PlannedSession, PlanTemplate
from backend.plans.services.plans import plan_book, plan_create
from backend.plans.services.reschedule import plan_session_reschedule
from backend.scheduling.booking.models import Appointment, AppointmentEvent, Hold
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.resources.models import SessionType
from tests.factories import ClosureFactory
from tests.scheduling.booking.holds import overlapping_active_holds, requires_postgres

pytestmark = pytest.mark.django_db

CADENCE_NOTE = "Moved to keep the plan's cadence after session 1 moved."


def book_course(world, actor, *, now, template="spravato-trd") -> dict[int, Appointment]:
    plan = plan_create(
        actor=actor,
        patient=world.patients[0],
        template=PlanTemplate.objects.get(slug=template, clinic=None),
        start_date=world.monday,
        now=now,
    )
    booking = plan_book(actor=actor, plan=plan, now=now)
    return {a.ordinal: fresh(a) for a in booking.appointments}


def fresh(appointment: Appointment) -> Appointment:
    """As the reschedule endpoint hands it over: read with everything it shows."""
    return Appointment.objects.with_details().get(pk=appointment.pk)


def day_before_second(course: dict[int, Appointment]):
    """Session 1 moved to the day before session 2, same time: session 2 breaks its gap."""
    first, second = course[1], course[2]
    return first.start + timedelta(days=(second.start - first.start).days - 1)


def calendar_rows():
    return (
        list(Appointment.objects.order_by("id").values_list("id", "start", "seat", "sequence")),
        list(Hold.objects.order_by("id").values_list("id", "seat", "staff", "start", "end")),
        AppointmentEvent.objects.count(),
    )


def local_days(appointments, world):
    return [a.start.astimezone(world.clinic.zone).date() for a in appointments]


def test_cascade_moves_the_later_sessions_so_the_course_keeps_its_cadence(
    plan_world, front_desk_user
):
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now)
    links = dict(PlannedSession.objects.values_list("ordinal", "appointment_id"))
    new_start = day_before_second(course)

    moved, cascaded = plan_session_reschedule(
        actor=front_desk_user, appointment=course[1], start=new_start, now=now, cascade=True
    )

    assert moved.start == new_start
    assert 2 in {a.ordinal for a in cascaded}
    assert all(a.ordinal > 1 and a.start != course[a.ordinal].start for a in cascaded)
    booked = Appointment.objects.filter(pk__in=links.values()).order_by("ordinal")
    induction = local_days(booked, plan_world)[:8]
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(induction))
    assert overlapping_active_holds() == []
    # A move changes times, not which appointment fills which session.
    assert dict(PlannedSession.objects.values_list("ordinal", "appointment_id")) == links
    for appointment in cascaded:
        event = AppointmentEvent.objects.filter(appointment=appointment).latest("id")
        assert (event.action, event.note) == ("rescheduled", CADENCE_NOTE)
        assert Appointment.objects.get(pk=appointment.pk).sequence == 1


def test_without_cascade_only_the_session_moves(plan_world, front_desk_user):
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now)
    new_start = day_before_second(course)

    moved, cascaded = plan_session_reschedule(
        actor=front_desk_user, appointment=course[1], start=new_start, now=now
    )

    assert (moved.start, cascaded) == (new_start, [])
    for ordinal, before in course.items():
        if ordinal > 1:
            assert Appointment.objects.get(pk=before.pk).start == before.start


def test_a_cascade_that_keeps_the_cadence_moves_nothing_else(plan_world, front_desk_user):
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now)
    later_that_day = course[1].start + timedelta(hours=1)

    moved, cascaded = plan_session_reschedule(
        actor=front_desk_user, appointment=course[1], start=later_that_day, now=now, cascade=True
    )

    assert (moved.start, cascaded) == (later_that_day, [])


def test_dry_run_shows_what_would_move_and_writes_nothing(plan_world, front_desk_user):
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now)
    new_start = day_before_second(course)
    before = calendar_rows()

    moved, cascaded = plan_session_reschedule(
        actor=front_desk_user,
        appointment=course[1],
        start=new_start,
        now=now,
        cascade=True,
        dry_run=True,
    )

    assert moved.start == new_start
    assert 2 in {a.ordinal for a in cascaded}
    assert calendar_rows() == before


def test_a_later_session_that_cannot_keep_the_cadence_is_a_409_naming_it_and_nothing_moves(
    plan_world, front_desk_user
):
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now)
    new_start = day_before_second(course)
    second_day = course[2].start.astimezone(plan_world.clinic.zone).date()
    ClosureFactory(
        clinic=plan_world.clinic, start_date=second_day, end_date=second_day + timedelta(days=90)
    )
    before = calendar_rows()

    with pytest.raises(Conflict, match="out of their cadence") as caught:
        plan_session_reschedule(
            actor=front_desk_user, appointment=course[1], start=new_start, now=now, cascade=True
        )

    assert caught.value.conflicts[0]["ordinal"] == 2
    assert caught.value.conflicts[0]["reason"]
    assert calendar_rows() == before


def test_the_moved_session_itself_not_fitting_is_a_409_naming_what_clashes(
    plan_world, front_desk_user
):
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now)
    st = SessionType.objects.get(slug="spravato-session", clinic=None)
    target = day_before_second(course)
    for patient in plan_world.patients[1:]:
        appointment_book(
            actor=front_desk_user, patient=patient, session_type=st, start=target, now=now
        )
    before = calendar_rows()

    with pytest.raises(Conflict) as caught:
        plan_session_reschedule(
            actor=front_desk_user, appointment=course[1], start=target, now=now, cascade=True
        )

    # The plan world has three recliners and two nurses: the two other patients took both.
    assert {c["resource"] for c in caught.value.conflicts} & {"seat", "staff"}
    assert calendar_rows() == before


def test_an_appointment_outside_any_plan_just_moves_even_with_cascade(plan_world, front_desk_user):
    now = timezone.now()
    st = SessionType.objects.get(slug="spravato-session", clinic=None)
    single = appointment_book(
        actor=front_desk_user,
        patient=plan_world.patients[1],
        session_type=st,
        start=plan_world.at(plan_world.monday, 10),
        now=now,
    )
    new_start = plan_world.at(plan_world.monday + timedelta(days=1), 10)

    moved, cascaded = plan_session_reschedule(
        actor=front_desk_user, appointment=fresh(single), start=new_start, now=now, cascade=True
    )

    assert (moved.start, cascaded) == (new_start, [])
    assert Appointment.objects.get(pk=single.pk).start == new_start


def _locked_ids(sql: str, table: str) -> set[int]:
    """The ids locked in ``table`` by a statement (which may lock several tables)."""
    found = re.search(r"IN \(([\d, ]+)\)", sql[sql.index(f'FROM "{table}"') :])
    return {int(i) for i in found.group(1).split(",")} if found else set()


@pytest.mark.postgres
@requires_postgres
def test_the_course_is_locked_up_front_in_one_order_before_anything_is_written(
    plan_world, front_desk_user
):
    # KAP's first session is a preparation in a therapy room; the course also doses on
    # recliners: the move alone would lock fewer seats than the course can reach.
    now = timezone.now()
    course = book_course(plan_world, front_desk_user, now=now, template="kap-individual")
    new_start = course[1].start + timedelta(hours=1)

    with CaptureQueriesContext(connection) as captured:
        plan_session_reschedule(
            actor=front_desk_user, appointment=course[1], start=new_start, now=now, cascade=True
        )

    sqls = [q["sql"] for q in captured.captured_queries]
    first_write = next(i for i, sql in enumerate(sqls) if sql.startswith(("UPDATE", "DELETE")))
    locks = [(i, sql) for i, sql in enumerate(sqls) if re.search(r" FOR (NO KEY )?UPDATE", sql)]
    tables = ["plans_treatmentplan", "scheduling_appointment", "scheduling_patient"]
    tables += ["scheduling_seat", "scheduling_staff"]
    # (statement, place in it): patients, seats and staff are locked by one statement, in
    # the order of its subqueries.
    first_lock = {
        table: next(
            (i, sql.index(f'FROM "{table}"')) for i, sql in locks if f'FROM "{table}"' in sql
        )
        for table in tables
    }
    # The plan, then its appointments, then patient, seats and staff, all before any write.
    assert list(first_lock.values()) == sorted(first_lock.values())
    assert max(i for i, _ in first_lock.values()) < first_write
    # No later lock reaches a seat or staff member the first one did not take.
    for table in ("scheduling_seat", "scheduling_staff"):
        taken = _locked_ids(sqls[first_lock[table][0]], table)
        for _, sql in locks:
            if f'FROM "{table}"' in sql:
                assert _locked_ids(sql, table) <= taken
