import datetime as dt

import pytest

from backend.scheduling.resources.models import Staff, WorkingHours
from tests.factories import AppointmentFactory, StaffFactory, UserFactory, WorkingHoursFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/staff/"


def staff_payload(clinic, **overrides):
    payload = {
        "clinic": clinic.id,
        "name": "Dana Reyes",
        "role": "nurse",
        "email": "dana@example.org",
        "working_hours": [
            {"weekday": 0, "starts": "08:00", "ends": "12:00"},
            {"weekday": 0, "starts": "13:00", "ends": "17:00"},
        ],
    }
    payload.update(overrides)
    return payload


def test_staff_create_with_working_hours(manager_api, clinic):
    response = manager_api.post(URL, staff_payload(clinic), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["user"] is None
    assert body["active"] is True
    assert body["working_hours"] == [
        {"weekday": 0, "starts": "08:00", "ends": "12:00"},
        {"weekday": 0, "starts": "13:00", "ends": "17:00"},
    ]
    assert WorkingHours.objects.filter(staff_id=body["id"]).count() == 2


def test_staff_linked_to_a_login(manager_api, clinic):
    user = UserFactory()

    response = manager_api.post(URL, staff_payload(clinic, user=user.id), format="json")

    assert response.status_code == 201
    assert Staff.objects.get(pk=response.json()["id"]).user == user


def test_staff_login_linked_twice_is_refused(manager_api, clinic):
    user = UserFactory()
    StaffFactory(clinic=clinic, user=user)

    response = manager_api.post(URL, staff_payload(clinic, user=user.id), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["user"]
    assert Staff.objects.count() == 1


def test_staff_unknown_user_is_refused(manager_api, clinic):
    response = manager_api.post(URL, staff_payload(clinic, user=99999), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["user"]
    assert Staff.objects.count() == 0


def test_staff_window_ending_before_it_starts_is_refused(manager_api, clinic):
    hours = [{"weekday": 1, "starts": "17:00", "ends": "09:00"}]

    response = manager_api.post(URL, staff_payload(clinic, working_hours=hours), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["working_hours"] == [
        {"ends": ["The working window must end after it starts."]}
    ]
    assert Staff.objects.count() == 0
    assert WorkingHours.objects.count() == 0


def test_staff_overlapping_windows_are_refused(manager_api, clinic):
    hours = [
        {"weekday": 4, "starts": "08:00", "ends": "12:00"},
        {"weekday": 4, "starts": "09:00", "ends": "10:00"},
    ]

    response = manager_api.post(URL, staff_payload(clinic, working_hours=hours), format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["working_hours"] == [
        "Friday: 08:00-12:00 overlaps 09:00-10:00. Merge them into one window."
    ]
    assert Staff.objects.count() == 0


def test_staff_unknown_role_is_refused(manager_api, clinic):
    response = manager_api.post(URL, staff_payload(clinic, role="surgeon"), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["role"]


def test_staff_patch_replaces_working_hours(manager_api, clinic):
    staff = StaffFactory(clinic=clinic)
    WorkingHoursFactory(staff=staff, weekday=0)
    hours = [{"weekday": 3, "starts": "10:00", "ends": "14:00"}]

    response = manager_api.patch(f"{URL}{staff.id}/", {"working_hours": hours}, format="json")

    assert response.status_code == 200
    assert response.json()["working_hours"] == hours
    assert [(h.weekday, h.starts) for h in staff.working_hours.all()] == [(3, dt.time(10))]


def test_staff_patch_without_hours_keeps_them(manager_api, clinic):
    staff = StaffFactory(clinic=clinic)
    WorkingHoursFactory(staff=staff)

    response = manager_api.patch(f"{URL}{staff.id}/", {"role": "therapist"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "therapist"
    assert staff.working_hours.count() == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"role": "prescriber"}, ["Dr Ames"], id="role"),
        pytest.param({"active": "false"}, ["Former Nurse"], id="inactive"),
        pytest.param({"role": "nurse", "active": "true"}, ["Nurse Kim"], id="role-and-active"),
    ],
)
def test_staff_filters(clinician_api, clinic, query, expected):
    StaffFactory(clinic=clinic, name="Dr Ames", role="prescriber")
    StaffFactory(clinic=clinic, name="Nurse Kim", role="nurse")
    StaffFactory(clinic=clinic, name="Former Nurse", role="nurse", active=False)
    StaffFactory(role="prescriber")

    response = clinician_api.get(URL, {"clinic": clinic.id, **query})

    assert [s["name"] for s in response.json()["results"]] == expected


def test_staff_with_appointments_cannot_be_deleted(manager_api, clinic):
    staff = StaffFactory(clinic=clinic)
    AppointmentFactory(clinic=clinic, staff=staff)

    response = manager_api.delete(f"{URL}{staff.id}/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This staff member cannot be deleted: it is referenced by 1 appointment. "
        'Set "active" to false to retire the staff member and keep its history.'
    )
    assert Staff.objects.filter(pk=staff.pk).exists()
