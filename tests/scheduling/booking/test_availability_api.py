from datetime import timedelta

import pytest

from backend.scheduling.resources.choices import StaffRole
from backend.scheduling.resources.models import SessionType
from tests.factories import CLOSES, OPENS, WEEKDAYS, StaffFactory, WorkingHoursFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/"


def search(client, world, kind, days=0, **extra):
    params = {
        "session_type": kind.id,
        "date_from": str(world.day),
        "date_to": str(world.day + timedelta(days=days)),
    }
    params.update(extra)
    return client.get(URL, params)


def test_availability_offers_every_quarter_hour_that_fits_before_closing(front_desk_api, world):
    response = search(front_desk_api, world, world.spravato)

    assert response.status_code == 200
    starts = [slot["start"] for slot in response.json()["slots"]]
    assert starts[0] == world.at(8).isoformat()
    assert starts[-1] == world.at(15, 45).isoformat()  # 135 minutes before 18:00
    assert len(starts) == 32


def test_availability_skips_starts_when_every_recliner_is_taken(front_desk_api, world):
    for patient in world.patients[:2]:
        response = front_desk_api.post(
            "/api/v1/appointments/",
            {
                "patient": patient.id,
                "session_type": world.spravato.id,
                "start": world.at(10).isoformat(),
            },
            format="json",
        )
        assert response.status_code == 201

    starts = {s["start"] for s in search(front_desk_api, world, world.spravato).json()["slots"]}

    taken = {world.at(h, m).isoformat() for h in (8, 9, 10, 11, 12) for m in (0, 15, 30, 45)}
    blocked = {s for s in taken if world.at(7, 45).isoformat() < s < world.at(12, 15).isoformat()}
    assert starts.isdisjoint(blocked)
    assert world.at(12, 15).isoformat() in starts
    assert world.at(7, 45).isoformat() not in starts


@pytest.mark.parametrize("pick", [0, 10, -1], ids=["first", "middle", "last"])
def test_every_offered_slot_books(front_desk_api, world, pick):
    slots = search(front_desk_api, world, world.infusion, days=6).json()["slots"]

    response = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": world.patients[0].id,
            "session_type": world.infusion.id,
            "start": slots[pick]["start"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["room"] == slots[pick]["room"]
    assert response.json()["staff"] == slots[pick]["staff"]


def test_availability_for_a_patient_hides_their_dosing_day(front_desk_api, world):
    patient = world.patients[0]
    front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": patient.id,
            "session_type": world.spravato.id,
            "start": world.at(9).isoformat(),
        },
        format="json",
    )

    response = search(front_desk_api, world, world.infusion, days=1, patient=patient.id)

    days = {slot["start"][:10] for slot in response.json()["slots"]}
    assert days == {str(world.day + timedelta(days=1))}


def prescriber_on_site(world):
    """The built-in Spravato session needs a prescriber working throughout."""
    prescriber = StaffFactory(clinic=world.clinic, role=StaffRole.PRESCRIBER)
    for weekday in WEEKDAYS:
        WorkingHoursFactory(staff=prescriber, weekday=weekday, starts=OPENS, ends=CLOSES)


def test_availability_for_a_builtin_type_at_a_single_clinic_needs_no_clinic(front_desk_api, world):
    builtin = SessionType.objects.get(clinic=None, slug="spravato-session")
    prescriber_on_site(world)

    response = search(front_desk_api, world, builtin)

    assert response.status_code == 200
    assert response.json()["slots"]


def test_availability_for_a_builtin_type_among_clinics_needs_a_clinic(front_desk_api, world):
    from tests.factories import ClinicFactory

    ClinicFactory()
    builtin = SessionType.objects.get(clinic=None, slug="spravato-session")
    prescriber_on_site(world)

    without = search(front_desk_api, world, builtin)
    with_clinic = search(front_desk_api, world, builtin, clinic=world.clinic.id)

    assert without.status_code == 400
    assert list(without.json()["errors"]) == ["clinic"]
    assert with_clinic.status_code == 200
    assert with_clinic.json()["slots"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"date_to": "2020-01-01"}, "date_to", id="to-before-from"),
        pytest.param({"date_from": "not-a-date"}, "date_from", id="bad-date"),
        pytest.param({"step": 1}, "step", id="step-too-small"),
    ],
)
def test_availability_bad_query_is_400_naming_the_field(front_desk_api, world, params, field):
    response = search(front_desk_api, world, world.spravato, **params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_availability_over_more_than_two_months_is_400(front_desk_api, world):
    response = search(front_desk_api, world, world.spravato, days=90)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date_to"]


@pytest.mark.parametrize("bookings", [0, 6], ids=["empty", "six-booked"])
def test_availability_query_count_does_not_grow_with_bookings(
    front_desk_api, world, django_assert_num_queries, bookings
):
    weekdays_ahead = [0, 1, 2, 5, 6, 7]  # Wednesday to Wednesday, skipping the weekend
    for i in range(bookings):
        day = world.day + timedelta(days=weekdays_ahead[i])
        response = front_desk_api.post(
            "/api/v1/appointments/",
            {
                "patient": world.patients[i % 4].id,
                "session_type": world.spravato.id,
                "start": world.at(9, day=day).isoformat(),
            },
            format="json",
        )
        assert response.status_code == 201

    search(front_desk_api, world, world.spravato)  # caches the user's roles, as bookings do

    # session type; clinic (its setup, room names included, comes from this process's
    # cache, the row's stamp says it is current); one query for the seats' and staff's
    # holds, the clinic's recovering patients and the staff's absences
    with django_assert_num_queries(3):
        response = search(front_desk_api, world, world.spravato, days=27)

    assert response.status_code == 200


def test_availability_for_an_unknown_clinic_is_404_naming_clinic(front_desk_api, world):
    from tests.factories import ClinicFactory

    ClinicFactory()
    builtin = SessionType.objects.get(clinic=None, slug="spravato-session")
    prescriber_on_site(world)

    response = search(front_desk_api, world, builtin, clinic=999999)

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["clinic"]


def test_availability_for_an_unknown_session_type_is_404_naming_it(front_desk_api, world):
    response = search(front_desk_api, world, world.spravato, session_type=999999)

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["session_type"]


def test_a_retired_session_type_is_not_offered_as_booking_refuses_it(front_desk_api, world):
    world.spravato.active = False
    world.spravato.save(update_fields=["active"])

    searched = search(front_desk_api, world, world.spravato)
    booked = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": world.patients[0].id,
            "session_type": world.spravato.id,
            "start": world.at(9).isoformat(),
        },
        format="json",
    )

    assert searched.status_code == booked.status_code == 400
    assert searched.json()["errors"] == {
        "session_type": ["This session type is no longer offered."]
    }
    assert list(booked.json()["errors"]) == ["session_type"]


def test_a_patient_booking_would_refuse_is_refused_by_the_search_too(front_desk_api, world):
    patient = world.patients[0]
    patient.screening_status = "pending"
    patient.save(update_fields=["screening_status"])

    searched = search(front_desk_api, world, world.spravato, patient=patient.id)

    assert searched.status_code == 400
    assert "dosing sessions need it cleared" in searched.json()["errors"]["patient"][0]
