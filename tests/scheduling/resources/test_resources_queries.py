"""Every list costs the same number of queries for one item as for three (no N+1)."""

import pytest

from tests.factories import (
    ClinicFactory,
    ClosureFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db


def make_clinic(clinic):
    ClosureFactory(clinic=ClinicFactory(with_hours=True))


def make_room(clinic):
    RoomFactory(clinic=clinic, seats=3)


def make_seat(clinic):
    SeatFactory(room__clinic=clinic)


def make_staff(clinic):
    staff = StaffFactory(clinic=clinic)
    WorkingHoursFactory(staff=staff, weekday=0)
    WorkingHoursFactory(staff=staff, weekday=1)


def make_patient(clinic):
    PatientFactory(clinic=clinic)


def make_session_type(clinic):
    SessionTypeFactory(clinic=clinic)


# Queries: the user's roles, the page count, the page, then one per prefetched relation.
# `already` counts rows that exist before the test adds any: the `clinic` fixture and the
# built-in session types.
LISTS = [
    pytest.param("/api/v1/clinics/", make_clinic, 5, 1, id="clinics"),
    pytest.param("/api/v1/rooms/", make_room, 4, 0, id="rooms"),
    pytest.param("/api/v1/seats/", make_seat, 3, 0, id="seats"),
    pytest.param("/api/v1/staff/", make_staff, 4, 0, id="staff"),
    pytest.param("/api/v1/patients/", make_patient, 3, 0, id="patients"),
    pytest.param("/api/v1/session-types/", make_session_type, 4, 9, id="session-types"),
]


@pytest.mark.parametrize("items", [1, 3])
@pytest.mark.parametrize(("url", "make", "queries", "already"), LISTS)
def test_list_query_count_does_not_grow(
    django_assert_num_queries, clinician_api, clinic, url, make, queries, already, items
):
    for _ in range(items):
        make(clinic)

    with django_assert_num_queries(queries):
        response = clinician_api.get(url)

    assert response.status_code == 200
    assert response.json()["count"] == already + items
