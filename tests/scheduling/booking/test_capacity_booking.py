"""The monitoring ratio and the prescriber-on-site rule through booking, search and plans."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from backend.scheduling.day.services import appointment_no_show
from backend.scheduling.resources.choices import RoomKind
from tests.factories import (
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffAbsenceFactory,
)
from tests.worlds import build_clinic_world

URL = "/api/v1/appointments/"
AVAILABILITY = "/api/v1/availability/"


def book(client, patient, session_type, start):
    body = {"patient": patient.id, "session_type": session_type.id, "start": start.isoformat()}
    return client.post(URL, body, format="json")


def offered_starts(client, world, session_type):
    day = world.day.isoformat()
    response = client.get(
        AVAILABILITY, {"session_type": session_type.id, "date_from": day, "date_to": day}
    )
    assert response.status_code == 200
    return {slot["start"] for slot in response.json()["slots"]}


@pytest.fixture
def one_nurse_world(clinic):
    """Six recliners and one nurse; at most two recovering patients per monitor."""
    clinic.recovering_per_monitor = 2
    clinic.save()
    return build_clinic_world(clinic, recliners=6, nurses=1, patients=4)


@pytest.mark.django_db
def test_booking_refuses_a_recovery_beyond_monitors_x_ratio(front_desk_api, one_nurse_world):
    w = one_nurse_world
    # The nurse runs each 15-minute dose; the recoveries overlap from 09:45 on.
    assert book(front_desk_api, w.patients[0], w.spravato, w.at(9)).status_code == 201
    assert book(front_desk_api, w.patients[1], w.spravato, w.at(9, 15)).status_code == 201

    response = book(front_desk_api, w.patients[2], w.spravato, w.at(9, 30))

    assert response.status_code == 409
    body = response.json()
    assert [c["resource"] for c in body["conflicts"]] == ["monitoring"]
    assert "3 patients would be recovering at 09:45" in body["detail"]
    assert Appointment.objects.count() == 2


@pytest.mark.django_db
def test_a_cancelled_or_missed_recovery_frees_its_place_in_the_ratio(
    front_desk_api, one_nurse_world
):
    # The ratio counts active recovery holds alone: cancelling and a no-show must
    # deactivate them, or the freed places would stay taken.
    w = one_nurse_world
    first = book(front_desk_api, w.patients[0], w.spravato, w.at(9)).json()["id"]
    second = book(front_desk_api, w.patients[1], w.spravato, w.at(9, 15)).json()["id"]
    assert book(front_desk_api, w.patients[2], w.spravato, w.at(9, 30)).status_code == 409

    cancelled = front_desk_api.post(f"{URL}{first}/cancel/", {"reason": "ill"}, format="json")
    assert cancelled.status_code == 200
    assert book(front_desk_api, w.patients[2], w.spravato, w.at(9, 30)).status_code == 201

    missed = Appointment.objects.get(pk=second)
    appointment_no_show(actor=None, appointment=missed, now=w.at(9, 40))
    assert book(front_desk_api, w.patients[3], w.spravato, w.at(9, 45)).status_code == 201
    assert not Hold.objects.filter(appointment_id__in=[first, second], active=True).exists()


@pytest.mark.django_db
def test_search_never_offers_a_start_the_ratio_refuses(front_desk_api, one_nurse_world):
    w = one_nurse_world
    book(front_desk_api, w.patients[0], w.spravato, w.at(9))
    book(front_desk_api, w.patients[1], w.spravato, w.at(9, 15))

    offered = offered_starts(front_desk_api, w, w.spravato)

    # Recoveries run 09:15-11:15 and 09:30-11:30: a start whose recovery (from 15 minutes
    # after it) begins before 11:15 meets both; from 11:00 it meets only the second.
    assert w.at(9, 30).isoformat() not in offered
    assert w.at(10, 45).isoformat() not in offered
    assert w.at(11).isoformat() in offered
    for start in sorted(offered)[:6]:
        response = book(front_desk_api, w.patients[2], w.spravato, _parse(start))
        assert response.status_code == 201
        Appointment.objects.filter(patient=w.patients[2]).delete()


def _parse(value):
    from datetime import datetime

    return datetime.fromisoformat(value)


@pytest.mark.django_db
def test_a_second_monitor_makes_room_for_more_recovering_patients(front_desk_api, clinic):
    clinic.recovering_per_monitor = 2
    clinic.save()
    w = build_clinic_world(clinic, recliners=6, nurses=2, patients=4)
    for i, minute in enumerate((0, 15, 30)):
        assert book(front_desk_api, w.patients[i], w.spravato, w.at(9, minute)).status_code == 201


@pytest.mark.django_db
def test_an_absent_monitor_does_not_count(front_desk_api, clinic):
    clinic.recovering_per_monitor = 2
    clinic.save()
    w = build_clinic_world(clinic, recliners=6, nurses=2, patients=4)
    # Nurse B is away all day: one monitor, two recovering patients at most.
    StaffAbsenceFactory(staff=w.nurses[1], start=w.at(7), end=w.at(19))
    assert book(front_desk_api, w.patients[0], w.spravato, w.at(9)).status_code == 201
    assert book(front_desk_api, w.patients[1], w.spravato, w.at(9, 15)).status_code == 201

    response = book(front_desk_api, w.patients[2], w.spravato, w.at(9, 30))

    assert response.status_code == 409
    assert [c["resource"] for c in response.json()["conflicts"]] == ["monitoring"]


@pytest.mark.django_db
def test_rems_session_needs_a_prescriber_working_throughout(front_desk_api, clinic):
    w = build_clinic_world(
        clinic,
        prescribers=0,
        session_type_changes={"spravato": {"requires_prescriber_on_site": True}},
    )

    response = book(front_desk_api, w.patients[0], w.spravato, w.at(9))

    assert response.status_code == 409
    assert [c["resource"] for c in response.json()["conflicts"]] == ["prescriber"]
    assert offered_starts(front_desk_api, w, w.spravato) == set()


@pytest.mark.django_db
def test_rems_session_books_while_a_prescriber_is_working(front_desk_api, clinic):
    w = build_clinic_world(
        clinic,
        prescribers=1,
        session_type_changes={"spravato": {"requires_prescriber_on_site": True}},
    )
    offered = offered_starts(front_desk_api, w, w.spravato)

    # The prescriber works until 18:00: the last start leaves 2h15 of session and recovery.
    assert w.at(15, 45).isoformat() in offered
    assert book(front_desk_api, w.patients[0], w.spravato, w.at(9)).status_code == 201


@pytest.mark.django_db
def test_the_builtin_spravato_session_requires_a_prescriber_on_site():
    from backend.scheduling.resources.models import SessionType

    builtin = SessionType.objects.get(clinic=None, slug="spravato-session")

    assert builtin.requires_prescriber_on_site is True


# --- Races: the ratio is a clinic-wide sum that no seat or staff lock covers -------------


@pytest.fixture
def two_room_world(transactional_db, clinic):
    """Two dosing rooms of six recliners, a session type in each that needs no staff member,
    one nurse and a ratio of 1: one recovery at most, whichever room it is in."""
    clinic.recovering_per_monitor = 1
    clinic.save()
    w = build_clinic_world(clinic, recliners=6, nurses=1, session_types=False, patients=0)
    other = RoomFactory(clinic=clinic, name="Second Room", kind=RoomKind.DOSING)
    for i in range(6):
        SeatFactory(room=other, name=f"Bed {i}")
    types = []
    for room in (w.dosing_room, other):
        session_type = SessionTypeFactory(clinic=clinic, staff_role="", escort_required=False)
        session_type.rooms.set([room])
        types.append(session_type)
    patients = [PatientFactory(clinic=clinic, cleared=True) for _ in range(20)]
    return w, types, patients


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_in_two_rooms_never_jointly_break_the_ratio(
    two_room_world, front_desk_user
):
    w, types, patients = two_room_world
    barrier = threading.Barrier(len(patients))
    statuses, lock = [], threading.Lock()

    def attempt(i, patient):
        client = APIClient()
        client.force_authenticate(front_desk_user)
        try:
            barrier.wait()
            response = book(client, patient, types[i % 2], w.at(10))
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(patients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == Counter({201: 1, 409: 19})
    assert Hold.objects.filter(kind=HoldKind.RECOVERY, active=True).count() == 1
