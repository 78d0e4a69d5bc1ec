"""Cohorts over HTTP: the kap-group series from a start date, enrolment all or nothing."""

from datetime import datetime, timedelta

import pytest

from backend.plans.models import Cohort
from backend.scheduling.booking.models import Appointment
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.resources.choices import RoomKind
from tests.factories import RoomFactory, SeatFactory
from tests.worlds import build_clinic_world, weekday_ahead

pytestmark = pytest.mark.django_db

COHORTS = "/api/v1/cohorts/"
MONDAY = 0


@pytest.fixture
def cohort_world(clinic):
    world = build_clinic_world(
        clinic, day=weekday_ahead(clinic, MONDAY), recliners=6, therapists=2, patients=4
    )
    circle = RoomFactory(clinic=clinic, name="Group Circle", kind=RoomKind.THERAPY)
    for i in range(6):
        SeatFactory(room=circle, name=f"Chair {i}")
    return world


def create(client, world, **changes):
    body = {
        "template": "kap-group",
        "clinic": world.clinic.id,
        "start_date": world.day.isoformat(),
        "room": world.dosing_room.id,
        "staff": [t.id for t in world.therapists],
        **changes,
    }
    return client.post(COHORTS, body, format="json")


def test_a_cohort_creates_the_whole_series_of_group_sessions(front_desk_api, cohort_world):
    w = cohort_world

    response = create(front_desk_api, w)

    assert response.status_code == 201, response.json()
    sessions = response.json()["group_sessions"]
    assert len(sessions) == 8
    types = [s["session_type"] for s in sessions]
    dosing = GroupSession.objects.filter(session_type__slug="kap-group-dosing")
    assert types.count(dosing.first().session_type_id) == 3
    assert {s["room"] for s in sessions if s["session_type"] == dosing.first().session_type_id} == {
        w.dosing_room.id
    }
    assert all(s["staff"] == sorted(t.id for t in w.therapists) for s in sessions)
    assert sessions[0]["start"].startswith(w.day.isoformat() + "T09:00")


def test_enrolling_books_every_session_and_shows_on_the_roster(front_desk_api, cohort_world):
    w = cohort_world
    cohort = create(front_desk_api, w).json()

    response = front_desk_api.post(
        f"{COHORTS}{cohort['id']}/enroll/", {"patient": w.patient.id}, format="json"
    )

    assert response.status_code == 201, response.json()
    appointments = response.json()["appointments"]
    assert len(appointments) == 8
    assert {a["group_session"] for a in appointments} == {s["id"] for s in cohort["group_sessions"]}
    roster = front_desk_api.get(f"{COHORTS}{cohort['id']}/").json()["roster"]
    assert [r["patient"] for r in roster] == [w.patient.id]
    assert set(roster[0]["attendance"].values()) == {"booked"}


def test_enrolment_is_all_or_nothing(front_desk_api, cohort_world):
    w = cohort_world
    cohort = create(front_desk_api, w).json()
    last = cohort["group_sessions"][-1]
    # The patient already has an appointment during the last group session.
    from datetime import datetime

    w.appointment(datetime.fromisoformat(last["start"]), session_type=w.therapy)

    response = front_desk_api.post(
        f"{COHORTS}{cohort['id']}/enroll/", {"patient": w.patient.id}, format="json"
    )

    assert response.status_code == 409
    assert "Nothing was booked" in response.json()["detail"]
    assert not Appointment.objects.filter(group_session__isnull=False).exists()


def test_an_individual_template_is_not_a_cohort(front_desk_api, cohort_world):
    response = create(front_desk_api, cohort_world, template="kap-individual")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["template"]
    assert Cohort.objects.count() == 0
    assert GroupSession.objects.count() == 0


@pytest.mark.parametrize("field", ["clinic", "room", "template"])
def test_an_id_beyond_a_database_integer_is_a_4xx_naming_the_field(
    front_desk_api, cohort_world, field
):
    # The template by slug reads the clinic from the raw body before the clinic field has
    # checked it; 2**70 once reached the query and overflowed the driver (a 500).
    response = create(front_desk_api, cohort_world, **{field: 2**70})

    assert response.status_code in (400, 404), response.content
    assert list(response.json()["errors"]) == [field]
    assert not Cohort.objects.exists()


# --- Moving a session of a cohort ------------------------------------------------------------


def moved(client, session, day, hour="09:00"):
    start = f"{day.isoformat()}T{hour}:00{session['start'][19:]}"
    return client.post(
        f"/api/v1/group-sessions/{session['id']}/reschedule/", {"start": start}, format="json"
    )


def test_a_cohort_session_moves_within_its_cadence_with_its_participants(
    front_desk_api, cohort_world
):
    w = cohort_world
    cohort = create(front_desk_api, w).json()
    front_desk_api.post(
        f"{COHORTS}{cohort['id']}/enroll/", {"patient": w.patient.id}, format="json"
    )
    # The first integration group, the day after the first dosing: two days after is fine.
    integration = cohort["group_sessions"][3]
    new_day = w.day + timedelta(days=16)

    response = moved(front_desk_api, integration, new_day)

    assert response.status_code == 200, response.json()
    place = Appointment.objects.get(group_session_id=integration["id"], patient=w.patient)
    assert place.start.astimezone(w.zone).date() == new_day


def test_a_move_that_breaks_the_cohort_cadence_is_a_409_and_moves_nothing(
    front_desk_api, cohort_world
):
    w = cohort_world
    cohort = create(front_desk_api, w).json()
    integration = cohort["group_sessions"][3]

    response = moved(front_desk_api, integration, w.day + timedelta(days=18))

    assert response.status_code == 409
    assert [c["resource"] for c in response.json()["conflicts"]] == ["cadence"]
    assert "1-3 days" in response.json()["detail"]
    assert GroupSession.objects.get(pk=integration["id"]).start == datetime.fromisoformat(
        integration["start"]
    )
