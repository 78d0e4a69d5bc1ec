"""``staff/{id}/absences/``: record, list and delete absences; what they hit; availability,
booking and plan proposals all stop using an absent staff member."""

from datetime import timedelta

import pytest

from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import StaffAbsence
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db


def url(staff) -> str:
    return f"/api/v1/staff/{staff.id}/absences/"


@pytest.fixture
def solo(clinic):
    """The world with a single nurse, so that her absence leaves nobody to run a session."""
    return build_clinic_world(clinic, nurses=1)


def book(client, world, start, patient=None):
    response = client.post(
        "/api/v1/appointments/",
        {
            "patient": (patient or world.patient).id,
            "session_type": world.spravato.id,
            "start": start.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_recording_an_absence_answers_it_with_the_appointments_it_hits(front_desk_api, solo):
    hit = book(front_desk_api, solo, solo.at(10))
    book(front_desk_api, solo, solo.at(14), patient=solo.other_patient)

    response = front_desk_api.post(
        url(solo.nurse),
        {"start": solo.at(9).isoformat(), "end": solo.at(12).isoformat(), "reason": "Dentist"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["affected_appointments"] == [hit["id"]]
    assert body["start"] == solo.at(9).isoformat()
    assert body["end"] == solo.at(12).isoformat()
    assert body["kind"] == "absence"
    assert body["all_day"] is False


def test_dates_record_whole_local_days_including_the_last(front_desk_api, solo):
    response = front_desk_api.post(
        url(solo.nurse),
        {"start": str(solo.day), "end": str(solo.day + timedelta(days=1)), "reason": "Flu"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["all_day"] is True
    assert body["start"] == solo.at(0).isoformat()
    assert body["end"] == solo.at(0, day=solo.day + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2030-01-07T12:00:00-05:00", "end": "2030-01-07T09:00:00-05:00"}, "end"),
        ({"start": "2030-01-07T09:00:00", "end": "2030-01-07T12:00:00-05:00"}, "start"),
        ({"start": "2030-01-07", "end": "2030-01-07T12:00:00-05:00"}, "end"),
        ({"start": "2030-01-09", "end": "2030-01-07"}, "end"),
        ({"start": "2030-01-07", "end": "2030-06-07"}, "end"),
        ({"start": "2030-01-07", "end": "2030-01-08", "kind": "holiday"}, "kind"),
        ({"end": "2030-01-08"}, "start"),
    ],
    ids=["end-first", "naive", "mixed", "days-reversed", "too-long", "kind", "missing"],
)
def test_bad_absences_are_refused_naming_the_field_and_write_nothing(
    front_desk_api, world, body, field
):
    response = front_desk_api.post(url(world.nurse), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not StaffAbsence.objects.exists()


def test_a_clinician_may_read_but_not_record_absences(clinician_api, world):
    body = {"start": str(world.day), "end": str(world.day)}

    assert clinician_api.post(url(world.nurse), body, format="json").status_code == 403
    assert clinician_api.get(url(world.nurse)).status_code == 200
    assert not StaffAbsence.objects.exists()


def test_listing_shows_each_absence_with_what_it_hits(front_desk_api, solo):
    hit = book(front_desk_api, solo, solo.at(10))
    front_desk_api.post(url(solo.nurse), {"start": str(solo.day), "end": str(solo.day)})
    front_desk_api.post(
        url(solo.nurse),
        {"start": solo.at(19).isoformat(), "end": solo.at(21).isoformat(), "kind": "extra_shift"},
    )

    rows = front_desk_api.get(url(solo.nurse)).json()["results"]

    assert [(r["kind"], r["affected_appointments"]) for r in rows] == [
        ("extra_shift", []),
        ("absence", [hit["id"]]),
    ]


def test_list_query_count_does_not_grow_with_absences(
    front_desk_api, world, django_assert_num_queries
):
    for i in range(3):
        day = world.day + timedelta(days=i)
        front_desk_api.post(url(world.nurse), {"start": str(day), "end": str(day)})
    front_desk_api.get(url(world.nurse))

    # staff + clinic; count; page; affected appointments
    with django_assert_num_queries(4):
        response = front_desk_api.get(url(world.nurse))

    assert response.json()["count"] == 3


def test_deleting_an_absence_gives_the_time_back(front_desk_api, solo):
    absence = front_desk_api.post(
        url(solo.nurse), {"start": str(solo.day), "end": str(solo.day)}
    ).json()

    response = front_desk_api.delete(f"{url(solo.nurse)}{absence['id']}/")

    assert response.status_code == 204
    assert not StaffAbsence.objects.exists()
    slots = front_desk_api.get(
        "/api/v1/availability/",
        {"session_type": solo.spravato.id, "date_from": solo.day, "date_to": solo.day},
    ).json()["slots"]
    assert slots


def test_deleting_another_staff_members_absence_by_its_id_is_a_404(front_desk_api, world):
    absence = front_desk_api.post(
        url(world.nurses[0]), {"start": str(world.day), "end": str(world.day)}
    ).json()

    response = front_desk_api.delete(f"{url(world.nurses[1])}{absence['id']}/")

    assert response.status_code == 404
    assert StaffAbsence.objects.count() == 1


def test_availability_offers_nothing_while_the_only_nurse_is_away(front_desk_api, solo):
    front_desk_api.post(
        url(solo.nurse), {"start": solo.at(8).isoformat(), "end": solo.at(13).isoformat()}
    )

    slots = front_desk_api.get(
        "/api/v1/availability/",
        {"session_type": solo.spravato.id, "date_from": solo.day, "date_to": solo.day},
    ).json()["slots"]

    starts = [s["start"] for s in slots]
    assert starts[0] == solo.at(13).isoformat()


def test_booking_during_the_only_nurses_absence_is_a_409_naming_staff(front_desk_api, solo):
    front_desk_api.post(url(solo.nurse), {"start": str(solo.day), "end": str(solo.day)})

    response = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": solo.patient.id,
            "session_type": solo.spravato.id,
            "start": solo.at(10).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 409
    assert "staff" in {c["resource"] for c in response.json()["conflicts"]}
    assert not Appointment.objects.exists()


def test_booking_picks_the_nurse_who_is_not_away(front_desk_api, world):
    front_desk_api.post(url(world.nurses[0]), {"start": str(world.day), "end": str(world.day)})

    booked = book(front_desk_api, world, world.at(10))

    assert booked["staff"] == world.nurses[1].id


def test_an_extra_shift_opens_a_start_outside_weekly_hours(front_desk_api, world, clinic):
    # The clinic opens 08:00-18:00; the nurses' weekly hours end at 18:00 too, so cut
    # them back to noon and let an extra shift cover the afternoon for one nurse.
    for nurse in world.nurses:
        nurse.working_hours.update(ends="12:00")
    front_desk_api.post(
        url(world.nurses[1]),
        {"start": world.at(12).isoformat(), "end": world.at(18).isoformat(), "kind": "extra_shift"},
    )

    booked = book(front_desk_api, world, world.at(14))

    assert booked["staff"] == world.nurses[1].id


def test_plan_preview_leaves_out_the_days_the_only_nurse_is_away(front_desk_api, solo):
    weekday_start = solo.day
    for offset in range(0, 14):
        day = weekday_start + timedelta(days=offset)
        if day.weekday() in (0, 1):
            front_desk_api.post(url(solo.nurse), {"start": str(day), "end": str(day)})
    plan = front_desk_api.post(
        "/api/v1/plans/",
        {"patient": solo.patient.id, "template": "spravato-trd", "start_date": str(solo.day)},
        format="json",
    ).json()

    preview = front_desk_api.post(f"/api/v1/plans/{plan['id']}/preview/", {}, format="json")

    assert preview.status_code == 200, preview.json()
    starts = [s["start"] for s in preview.json()["sessions"] if s["start"]]
    assert starts
    days = {(solo.day + timedelta(days=i)) for i in range(14)}
    away = {d.isoformat() for d in days if d.weekday() in (0, 1)}
    assert not {s[:10] for s in starts} & away
