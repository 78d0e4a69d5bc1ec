"""The day board: lanes by state, flags, buttons per role, steps and discharge."""

from datetime import timedelta

import pytest

from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.day.services import appointment_check_in
from tests.console.console_html import field_errors, forms_on, text
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def step_url(appointment, step: str) -> str:
    return f"/appointments/{appointment.id}/{step}/"


def actions_on(page: str) -> set[str]:
    return {form["action"] for form in forms_on(page) if form["action"]}


def test_board_shows_the_clinic_today_in_lanes_by_state(front_desk, world, now):
    booked = world.book(world.at(now.date(), 11))
    started = world.started(world.at(now.date(), 9, 30), patient=world.other)

    page = text(front_desk.get("/"))

    assert "Wednesday 6 May 2026" in page
    expected = page.split('id="lane-booked"', 1)[1].split("</section>", 1)[0]
    in_session = page.split('id="lane-in_session"', 1)[1].split("</section>", 1)[0]
    assert f'id="appointment-{booked.id}"' in expected
    assert f'id="appointment-{started.id}"' in in_session


def test_board_shows_times_in_the_clinic_zone(front_desk, world, now, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    world.book(world.at(now.date(), 11, 15))

    page = text(front_desk.get("/"))

    assert "<strong>11:15</strong>\u201311:30" in page
    assert "recovery to 13:30" in page


def test_board_of_another_day_lists_that_day(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    world.book(world.at(tomorrow, 9))

    today = text(front_desk.get("/"))
    other = text(front_desk.get(f"/?date={tomorrow.isoformat()}"))

    assert "0 appointments" in today
    assert "1 appointment" in other
    assert "Thursday 7 May 2026" in other


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        pytest.param("front_desk", {"check-in"}, id="front-desk"),
        pytest.param("clinician", {"check-in"}, id="clinician"),
        pytest.param("manager", {"check-in"}, id="manager"),
    ],
)
def test_a_booked_appointment_offers_check_in_to_every_role(browsers, world, now, role, offered):
    appointment = world.book(world.at(now.date(), 11))

    page = text(browsers[role].get("/"))

    assert {a for a in actions_on(page) if a.startswith("/appointments/")} == {
        step_url(appointment, step) for step in offered
    }


@pytest.mark.parametrize(
    ("role", "start_offered"),
    [("front_desk", False), ("clinician", True), ("manager", False)],
)
def test_only_clinicians_are_offered_start(browsers, world, now, role, start_offered):
    appointment = world.book(world.at(now.date(), 11))
    appointment_check_in(actor=None, appointment=appointment, now=now)

    page = text(browsers[role].get("/"))

    assert (step_url(appointment, "start") in actions_on(page)) is start_offered


@pytest.mark.parametrize(("role", "offered"), [("front_desk", False), ("clinician", True)])
def test_only_clinicians_are_offered_discharge(browsers, world, now, role, offered):
    appointment = world.started(world.at(now.date(), 9, 30))

    page = text(browsers[role].get("/"))

    assert (f"/appointments/{appointment.id}/discharge/" in page) is offered


def test_no_show_is_offered_once_the_start_has_passed(front_desk, world, now):
    later = world.book(world.at(now.date(), 11))
    missed = world.book(world.at(now.date(), 9), patient=world.other)

    actions = actions_on(text(front_desk.get("/")))

    assert step_url(missed, "no-show") in actions
    assert step_url(later, "no-show") not in actions


def test_flags_stand_out_on_the_board(front_desk, world, now, time_machine):
    world.book(world.at(now.date(), 9, 30))
    world.started(world.at(now.date(), 8), patient=world.other)

    time_machine.shift(timedelta(minutes=30))
    page = text(front_desk.get("/"))

    assert 'class="badge flag flag-late"' in page
    assert 'class="badge flag flag-recovery_overrun"' in page
    assert 'class="badge flag flag-ride_unconfirmed"' in page
    assert "2 flagged" in page


def test_board_refreshes_itself(front_desk, world, now):
    world.book(world.at(now.date(), 11))

    page = text(front_desk.get("/"))
    partial = front_desk.get("/?partial=1")

    assert 'data-refresh="30"' in page
    assert '<meta http-equiv="refresh" content="30">' in page
    assert partial.status_code == 200
    assert "<html" not in text(partial)
    assert 'class="lanes"' in text(partial)


def test_board_query_count_does_not_grow_with_appointments(
    front_desk, world, now, django_assert_max_num_queries
):
    world.book(world.at(now.date(), 11))
    front_desk.get("/")  # warm the session and role caches
    with django_assert_max_num_queries(12) as one:
        front_desk.get("/")
    world.book(world.at(now.date(), 12), patient=world.other)
    world.book(
        world.at(now.date(), 14),
        patient=PatientFactory(clinic=world.clinic, cleared=True, rems=True),
    )

    with django_assert_max_num_queries(len(one.captured_queries)):
        front_desk.get("/")


def test_check_in_moves_the_patient_and_returns_to_the_board(front_desk, world, now):
    appointment = world.book(world.at(now.date(), 11))

    response = front_desk.post(step_url(appointment, "check-in"), {"next": "/?date=2026-05-06"})

    assert response.status_code == 302
    assert response["Location"] == "/?date=2026-05-06"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert "Eleanor Whitaker is checked in." in text(front_desk.get("/"))


def test_check_in_refused_by_the_rules_shows_why_and_changes_nothing(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 11))

    response = front_desk.post(step_url(appointment, "check-in"), follow=True)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert "patients check in on the day itself" in text(response)


@pytest.mark.parametrize(
    ("role", "step"),
    [
        ("front_desk", "start"),
        ("manager", "start"),
        ("front_desk", "recover"),
    ],
)
def test_steps_a_role_may_not_take_are_forbidden(browsers, world, now, role, step):
    appointment = world.book(world.at(now.date(), 11))
    appointment_check_in(actor=None, appointment=appointment, now=now)

    response = browsers[role].post(step_url(appointment, step))

    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN


def test_an_unknown_step_is_not_found(clinician, world, now):
    appointment = world.book(world.at(now.date(), 11))

    assert clinician.post(step_url(appointment, "teleport")).status_code == 404


def test_steps_need_a_post(clinician, world, now):
    appointment = world.book(world.at(now.date(), 11))

    assert clinician.get(step_url(appointment, "check-in")).status_code == 405


def test_discharge_form_is_for_clinicians_only(front_desk, world, now):
    appointment = world.started(world.at(now.date(), 9, 30))
    url = f"/appointments/{appointment.id}/discharge/"

    assert front_desk.get(url).status_code == 403
    response = front_desk.post(url, {"vitals_stable": "on", "score": 10})
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_SESSION


def test_discharge_errors_sit_next_to_their_fields(clinician, world, now):
    appointment = world.started(world.at(now.date(), 8))

    response = clinician.post(
        f"/appointments/{appointment.id}/discharge/", {"score": "5", "collected_by": "Harold"}
    )

    assert response.status_code == 400
    page = text(response)
    assert field_errors(page, "vitals_stable") == ["Vital signs must be stable for discharge."]
    assert field_errors(page, "alert_and_oriented") == [
        "The patient must be alert and oriented to leave."
    ]
    assert "below the clinic's pass mark of 9" in field_errors(page, "score")[0]
    assert field_errors(page, "collected_by") == []
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_SESSION


def test_a_missing_score_is_a_field_error(clinician, world, now):
    appointment = world.started(world.at(now.date(), 8))

    response = clinician.post(f"/appointments/{appointment.id}/discharge/", {"score": ""})

    assert response.status_code == 400
    assert field_errors(text(response), "score") == ["This field is required."]


def test_early_discharge_asks_for_a_reason_next_to_that_field(clinician, world, now):
    appointment = world.started(world.at(now.date(), 9, 30))
    body = {"vitals_stable": "on", "alert_and_oriented": "on", "score": "10"}

    response = clinician.post(f"/appointments/{appointment.id}/discharge/", body)

    assert response.status_code == 409
    errors = field_errors(text(response), "override_reason")
    assert len(errors) == 1
    assert "discharge is possible from 11:30" in errors[0]
    assert 'name="score" value="10"' in text(response)


def test_discharge_after_monitoring_returns_to_the_board(clinician, world, now, time_machine):
    appointment = world.started(world.at(now.date(), 9, 30))
    body = {"vitals_stable": "on", "alert_and_oriented": "on", "score": "10", "next": "/"}

    time_machine.shift(timedelta(minutes=125))
    response = clinician.post(f"/appointments/{appointment.id}/discharge/", body)

    assert response.status_code == 302
    assert response["Location"] == "/"
    appointment = Appointment.objects.select_related("discharge").get(pk=appointment.pk)
    assert appointment.status == AppointmentStatus.DISCHARGED
    assert appointment.discharge.collected_by == "Harold Whitaker"


def test_discharge_page_shows_the_earliest_time_and_prefills_the_escort(clinician, world, now):
    appointment = world.started(world.at(now.date(), 9, 30))

    page = text(clinician.get(f"/appointments/{appointment.id}/discharge/"))

    assert "discharge from <strong>11:30</strong>" in page
    assert 'value="Harold Whitaker"' in page


def test_discharge_page_says_why_a_booked_appointment_cannot_be_discharged(clinician, world, now):
    appointment = world.book(world.at(now.date(), 11))

    page = text(clinician.get(f"/appointments/{appointment.id}/discharge/"))

    assert "only a patient in session or recovering can be discharged" in page
    assert 'name="score"' not in page


# --- Monitoring alerts --------------------------------------------------------------------


def one_nurse_per_patient(world) -> None:
    world.clinic.recovering_per_monitor = 1
    world.clinic.save()
    for nurse in world.nurses[1:]:
        nurse.active = False
        nurse.save()


def test_board_lists_the_times_recovering_patients_exceed_the_monitors(front_desk, world, now):
    one_nurse_per_patient(world)
    # Rows written without the booking rules: recoveries 11:15-13:15 and 11:30-13:30 overlap
    # while one nurse works, as a late change of staffing would leave them.
    world.appointment(world.at(now.date(), 11), patient=world.patient)
    world.appointment(world.at(now.date(), 11, 15), patient=world.other)

    page = text(front_desk.get("/"))

    banner = page.split('id="monitoring-alerts"', 1)[1].split("</section>", 1)[0]
    assert "Too few monitors" in banner
    assert "at most 1 per nurse" in banner
    items = banner.split('class="monitoring-alert">')[1:]
    assert len(items) == 1
    assert "11:30</time>\u2013" in items[0]
    assert "13:15</time>: 2 recovering, 1 nurse working (room for 1)" in items[0]


def test_board_refresh_carries_the_monitoring_alerts(front_desk, world, now):
    one_nurse_per_patient(world)
    world.appointment(world.at(now.date(), 11), patient=world.patient)
    world.appointment(world.at(now.date(), 11, 15), patient=world.other)

    partial = text(front_desk.get("/?partial=1"))

    assert 'id="monitoring-alerts"' in partial
    assert "2 recovering, 1 nurse working" in partial


def test_board_shows_no_monitoring_alert_when_the_nurses_suffice(front_desk, world, now):
    world.appointment(world.at(now.date(), 11), patient=world.patient)
    world.appointment(world.at(now.date(), 11, 15), patient=world.other)

    page = text(front_desk.get("/"))

    assert "monitoring-alerts" not in page
