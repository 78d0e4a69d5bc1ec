import pytest

from backend.scheduling.resources.models import Room, Seat
from tests.factories import AppointmentFactory, ClinicFactory, HoldFactory, RoomFactory, SeatFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/rooms/"
SEATS_URL = "/api/v1/seats/"


def test_room_create_with_seats(manager_api, clinic):
    payload = {
        "clinic": clinic.id,
        "name": "Dosing suite",
        "kind": "dosing",
        "seats": [{"name": "Recliner 1", "kind": "recliner"}, {"name": "Bed 1", "kind": "bed"}],
    }

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["capacity"] == 2
    assert [(s["name"], s["kind"], s["active"]) for s in body["seats"]] == [
        ("Bed 1", "bed", True),
        ("Recliner 1", "recliner", True),
    ]
    assert Seat.objects.filter(room_id=body["id"]).count() == 2


def test_room_create_without_seats_has_no_capacity(manager_api, clinic):
    payload = {"clinic": clinic.id, "name": "Therapy 1", "kind": "therapy"}

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 201
    assert response.json()["capacity"] == 0
    assert response.json()["seats"] == []


def test_room_capacity_counts_active_seats_only(clinician_api, clinic):
    room = RoomFactory(clinic=clinic, seats=3)
    Seat.objects.filter(room=room, name="Seat 2").update(active=False)

    response = clinician_api.get(f"{URL}{room.id}/")

    assert response.json()["capacity"] == 2
    assert len(response.json()["seats"]) == 3


def test_room_duplicate_seat_names_are_refused(manager_api, clinic):
    payload = {
        "clinic": clinic.id,
        "name": "Dosing suite",
        "kind": "dosing",
        "seats": [{"name": "R1"}, {"name": "R1"}],
    }

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["seats"] == ["Seat names must be unique within the room: R1."]
    assert Room.objects.count() == 0
    assert Seat.objects.count() == 0


def test_room_seats_cannot_be_rewritten_through_the_room(manager_api, clinic):
    room = RoomFactory(clinic=clinic, seats=1)

    response = manager_api.patch(f"{URL}{room.id}/", {"seats": [{"name": "New"}]}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["seats"]
    assert list(room.seats.values_list("name", flat=True)) == ["Seat 1"]


def test_room_duplicate_name_in_clinic_is_refused(manager_api, clinic):
    RoomFactory(clinic=clinic, name="Suite A")
    payload = {"clinic": clinic.id, "name": "Suite A", "kind": "dosing"}

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["This clinic already has a room with this name."]}
    assert Room.objects.count() == 1


def test_room_same_name_in_another_clinic_is_allowed(manager_api, clinic):
    RoomFactory(name="Suite A")
    payload = {"clinic": clinic.id, "name": "Suite A", "kind": "dosing"}

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 201


def test_room_rename_to_a_taken_name_is_refused(manager_api, clinic):
    RoomFactory(clinic=clinic, name="Suite A")
    room = RoomFactory(clinic=clinic, name="Suite B")

    response = manager_api.patch(f"{URL}{room.id}/", {"name": "Suite A"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    room.refresh_from_db()
    assert room.name == "Suite B"


def test_room_cannot_move_to_another_clinic(manager_api, clinic):
    room = RoomFactory(clinic=clinic)
    other = ClinicFactory()

    response = manager_api.patch(f"{URL}{room.id}/", {"clinic": other.id}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]
    room.refresh_from_db()
    assert room.clinic_id == clinic.id


def test_room_unknown_kind_is_refused(manager_api, clinic):
    payload = {"clinic": clinic.id, "name": "Lobby", "kind": "lobby"}

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kind"]
    assert Room.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"kind": "recovery"}, ["Recovery"], id="kind"),
        pytest.param({"active": "false"}, ["Old"], id="inactive"),
        pytest.param({"active": "true"}, ["Dosing", "Recovery"], id="active"),
    ],
)
def test_room_filters(clinician_api, clinic, query, expected):
    RoomFactory(clinic=clinic, name="Dosing", kind="dosing")
    RoomFactory(clinic=clinic, name="Recovery", kind="recovery")
    RoomFactory(clinic=clinic, name="Old", kind="dosing", active=False)

    response = clinician_api.get(URL, {"clinic": clinic.id, **query})

    assert [r["name"] for r in response.json()["results"]] == expected


def test_room_filter_by_clinic(clinician_api, clinic):
    mine = RoomFactory(clinic=clinic)
    RoomFactory()

    response = clinician_api.get(URL, {"clinic": clinic.id})

    assert [r["id"] for r in response.json()["results"]] == [mine.id]


def test_room_deactivation_is_allowed_while_in_use(manager_api, clinic):
    appointment = AppointmentFactory(clinic=clinic)

    response = manager_api.patch(f"{URL}{appointment.room_id}/", {"active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["active"] is False


def test_room_in_use_cannot_be_deleted(manager_api, clinic):
    appointment = AppointmentFactory(clinic=clinic)

    response = manager_api.delete(f"{URL}{appointment.room_id}/")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == (
        "This room cannot be deleted: it is referenced by 1 appointment. "
        'Set "active" to false to retire the room and keep its history.'
    )
    assert body["conflicts"] == [{"model": "appointment", "count": 1}]
    assert Room.objects.filter(pk=appointment.room_id).exists()


def test_room_unused_is_deleted_with_its_seats(manager_api, clinic):
    room = RoomFactory(clinic=clinic, seats=2)

    response = manager_api.delete(f"{URL}{room.id}/")

    assert response.status_code == 204
    assert Room.objects.count() == 0
    assert Seat.objects.count() == 0


# --- seats -----------------------------------------------------------------------------


def test_seat_create(manager_api, clinic):
    room = RoomFactory(clinic=clinic)

    response = manager_api.post(
        SEATS_URL, {"room": room.id, "name": "Bed 2", "kind": "bed"}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "room": room.id,
        "name": "Bed 2",
        "kind": "bed",
        "active": True,
    }


def test_seat_kind_defaults_to_chair(manager_api, clinic):
    room = RoomFactory(clinic=clinic)

    response = manager_api.post(SEATS_URL, {"room": room.id, "name": "C1"}, format="json")

    assert response.json()["kind"] == "chair"


def test_seat_duplicate_name_in_room_is_refused(manager_api, clinic):
    room = RoomFactory(clinic=clinic, seats=1)

    response = manager_api.post(SEATS_URL, {"room": room.id, "name": "Seat 1"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["This room already has a seat with this name."]}
    assert Seat.objects.count() == 1


def test_seat_cannot_move_to_another_room(manager_api, clinic):
    seat = SeatFactory(room__clinic=clinic)
    other_room = RoomFactory(clinic=clinic)

    response = manager_api.patch(f"{SEATS_URL}{seat.id}/", {"room": other_room.id}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["room"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"kind": "bed"}, ["B"], id="kind"),
        pytest.param({"active": "false"}, ["C"], id="inactive"),
    ],
)
def test_seat_filters(clinician_api, clinic, query, expected):
    room = RoomFactory(clinic=clinic)
    SeatFactory(room=room, name="A", kind="recliner")
    SeatFactory(room=room, name="B", kind="bed")
    SeatFactory(room=room, name="C", kind="chair", active=False)

    response = clinician_api.get(SEATS_URL, query)

    assert [s["name"] for s in response.json()["results"]] == expected


def test_seat_filter_by_clinic_and_room(clinician_api, clinic):
    first = RoomFactory(clinic=clinic, seats=2)
    RoomFactory(clinic=clinic, seats=1)
    RoomFactory(seats=1)

    by_clinic = clinician_api.get(SEATS_URL, {"clinic": clinic.id})
    by_room = clinician_api.get(SEATS_URL, {"room": first.id})

    assert by_clinic.json()["count"] == 3
    assert [s["room"] for s in by_room.json()["results"]] == [first.id, first.id]


def test_seat_held_by_an_appointment_cannot_be_deleted(manager_api, clinic):
    hold = HoldFactory(appointment__clinic=clinic)

    response = manager_api.delete(f"{SEATS_URL}{hold.seat_id}/")

    assert response.status_code == 409
    assert response.json()["conflicts"] == [
        {"model": "appointment", "count": 1},
        {"model": "hold", "count": 1},
    ]
    assert Seat.objects.filter(pk=hold.seat_id).exists()
