"""Day-of-treatment actions over the API, against the real clock: roles, bodies, errors."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from backend.common.roles import Role
from backend.scheduling.booking.models import Appointment, AppointmentStatus, Hold
from backend.scheduling.day.models import RemsForm
from backend.scheduling.resources.choices import StaffRole
from tests.factories import StaffFactory, UserFactory, WorkingHoursFactory
from tests.worlds import api_time

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/{id}/{action}/"
PASSING = {"vitals_stable": True, "alert_and_oriented": True, "score": 9}


def url(appointment, action: str) -> str:
    return URL.format(id=appointment.id, action=action)


def ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


def in_state(live, status: str, *, start_minutes_ago: int = 5, dosed_minutes_ago: int = 3):
    """An appointment in ``status`` that the next step accepts, relative to now."""
    start = ago(start_minutes_ago)
    stamps = {}
    if status != AppointmentStatus.BOOKED:
        stamps["checked_in_at"] = start - timedelta(minutes=10)
    if status in (AppointmentStatus.IN_SESSION, AppointmentStatus.RECOVERING):
        stamps["session_started_at"] = ago(dosed_minutes_ago)
    return live.appointment(start=start, status=status, **stamps)


ACTIONS = {
    # action: (state it starts from, body)
    "check-in": (AppointmentStatus.BOOKED, {}),
    "no-show": (AppointmentStatus.BOOKED, {}),
    "start": (AppointmentStatus.CHECKED_IN, {}),
    "recover": (AppointmentStatus.IN_SESSION, {}),
    "discharge": (AppointmentStatus.RECOVERING, {**PASSING, "override_reason": "Test"}),
}
ALLOWED = {
    "check-in": {Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER},
    "no-show": {Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER},
    "start": {Role.CLINICIAN},
    "recover": {Role.CLINICIAN},
    "discharge": {Role.CLINICIAN},
}
CASES = [(action, role) for action in ACTIONS for role in Role.ALL]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_role_matrix_for_day_actions(live, action, role, api):
    status, body = ACTIONS[action]
    appointment = in_state(live, status, start_minutes_ago=20)
    api.force_authenticate(UserFactory(roles=[role]))

    response = api.post(url(appointment, action), body, format="json")

    if role in ALLOWED[action]:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 403
        assert Appointment.objects.get(pk=appointment.pk).status == status


@pytest.mark.parametrize("role", Role.ALL)
def test_role_matrix_for_escort_update(live, role, api):
    appointment = in_state(live, AppointmentStatus.BOOKED)
    api.force_authenticate(UserFactory(roles=[role]))

    response = api.patch(url(appointment, "escort"), {"name": "Alex"}, format="json")

    assert response.status_code == 200


def test_day_actions_need_a_login(live, api):
    appointment = in_state(live, AppointmentStatus.BOOKED)

    response = api.post(url(appointment, "check-in"), {}, format="json")

    assert response.status_code == 401


def test_day_action_on_an_unknown_appointment_is_404(front_desk_api, live):
    response = front_desk_api.post("/api/v1/appointments/999999/check-in/", {}, format="json")

    assert response.status_code == 404


def test_check_in_answers_the_appointment_with_its_day_fields(front_desk_api, live):
    appointment = in_state(live, AppointmentStatus.BOOKED)

    response = front_desk_api.post(url(appointment, "check-in"), {"note": "Early"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == appointment.id
    assert body["status"] == "checked_in"
    assert body["sequence"] == 0
    checked_in = Appointment.objects.get(pk=appointment.pk).checked_in_at
    assert body["checked_in_at"] == api_time(checked_in, live.zone)
    assert body["session_started_at"] is None
    assert body["discharge"] is None
    assert body["rems_form"] is None
    assert body["ride_confirmed"] is False
    assert body["escort"] == {
        "name": "Sam Escort",
        "phone": "555-0199",
        "required": True,
        "missing": False,
    }
    assert {h["kind"] for h in body["holds"]} == {"session", "recovery"}


def test_impossible_transition_is_409_naming_the_current_state(clinician_api, live):
    appointment = in_state(live, AppointmentStatus.BOOKED)

    response = clinician_api.post(url(appointment, "start"), {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This appointment is booked; only a checked-in appointment can be started. "
        "Check the patient in first.",
        "errors": {},
        "conflicts": [],
        "status": "booked",
    }


def test_the_whole_day_over_the_api(front_desk_api, clinician_api, live):
    appointment = in_state(live, AppointmentStatus.BOOKED, start_minutes_ago=2)

    checked_in = front_desk_api.post(url(appointment, "check-in"), {}, format="json")
    started = clinician_api.post(url(appointment, "start"), {}, format="json")
    recovering = clinician_api.post(url(appointment, "recover"), {}, format="json")
    too_early = clinician_api.post(url(appointment, "discharge"), PASSING, format="json")
    discharged = clinician_api.post(
        url(appointment, "discharge"),
        {**PASSING, "override_reason": "Transferred to hospital care", "collected_by": "Paramedic"},
        format="json",
    )

    assert [r.status_code for r in (checked_in, started, recovering, too_early, discharged)] == [
        200,
        200,
        200,
        409,
        200,
    ]
    assert too_early.json()["errors"] == {"override_reason": [too_early.json()["detail"]]}
    assert too_early.json()["status"] == "recovering"
    first_dose = Appointment.objects.get(pk=appointment.pk).session_started_at
    assert too_early.json()["earliest_discharge"] == (
        api_time(first_dose + timedelta(minutes=120), live.zone)
    )
    body = discharged.json()
    assert body["status"] == "discharged"
    assert body["discharge"]["clinician"] == "clinician"
    assert body["discharge"]["early"] is True
    assert body["discharge"]["early_override_reason"] == "Transferred to hospital care"
    assert body["discharge"]["collected_by"] == "Paramedic"
    assert body["discharge"]["pass_mark"] == 9
    assert body["rems_form"]["due_on"] == (live.day + timedelta(days=7)).isoformat()
    history = front_desk_api.get(f"/api/v1/appointments/{appointment.id}/history/").json()
    assert [(e["action"], e["actor"]) for e in history["events"]] == [
        ("checked_in", "frontdesk"),
        ("session_started", "clinician"),
        ("recovery_started", "clinician"),
        ("discharged", "clinician"),
    ]


def test_discharge_after_the_monitoring_time_needs_no_override(clinician_api, live):
    appointment = in_state(
        live, AppointmentStatus.RECOVERING, start_minutes_ago=125, dosed_minutes_ago=121
    )

    response = clinician_api.post(url(appointment, "discharge"), PASSING, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["discharge"]["early"] is False
    assert response.json()["discharge"]["collected_by"] == "Sam Escort"


def test_discharge_below_the_pass_mark_is_400_naming_score(clinician_api, live):
    appointment = in_state(live, AppointmentStatus.RECOVERING, dosed_minutes_ago=130)

    response = clinician_api.post(
        url(appointment, "discharge"), {**PASSING, "score": 7}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["score"]
    assert "score of 7 is below the clinic's pass mark of 9" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alert_and_oriented": True, "score": 9}, "vitals_stable"),
        ({**PASSING, "score": 11}, "score"),
        ({**PASSING, "score": "high"}, "score"),
        ({**PASSING, "alert_and_oriented": False}, "alert_and_oriented"),
    ],
    ids=["missing-check", "score-over-10", "score-not-a-number", "not-oriented"],
)
def test_discharge_bad_body_is_400_naming_the_field(clinician_api, live, body, field):
    appointment = in_state(live, AppointmentStatus.RECOVERING, dosed_minutes_ago=130)

    response = clinician_api.post(url(appointment, "discharge"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.RECOVERING


def test_discharge_without_an_escort_is_400_naming_collected_by(clinician_api, live):
    appointment = live.appointment(
        start=ago(130),
        status=AppointmentStatus.RECOVERING,
        session_started_at=ago(125),
        escort_name="",
    )

    response = clinician_api.post(url(appointment, "discharge"), PASSING, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["collected_by"]


def test_no_show_frees_the_seats_and_raises_the_sequence(front_desk_api, live):
    appointment = in_state(live, AppointmentStatus.BOOKED, start_minutes_ago=20)

    response = front_desk_api.post(url(appointment, "no-show"), {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["sequence"], body["holds"]) == ("no_show", 1, [])
    assert body["no_show_at"] is not None
    assert not Hold.objects.filter(appointment=appointment, active=True).exists()


def test_no_show_before_the_start_is_409(front_desk_api, live):
    appointment = live.appointment(start=timezone.now() + timedelta(minutes=30))

    response = front_desk_api.post(url(appointment, "no-show"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["status"] == "booked"
    assert "only once its start has passed" in response.json()["detail"]


def test_escort_patch_changes_only_the_keys_sent(front_desk_api, live):
    appointment = in_state(live, AppointmentStatus.CHECKED_IN)

    response = front_desk_api.patch(
        url(appointment, "escort"), {"name": "Alex Partner"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["escort"] == {
        "name": "Alex Partner",
        "phone": "555-0199",
        "required": True,
        "missing": False,
    }
    assert response.json()["sequence"] == 0


def test_escort_patch_with_nothing_to_change_is_400(front_desk_api, live):
    appointment = in_state(live, AppointmentStatus.BOOKED)

    response = front_desk_api.patch(url(appointment, "escort"), {}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_escort_can_be_set_at_booking_and_changed_later(front_desk_api, live):
    therapist = StaffFactory(clinic=live.clinic, role=StaffRole.THERAPIST)
    for weekday in range(5):
        WorkingHoursFactory(staff=therapist, weekday=weekday, starts=time(8), ends=time(18))
    wednesday = live.day + timedelta(days=14)
    wednesday += timedelta(days=(2 - wednesday.weekday()) % 7)
    booked = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": live.patients[1].id,
            "session_type": live.therapy.id,
            "start": live.at(9, day=wednesday).isoformat(),
            "escort": {"name": "Jordan Friend", "phone": "555-0177"},
        },
        format="json",
    )
    assert booked.status_code == 201, booked.json()
    appointment = Appointment.objects.get(pk=booked.json()["id"])

    changed = front_desk_api.patch(url(appointment, "escort"), {"phone": ""}, format="json")

    assert booked.json()["escort"]["name"] == "Jordan Friend"
    assert changed.json()["escort"]["phone"] == ""
    assert changed.json()["escort"]["name"] == "Jordan Friend"


def test_rems_form_appears_on_the_appointment_after_discharge(clinician_api, live):
    appointment = in_state(live, AppointmentStatus.RECOVERING, dosed_minutes_ago=121)

    clinician_api.post(url(appointment, "discharge"), PASSING, format="json")

    form = RemsForm.objects.get(appointment=appointment)
    assert form.due_on == live.day + timedelta(days=7)
