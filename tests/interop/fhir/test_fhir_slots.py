"""Slot search: the free starts of the availability search, per schedule and window."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.interop.fhir.services import SLOT_WINDOW_MAX
from tests.interop.fhir.fhir_check import BASE, bundle_resources

pytestmark = pytest.mark.django_db


def slots(client, schedule: str, day, **query) -> list[dict]:
    params = {
        "schedule": schedule,
        "start": [f"ge{day.isoformat()}", f"lt{(day + timedelta(days=1)).isoformat()}"],
        "status": "free",
        "_count": 500,
        **query,
    }
    response = client.get(BASE + "Slot", params)
    assert response.status_code == 200, response.content
    return bundle_resources(response.json())


def starts_of(found: list[dict], service_id: int) -> list[str]:
    code = str(service_id)
    return [s["start"] for s in found if s["serviceType"][0]["coding"][0]["code"] == code]


def test_room_slots_are_the_availability_search_starts(fhir, front_desk_api, world):
    room = f"Schedule/room-{world.dosing_room.id}"

    found = slots(fhir, room, world.day)
    rest = front_desk_api.get(
        "/api/v1/availability/",
        {
            "session_type": world.spravato.id,
            "date_from": world.day.isoformat(),
            "date_to": world.day.isoformat(),
            "room": world.dosing_room.id,
        },
    )

    assert rest.status_code == 200, rest.content
    assert starts_of(found, world.spravato.id) == [s["start"] for s in rest.json()["slots"]]
    assert starts_of(found, world.infusion.id)
    assert {s["schedule"]["reference"] for s in found} == {room}
    assert {s["status"] for s in found} == {"free"}
    first = next(s for s in found if s["start"] == world.at(8).isoformat())
    assert first["end"] == world.at(10, 15).isoformat()  # 15 minutes and 2 hours recovery


def test_service_type_narrows_to_one_session_type(fhir, world):
    found = slots(
        fhir, f"room-{world.dosing_room.id}", world.day, **{"service-type": world.infusion.id}
    )

    assert found
    assert set(starts_of(found, world.infusion.id)) == {s["start"] for s in found}


def test_a_booked_start_is_no_longer_free(fhir, world):
    for seat in world.recliners:
        world.appointment(world.at(12), seat=seat)

    found = starts_of(slots(fhir, f"room-{world.dosing_room.id}", world.day), world.spravato.id)

    assert world.at(9).isoformat() in found
    assert world.at(12).isoformat() not in found


def test_staff_schedule_offers_the_types_of_their_role(fhir, world):
    found = slots(fhir, f"staff-{world.therapist.id}", world.day)

    assert starts_of(found, world.therapy.id)
    assert not starts_of(found, world.spravato.id)


def test_start_window_bounds_the_slots(fhir, world):
    query = {"start": [world.at(10).isoformat().join(["ge", ""]), f"lt{world.at(11).isoformat()}"]}

    found = slots(fhir, f"room-{world.dosing_room.id}", world.day, **query)

    assert found
    assert all(world.at(10).isoformat() <= s["start"] < world.at(11).isoformat() for s in found)


@pytest.mark.parametrize("status", ["busy", "busy-tentative"])
def test_only_free_slots_are_published(fhir, world, status):
    assert slots(fhir, f"room-{world.dosing_room.id}", world.day, status=status) == []


def test_a_window_longer_than_the_maximum_is_400(fhir, world):
    end = world.day + SLOT_WINDOW_MAX + timedelta(days=1)

    response = fhir.get(
        BASE + "Slot",
        {"schedule": f"room-{world.dosing_room.id}", "start": [f"ge{world.day}", f"lt{end}"]},
    )

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["start"]


def test_a_recovery_room_or_unknown_schedule_has_no_slots(fhir, world):
    assert slots(fhir, f"room-{world.lounge.id}", world.day) == []
    assert slots(fhir, "room-999999", world.day) == []
    assert slots(fhir, "nonsense", world.day) == []


def test_another_clinics_schedule_has_no_slots(outsider_fhir, world):
    assert slots(outsider_fhir, f"room-{world.dosing_room.id}", world.day) == []


def test_slot_paging(fhir, world):
    room = f"room-{world.dosing_room.id}"
    everything = slots(fhir, room, world.day)

    page = fhir.get(
        BASE + "Slot", {"schedule": room, "start": f"ge{world.day}", "_count": 5, "_page": 2}
    ).json()

    assert page["total"] >= len(everything)
    assert [e["resource"]["id"] for e in page["entry"]] == [s["id"] for s in everything[5:10]]


def test_slot_query_count_does_not_grow_with_bookings(fhir, world):
    room = f"room-{world.dosing_room.id}"
    world.appointment(world.at(8), patient=world.patients[0])
    slots(fhir, room, world.day)  # the user's roles are read once and kept
    with CaptureQueriesContext(connection) as one:
        slots(fhir, room, world.day)
    world.appointment(world.at(11), patient=world.patients[1])
    world.appointment(world.at(14), patient=world.patients[2])

    with CaptureQueriesContext(connection) as three:
        found = slots(fhir, room, world.day)

    # The room, the hosting rules, then one availability search per session type the
    # room hosts: its queries depend on neither the bookings nor the slots.
    assert found
    assert len(three) == len(one)


def test_a_slot_reads_back_by_its_id_while_free(fhir, world):
    room = f"room-{world.dosing_room.id}"
    [first] = slots(fhir, room, world.day, _count=1, **{"service-type": world.spravato.id})

    read = fhir.get(f"{BASE}Slot/{first['id']}")
    for seat in world.recliners:
        world.appointment(world.at(8), seat=seat)
    taken = fhir.get(f"{BASE}Slot/{first['id']}")

    assert read.status_code == 200
    assert read.json() == first
    assert taken.status_code == 404
    assert taken.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "ident", ["room-1", "room-1.2.20301399T000000Z", "desk-1.2.20300107T150000Z", "x"]
)
def test_malformed_slot_ids_are_404(fhir, world, ident):
    assert fhir.get(f"{BASE}Slot/{ident}").status_code == 404
