import datetime as dt

import pytest

from backend.scheduling.resources.models import Clinic, Closure, OpeningHours
from tests.factories import ClinicFactory, ClosureFactory, OpeningHoursFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/clinics/"

MONDAY_HOURS = [{"weekday": 0, "opens": "08:00", "closes": "18:00"}]


def clinic_payload(**overrides):
    payload = {
        "name": "Harbor Light Wellness",
        "slug": "harbor-light",
        "timezone": "America/Chicago",
        "address": "12 Pier Road",
        "phone": "+1 555 0100",
        "email": "front@harbor.example.org",
        "opening_hours": MONDAY_HOURS,
        "closures": [{"start_date": "2026-12-24", "end_date": "2026-12-26", "reason": "Holidays"}],
    }
    payload.update(overrides)
    return payload


def test_clinic_create_stores_hours_and_closures(manager_api):
    response = manager_api.post(URL, clinic_payload(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["opening_hours"] == MONDAY_HOURS
    assert body["closures"] == [
        {"start_date": "2026-12-24", "end_date": "2026-12-26", "reason": "Holidays"}
    ]
    clinic = Clinic.objects.get(pk=body["id"])
    assert [(h.weekday, h.opens, h.closes) for h in clinic.opening_hours.all()] == [
        (0, dt.time(8), dt.time(18))
    ]
    assert clinic.closures.count() == 1


def test_clinic_retrieve_renders_times_as_hours_and_minutes(clinician_api, clinic):
    response = clinician_api.get(f"{URL}{clinic.id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "America/New_York"
    assert body["opening_hours"][0] == {"weekday": 0, "opens": "08:00", "closes": "18:00"}
    assert [h["weekday"] for h in body["opening_hours"]] == [0, 1, 2, 3, 4]


def test_clinic_accepts_several_windows_on_one_day(manager_api):
    hours = [
        {"weekday": 2, "opens": "13:00", "closes": "17:00"},
        {"weekday": 2, "opens": "08:00", "closes": "12:00"},
        {"weekday": 3, "opens": "12:00", "closes": "13:00"},
    ]

    response = manager_api.post(URL, clinic_payload(opening_hours=hours), format="json")

    assert response.status_code == 201
    assert response.json()["opening_hours"] == [
        {"weekday": 2, "opens": "08:00", "closes": "12:00"},
        {"weekday": 2, "opens": "13:00", "closes": "17:00"},
        {"weekday": 3, "opens": "12:00", "closes": "13:00"},
    ]


def test_clinic_put_replaces_hours_and_closures(manager_api, clinic):
    ClosureFactory(clinic=clinic)
    payload = clinic_payload(
        slug=clinic.slug,
        opening_hours=[{"weekday": 5, "opens": "09:00", "closes": "13:00"}],
        closures=[],
    )

    response = manager_api.put(f"{URL}{clinic.id}/", payload, format="json")

    assert response.status_code == 200
    assert response.json()["opening_hours"] == [{"weekday": 5, "opens": "09:00", "closes": "13:00"}]
    assert response.json()["closures"] == []
    assert list(OpeningHours.objects.filter(clinic=clinic).values_list("weekday", flat=True)) == [5]
    assert Closure.objects.filter(clinic=clinic).count() == 0


def test_clinic_patch_without_lists_keeps_hours_and_closures(manager_api, clinic):
    ClosureFactory(clinic=clinic)

    response = manager_api.patch(f"{URL}{clinic.id}/", {"phone": "+1 555 0123"}, format="json")

    assert response.status_code == 200
    assert response.json()["phone"] == "+1 555 0123"
    assert OpeningHours.objects.filter(clinic=clinic).count() == 5
    assert Closure.objects.filter(clinic=clinic).count() == 1


def test_clinic_patch_with_empty_hours_closes_every_day(manager_api, clinic):
    response = manager_api.patch(f"{URL}{clinic.id}/", {"opening_hours": []}, format="json")

    assert response.status_code == 200
    assert response.json()["opening_hours"] == []
    assert OpeningHours.objects.filter(clinic=clinic).count() == 0


def test_clinic_unknown_timezone_is_refused(manager_api):
    response = manager_api.post(URL, clinic_payload(timezone="Mars/Olympus_Mons"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["timezone"] == [
        "'Mars/Olympus_Mons' is not a known IANA time zone."
    ]
    assert Clinic.objects.count() == 0


def test_clinic_closing_before_opening_is_refused(manager_api):
    hours = [
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 1, "opens": "12:00", "closes": "12:00"},
    ]

    response = manager_api.post(URL, clinic_payload(opening_hours=hours), format="json")

    assert response.status_code == 400
    # Item errors come as a list aligned with the items ({} for the valid one).
    assert response.json()["errors"]["opening_hours"] == [
        {},
        {"closes": ["Closing time must be after opening time."]},
    ]
    assert Clinic.objects.count() == 0
    assert OpeningHours.objects.count() == 0


def test_clinic_overlapping_windows_are_refused(manager_api):
    hours = [
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 0, "opens": "11:30", "closes": "18:00"},
    ]

    response = manager_api.post(URL, clinic_payload(opening_hours=hours), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["opening_hours"] == [
        "Monday: 08:00-12:00 overlaps 11:30-18:00. Merge them into one window."
    ]
    assert Clinic.objects.count() == 0


def test_clinic_closure_ending_before_it_starts_is_refused(manager_api):
    closures = [{"start_date": "2026-12-26", "end_date": "2026-12-24", "reason": ""}]

    response = manager_api.post(URL, clinic_payload(closures=closures), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["closures"] == [
        {"end_date": ["The closure cannot end before it starts."]}
    ]
    assert Clinic.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("08:00:30", "Use whole minutes: HH:MM.", id="seconds"),
        pytest.param("25:00", None, id="hour-out-of-range"),
        pytest.param("8am", None, id="not-a-time"),
    ],
)
def test_clinic_badly_written_time_is_refused(manager_api, value, message):
    hours = [{"weekday": 0, "opens": value, "closes": "18:00"}]

    response = manager_api.post(URL, clinic_payload(opening_hours=hours), format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]["opening_hours"][0]["opens"]
    assert len(errors) == 1
    if message:
        assert errors == [message]
    assert Clinic.objects.count() == 0


def test_clinic_weekday_out_of_range_is_refused(manager_api):
    hours = [{"weekday": 7, "opens": "08:00", "closes": "18:00"}]

    response = manager_api.post(URL, clinic_payload(opening_hours=hours), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]["opening_hours"][0]) == ["weekday"]
    assert Clinic.objects.count() == 0


def test_clinic_invalid_update_keeps_the_old_hours(manager_api, clinic):
    hours = [
        {"weekday": 0, "opens": "09:00", "closes": "10:00"},
        {"weekday": 0, "opens": "09:30", "closes": "11:00"},
    ]

    response = manager_api.patch(f"{URL}{clinic.id}/", {"opening_hours": hours}, format="json")

    assert response.status_code == 400
    assert OpeningHours.objects.filter(clinic=clinic).count() == 5


def test_clinic_duplicate_slug_is_refused(manager_api, clinic):
    response = manager_api.post(URL, clinic_payload(slug=clinic.slug), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["slug"]
    assert Clinic.objects.count() == 1


def test_clinic_filter_by_slug(clinician_api, clinic):
    ClinicFactory()

    response = clinician_api.get(URL, {"slug": clinic.slug})

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [clinic.id]


def test_clinic_nested_rows_belong_to_their_clinic(clinician_api, clinic):
    other = ClinicFactory()
    OpeningHoursFactory(clinic=other, weekday=6)

    response = clinician_api.get(f"{URL}{other.id}/")

    assert response.json()["opening_hours"] == [{"weekday": 6, "opens": "08:00", "closes": "18:00"}]


def test_a_clinic_manager_who_creates_a_clinic_manages_it():
    from rest_framework.test import APIClient

    from backend.common.roles import Role
    from backend.scheduling.resources.models import Membership
    from tests.factories import UserFactory

    manager = UserFactory(memberships=[(ClinicFactory(), Role.MANAGER)])
    client = APIClient()
    client.force_authenticate(manager)

    created = client.post(URL, clinic_payload(slug="new-site"), format="json")
    listed = client.get(URL).json()["results"]
    renamed = client.patch(f"{URL}{created.json()['id']}/", {"name": "Renamed"}, format="json")

    assert created.status_code == 201, created.json()
    assert Membership.objects.filter(
        user=manager, clinic_id=created.json()["id"], role=Role.MANAGER
    ).exists()
    assert created.json()["id"] in {c["id"] for c in listed}
    assert renamed.status_code == 200


def test_a_group_wide_manager_needs_no_new_membership_for_a_new_clinic(manager_api, manager_user):
    from backend.scheduling.resources.models import Membership

    before = Membership.objects.filter(user=manager_user).count()

    created = manager_api.post(URL, clinic_payload(slug="another-site"), format="json")

    assert created.status_code == 201
    assert Membership.objects.filter(user=manager_user).count() == before
