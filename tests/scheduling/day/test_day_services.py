"""Day-of-treatment services with exact "now"s: every transition, every refusal, the audit."""

from datetime import date, timedelta

import pytest

from backend.common.errors import Conflict, DomainError
from backend.scheduling.booking.models import Appointment, AppointmentEvent, AppointmentStatus, Hold
from backend.scheduling.booking.services import appointment_cancel
from backend.scheduling.day.models import Discharge, RemsForm
from backend.scheduling.day.rules import DischargeChecks
from backend.scheduling.day.services import (
    appointment_check_in,
    appointment_discharge,
    appointment_escort_update,
    appointment_no_show,
    appointment_recover,
    appointment_start,
)

pytestmark = pytest.mark.django_db

PASSING = DischargeChecks(vitals_stable=True, alert_and_oriented=True, score=9)


def events(appointment) -> list[tuple]:
    return list(
        AppointmentEvent.objects.filter(appointment=appointment)
        .order_by("id")
        .values_list("action", "actor__username", "at", "changes", "note")
    )


def fresh(appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def started(day, *, start, first_dose, status=AppointmentStatus.RECOVERING, **kwargs):
    return day.appointment(
        start=start,
        status=status,
        checked_in_at=start - timedelta(minutes=15),
        session_started_at=first_dose,
        **kwargs,
    )


def test_check_in_records_who_and_when_and_leaves_sequence(day, front_desk_user):
    appointment = day.appointment(start=day.at(9))
    now = day.at(8, 42)

    result = appointment_check_in(actor=front_desk_user, appointment=appointment, now=now)

    assert result.status == AppointmentStatus.CHECKED_IN
    row = fresh(appointment)
    assert (row.status, row.checked_in_at, row.sequence) == ("checked_in", now, 0)
    assert events(appointment) == [
        (
            "checked_in",
            "frontdesk",
            now,
            {"status": ["booked", "checked_in"], "checked_in_at": [None, now.isoformat()]},
            "",
        )
    ]


def test_check_in_twice_is_a_conflict_naming_the_state(day, front_desk_user):
    appointment = day.appointment(start=day.at(9), status=AppointmentStatus.CHECKED_IN)

    with pytest.raises(Conflict) as refused:
        appointment_check_in(actor=front_desk_user, appointment=appointment, now=day.at(8, 50))

    assert refused.value.status_code == 409
    assert refused.value.body() == {
        "detail": "This appointment is checked in; only a booked appointment can be checked in.",
        "errors": {},
        "conflicts": [],
        "status": "checked_in",
    }
    assert events(appointment) == []


def test_start_sets_the_first_dose_time(day, clinician_user):
    appointment = day.appointment(start=day.at(9), status=AppointmentStatus.CHECKED_IN)

    appointment_start(actor=clinician_user, appointment=appointment, now=day.at(9, 4))

    row = fresh(appointment)
    assert (row.status, row.session_started_at, row.sequence) == ("in_session", day.at(9, 4), 0)
    assert [e[:2] for e in events(appointment)] == [("session_started", "clinician")]


def test_start_before_check_in_is_refused(day, clinician_user):
    appointment = day.appointment(start=day.at(9))

    with pytest.raises(Conflict) as refused:
        appointment_start(actor=clinician_user, appointment=appointment, now=day.at(9))

    assert refused.value.detail == (
        "This appointment is booked; only a checked-in appointment can be started. "
        "Check the patient in first."
    )
    assert fresh(appointment).session_started_at is None


def test_recover_moves_a_session_in_progress_to_recovery(day, clinician_user):
    appointment = started(
        day, start=day.at(9), first_dose=day.at(9), status=AppointmentStatus.IN_SESSION
    )

    appointment_recover(actor=clinician_user, appointment=appointment, now=day.at(9, 16))

    row = fresh(appointment)
    assert (row.status, row.recovery_started_at) == ("recovering", day.at(9, 16))


@pytest.mark.parametrize(
    "status", ["booked", "checked_in", "recovering", "discharged", "cancelled", "no_show"]
)
def test_recover_from_any_other_state_is_refused(day, clinician_user, status):
    appointment = day.appointment(start=day.at(9), status=status)

    with pytest.raises(Conflict) as refused:
        appointment_recover(actor=clinician_user, appointment=appointment, now=day.at(9, 16))

    assert refused.value.extra == {"status": status}


def test_discharge_at_exactly_the_minimum_monitoring_time(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9, 5))
    now = day.at(11, 5)

    result = appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=now, notes="Fine."
    )

    assert result.status == AppointmentStatus.DISCHARGED
    row = fresh(appointment)
    assert (row.status, row.discharged_at, row.sequence) == ("discharged", now, 0)
    record = Discharge.objects.get(appointment=appointment)
    assert (
        record.at,
        record.clinician,
        record.vitals_stable,
        record.alert_and_oriented,
        record.score,
        record.pass_mark,
        record.collected_by,
        record.early_override_reason,
        record.notes,
    ) == (now, clinician_user, True, True, 9, 9, "Sam Escort", "", "Fine.")
    assert [e[:2] for e in events(appointment)] == [("discharged", "clinician")]


def test_discharge_one_minute_early_is_refused_and_writes_nothing(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9, 5))

    with pytest.raises(Conflict) as refused:
        appointment_discharge(
            actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(11, 4)
        )

    body = refused.value.body()
    assert body["detail"] == (
        "Monitoring must last at least 120 minutes: discharge is possible from 11:05. "
        "To discharge earlier, give an override_reason."
    )
    assert body["errors"] == {"override_reason": [body["detail"]]}
    assert body["status"] == "recovering"
    assert body["earliest_discharge"] == day.at(11, 5).isoformat()
    assert fresh(appointment).status == AppointmentStatus.RECOVERING
    assert not Discharge.objects.exists()
    assert not RemsForm.objects.exists()
    assert events(appointment) == []


def test_discharge_early_with_an_override_records_the_reason(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9))
    checks = DischargeChecks(
        vitals_stable=True,
        alert_and_oriented=True,
        score=10,
        override_reason="Family emergency; assessed fit.",
    )

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=checks, now=day.at(10, 30)
    )

    record = Discharge.objects.get(appointment=appointment)
    assert record.early_override_reason == "Family emergency; assessed fit."
    assert events(appointment)[0][4] == "Early discharge: Family emergency; assessed fit."


def test_discharge_below_the_pass_mark_is_400_naming_score(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9))
    checks = DischargeChecks(
        vitals_stable=True, alert_and_oriented=True, score=8, override_reason="no override"
    )

    with pytest.raises(DomainError) as refused:
        appointment_discharge(
            actor=clinician_user, appointment=appointment, checks=checks, now=day.at(12)
        )

    assert refused.value.status_code == 400
    assert list(refused.value.errors) == ["score"]
    assert "pass mark of 9" in refused.value.detail
    assert fresh(appointment).status == AppointmentStatus.RECOVERING


def test_discharge_pass_mark_is_the_clinics_and_is_recorded(day, clinician_user):
    day.clinic.discharge_pass_mark = 7
    day.clinic.save()
    appointment = started(day, start=day.at(9), first_dose=day.at(9))
    checks = DischargeChecks(vitals_stable=True, alert_and_oriented=True, score=7)

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=checks, now=day.at(12)
    )

    assert Discharge.objects.values_list("score", "pass_mark").get() == (7, 7)


@pytest.mark.parametrize(
    ("field", "checks"),
    [
        ("vitals_stable", DischargeChecks(vitals_stable=False, alert_and_oriented=True, score=9)),
        (
            "alert_and_oriented",
            DischargeChecks(vitals_stable=True, alert_and_oriented=False, score=9),
        ),
    ],
)
def test_discharge_with_a_failed_check_is_refused(day, clinician_user, field, checks):
    appointment = started(day, start=day.at(9), first_dose=day.at(9))

    with pytest.raises(DomainError) as refused:
        appointment_discharge(
            actor=clinician_user, appointment=appointment, checks=checks, now=day.at(12)
        )

    assert list(refused.value.errors) == [field]


def test_discharge_without_an_escort_is_refused_when_one_is_required(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9), escort_name="")

    with pytest.raises(DomainError) as refused:
        appointment_discharge(
            actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(12)
        )

    assert refused.value.status_code == 400
    assert list(refused.value.errors) == ["collected_by"]


def test_discharge_names_who_collected_when_no_escort_was_on_file(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9), escort_name="")
    checks = DischargeChecks(
        vitals_stable=True, alert_and_oriented=True, score=9, collected_by="Alex Partner"
    )

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=checks, now=day.at(12)
    )

    assert Discharge.objects.get().collected_by == "Alex Partner"


def test_discharge_without_escort_is_fine_when_none_is_required(day, clinician_user):
    appointment = started(
        day,
        start=day.at(9),
        first_dose=day.at(9),
        session_type=day.therapy,
        status=AppointmentStatus.IN_SESSION,
        escort_name="",
    )

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(10)
    )

    assert Discharge.objects.get().collected_by == ""


def test_discharge_straight_from_in_session(day, clinician_user):
    appointment = started(
        day, start=day.at(9), first_dose=day.at(9), status=AppointmentStatus.IN_SESSION
    )

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(11, 30)
    )

    assert fresh(appointment).status == AppointmentStatus.DISCHARGED


@pytest.mark.parametrize("status", ["booked", "checked_in", "discharged", "cancelled", "no_show"])
def test_discharge_from_a_state_without_a_session_is_refused(day, clinician_user, status):
    appointment = day.appointment(start=day.at(9), status=status)

    with pytest.raises(Conflict) as refused:
        appointment_discharge(
            actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(12)
        )

    assert refused.value.extra["status"] == status


def test_discharge_of_a_rems_session_opens_its_form_due_in_seven_local_days(day, clinician_user):
    # 20:30 in New York is already the next day in UTC: the deadline counts local days.
    appointment = started(day, start=day.at(18), first_dose=day.at(18, 20))

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(20, 30)
    )

    form = RemsForm.objects.get(appointment=appointment)
    assert (form.due_on, form.filed_at) == (date(2026, 5, 13), None)


def test_discharge_of_a_session_without_rems_opens_no_form(day, clinician_user):
    appointment = started(day, start=day.at(9), first_dose=day.at(9), session_type=day.infusion)

    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(11)
    )

    assert not RemsForm.objects.exists()


def test_no_show_after_the_start_frees_the_holds_and_tells_calendars(day, front_desk_user):
    appointment = day.appointment(start=day.at(9))
    now = day.at(9, 20)

    appointment_no_show(
        actor=front_desk_user, appointment=appointment, now=now, note="No answer by phone."
    )

    row = fresh(appointment)
    assert (row.status, row.no_show_at, row.sequence) == ("no_show", now, 1)
    assert list(Hold.objects.filter(appointment=appointment).values_list("active", flat=True)) == [
        False,
        False,
    ]
    assert events(appointment) == [
        (
            "no_show",
            "frontdesk",
            now,
            {"status": ["booked", "no_show"], "no_show_at": [None, now.isoformat()]},
            "No answer by phone.",
        )
    ]


def test_no_show_before_the_start_is_refused(day, front_desk_user):
    appointment = day.appointment(start=day.at(9))

    with pytest.raises(Conflict) as refused:
        appointment_no_show(actor=front_desk_user, appointment=appointment, now=day.at(8, 59))

    assert "starts at 09:00" in refused.value.detail
    assert refused.value.extra == {"status": "booked"}
    assert Hold.objects.filter(appointment=appointment, active=True).count() == 2


@pytest.mark.parametrize("status", ["checked_in", "in_session", "discharged", "cancelled"])
def test_no_show_of_an_appointment_that_is_not_booked_is_refused(day, front_desk_user, status):
    appointment = day.appointment(start=day.at(9), status=status)

    with pytest.raises(Conflict):
        appointment_no_show(actor=front_desk_user, appointment=appointment, now=day.at(10))

    assert fresh(appointment).sequence == 0


def test_cancelled_appointment_refuses_every_step(day, front_desk_user, clinician_user):
    appointment = day.appointment(start=day.at(9))
    appointment_cancel(
        actor=front_desk_user, appointment=appointment, reason="Unwell", now=day.at(7)
    )

    for step in (appointment_check_in, appointment_start, appointment_recover):
        with pytest.raises(Conflict) as refused:
            step(actor=clinician_user, appointment=appointment, now=day.at(9))
        assert refused.value.extra == {"status": "cancelled"}


def test_the_whole_day_is_in_the_audit_trail(day, front_desk_user, clinician_user):
    appointment = day.appointment(start=day.at(9))

    appointment_check_in(actor=front_desk_user, appointment=appointment, now=day.at(8, 45))
    appointment_start(actor=clinician_user, appointment=appointment, now=day.at(9, 2))
    appointment_recover(actor=clinician_user, appointment=appointment, now=day.at(9, 17))
    appointment_discharge(
        actor=clinician_user, appointment=appointment, checks=PASSING, now=day.at(11, 10)
    )

    row = fresh(appointment)
    assert (row.checked_in_at, row.session_started_at, row.recovery_started_at) == (
        day.at(8, 45),
        day.at(9, 2),
        day.at(9, 17),
    )
    assert [(e[0], e[1], e[2]) for e in events(appointment)] == [
        ("checked_in", "frontdesk", day.at(8, 45)),
        ("session_started", "clinician", day.at(9, 2)),
        ("recovery_started", "clinician", day.at(9, 17)),
        ("discharged", "clinician", day.at(11, 10)),
    ]
    assert row.sequence == 0


def test_escort_update_changes_only_what_is_sent(day, front_desk_user):
    appointment = day.appointment(start=day.at(9), escort_name="", escort_phone="")

    appointment_escort_update(
        actor=front_desk_user, appointment=appointment, now=day.at(7), name=" Alex Partner "
    )
    appointment_escort_update(
        actor=front_desk_user, appointment=appointment, now=day.at(7, 5), phone="555-0142"
    )

    row = fresh(appointment)
    assert (row.escort_name, row.escort_phone, row.sequence) == ("Alex Partner", "555-0142", 0)
    assert [(e[0], e[3]) for e in events(appointment)] == [
        ("escort_updated", {"escort_name": ["", "Alex Partner"]}),
        ("escort_updated", {"escort_phone": ["", "555-0142"]}),
    ]


def test_escort_update_without_a_change_records_nothing(day, front_desk_user):
    appointment = day.appointment(start=day.at(9))

    appointment_escort_update(
        actor=front_desk_user, appointment=appointment, now=day.at(7), name="Sam Escort"
    )

    assert events(appointment) == []


def test_escort_update_after_discharge_is_refused(day, front_desk_user):
    appointment = day.appointment(start=day.at(9), status=AppointmentStatus.DISCHARGED)

    with pytest.raises(Conflict) as refused:
        appointment_escort_update(
            actor=front_desk_user, appointment=appointment, now=day.at(12), name="Late"
        )

    assert refused.value.detail == (
        "This appointment is discharged; the escort can only change before the patient is "
        "discharged."
    )


def test_check_in_the_day_before_is_refused(day, front_desk_user):
    appointment = day.appointment(start=day.at(9))

    with pytest.raises(Conflict) as refused:
        appointment_check_in(
            actor=front_desk_user, appointment=appointment, now=day.at(16, day=date(2026, 5, 5))
        )

    assert refused.value.detail == (
        "This appointment is on 2026-05-06; patients check in on the day itself."
    )
    assert refused.value.extra == {"status": "booked"}
    assert fresh(appointment).checked_in_at is None
