"""Moving a group session with everyone in it: POST group-sessions/{id}/reschedule/.

All or nothing, with the checks of scheduling and enrolling: a clash is a 409 naming it
and leaves the group, its places, holds, audit trail and outbox as they were.
"""

from datetime import timedelta

import pytest

from backend.scheduling.booking.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Hold,
    HoldKind,
)
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.resources.choices import RoomKind
from backend.scheduling.resources.models import SessionType
from tests.factories import ClosureFactory, RoomFactory, SeatFactory
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db

GROUPS = "/api/v1/group-sessions/"


def group_world(clinic, **changes):
    """Six recliners, two therapists (the facilitators), two nurses for the recovery."""
    layout = {"recliners": 6, "therapists": 2, "nurses": 2, "patients": 8, **changes}
    return build_clinic_world(clinic, **layout)


def dosing_type():
    return SessionType.objects.get(clinic=None, slug="kap-group-dosing")


def create_group(client, world, start, staff=None):
    body = {
        "session_type": dosing_type().id,
        "room": world.dosing_room.id,
        "start": start.isoformat(),
        "staff": [t.id for t in (staff or world.therapists)],
    }
    response = client.post(GROUPS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def enrolled(client, group, patients) -> list[int]:
    ids = []
    for patient in patients:
        response = client.post(
            f"{GROUPS}{group['id']}/enroll/", {"patient": patient.id}, format="json"
        )
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    return ids


def move(client, group, start, **body):
    return client.post(
        f"{GROUPS}{group['id']}/reschedule/", {"start": start.isoformat(), **body}, format="json"
    )


def state(group_id: int) -> tuple:
    """Everything a move writes, to show that a refused one wrote nothing."""
    return (
        GroupSession.objects.filter(pk=group_id).values_list("start", "room_id", "sequence")[0],
        sorted(
            Hold.objects.filter(group_session_id=group_id).values_list(
                "staff_id", "start", "active"
            )
        ),
        sorted(
            Appointment.objects.filter(group_session_id=group_id).values_list(
                "id", "start", "seat_id", "sequence"
            )
        ),
        sorted(
            Hold.objects.filter(appointment__group_session_id=group_id).values_list(
                "appointment_id", "kind", "start", "end"
            )
        ),
        AppointmentEvent.objects.count(),
        OutboxEvent.objects.count(),
    )


@pytest.fixture
def w(clinic):
    return group_world(clinic)


def test_moving_a_group_moves_every_place_and_the_facilitators(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    ids = enrolled(front_desk_api, group, w.patients[:3])

    response = move(front_desk_api, group, w.at(10, 30))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["enrolled"]) == (w.at(10, 30).isoformat(), 3)
    for appointment in Appointment.objects.filter(id__in=ids):
        assert (appointment.start, appointment.end, appointment.recovery_end) == (
            w.at(10, 30),
            w.at(13, 30),
            w.at(14),
        )
        assert appointment.sequence == 1
        assert appointment.staff_id == min(w.therapists, key=lambda t: t.name).id
        assert sorted(
            appointment.holds.filter(active=True).values_list("kind", "start", "end")
        ) == [("recovery", w.at(13, 30), w.at(14)), ("session", w.at(10, 30), w.at(13, 30))]
    facilitators = Hold.objects.filter(group_session_id=group["id"], kind=HoldKind.STAFF)
    assert sorted(facilitators.values_list("staff_id", "start", "end", "active")) == sorted(
        (t.id, w.at(10, 30), w.at(13, 30), True) for t in w.therapists
    )
    assert GroupSession.objects.get(pk=group["id"]).sequence == 1


def test_each_moved_place_has_its_audit_entry_and_rescheduled_event(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    ids = enrolled(front_desk_api, group, w.patients[:2])

    move(front_desk_api, group, w.at(10))

    events = AppointmentEvent.objects.filter(appointment_id__in=ids, action="rescheduled")
    assert sorted(events.values_list("appointment_id", flat=True)) == sorted(ids)
    assert all(f"Group session {group['id']} moved" in e.note for e in events)
    assert all(e.changes["start"][1].startswith(str(w.day)) for e in events)
    outbox = OutboxEvent.objects.filter(type="appointment.rescheduled")
    assert sorted(e.data["appointment"] for e in outbox) == sorted(ids)


def test_a_cancelled_place_stays_where_it_was(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    kept, dropped = enrolled(front_desk_api, group, w.patients[:2])
    front_desk_api.post(f"/api/v1/appointments/{dropped}/cancel/", {"reason": "ill"}, format="json")

    response = move(front_desk_api, group, w.at(10))

    assert response.json()["enrolled"] == 1
    assert Appointment.objects.get(pk=kept).start == w.at(10)
    assert Appointment.objects.get(pk=dropped).start == w.at(9)


def test_a_facilitator_busy_at_the_new_time_is_a_409_and_nothing_moves(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    create_group(front_desk_api, w, w.at(14))
    enrolled(front_desk_api, group, w.patients[:2])
    before = state(group["id"])

    response = move(front_desk_api, group, w.at(12))

    assert response.status_code == 409
    assert {c["resource"] for c in response.json()["conflicts"]} == {"staff"}
    assert "busy" in response.json()["detail"]
    assert state(group["id"]) == before


def test_moving_later_into_the_groups_own_time_is_allowed(front_desk_api, w):
    # The facilitators' and the participants' own holds never stand in the way.
    group = create_group(front_desk_api, w, w.at(9))
    enrolled(front_desk_api, group, w.patients[:6])

    response = move(front_desk_api, group, w.at(9, 30))

    assert response.status_code == 200, response.json()


def test_a_taken_seat_names_the_participant_left_without_one(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    _, second = enrolled(front_desk_api, group, w.patients[:2])
    # Five of the six recliners are taken at 13:00 by other patients' sessions.
    for seat, patient in zip(w.recliners[:5], w.patients[2:7], strict=True):
        w.appointment(w.at(13), seat=seat, patient=patient, session_type=w.spravato)
    before = state(group["id"])

    response = move(front_desk_api, group, w.at(13))

    assert response.status_code == 409
    conflicts = response.json()["conflicts"]
    assert [(c["resource"], c["appointment"]) for c in conflicts] == [("seat", second)]
    assert state(group["id"]) == before


def test_a_smaller_room_is_a_409_naming_the_places(front_desk_api, w):
    small = RoomFactory(clinic=w.clinic, name="Small Room", kind=RoomKind.DOSING)
    SeatFactory(room=small, name="Recliner 1")
    group = create_group(front_desk_api, w, w.at(9))
    enrolled(front_desk_api, group, w.patients[:2])
    before = state(group["id"])

    response = move(front_desk_api, group, w.at(9), room=small.id)

    assert response.status_code == 409
    assert [c["resource"] for c in response.json()["conflicts"]] == ["group"]
    assert state(group["id"]) == before


def test_another_room_of_the_kind_takes_the_group_with_its_places(front_desk_api, w):
    other = RoomFactory(clinic=w.clinic, name="Second Room", kind=RoomKind.DOSING)
    seats = [SeatFactory(room=other, name=f"Recliner {i}") for i in range(3)]
    group = create_group(front_desk_api, w, w.at(9))
    ids = enrolled(front_desk_api, group, w.patients[:2])

    response = move(front_desk_api, group, w.at(9), room=other.id)

    assert response.status_code == 200, response.json()
    assert response.json()["room"] == other.id
    rows = Appointment.objects.filter(id__in=ids)
    assert {a.room_id for a in rows} == {other.id}
    assert {a.seat_id for a in rows} <= {s.id for s in seats}


def test_the_monitoring_ratio_counts_every_participant_recovering_together(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    enrolled(front_desk_api, group, w.patients[:3])
    # Staffing changed after enrolment: one nurse, two recovering patients each.
    w.clinic.recovering_per_monitor = 2
    w.clinic.save()
    w.nurses[1].active = False
    w.nurses[1].save()
    before = state(group["id"])

    response = move(front_desk_api, group, w.at(10))

    assert response.status_code == 409
    assert [c["resource"] for c in response.json()["conflicts"]] == ["monitoring"]
    assert state(group["id"]) == before


def test_a_prescriber_must_be_on_site_when_the_type_requires_it(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    enrolled(front_desk_api, group, w.patients[:1])
    dosing = dosing_type()
    dosing.requires_prescriber_on_site = True
    dosing.save()
    for prescriber in w.prescribers:
        prescriber.active = False
        prescriber.save()

    response = move(front_desk_api, group, w.at(10))

    assert response.status_code == 409
    assert {c["resource"] for c in response.json()["conflicts"]} == {"prescriber"}


def test_a_participant_busy_at_the_new_time_is_named(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    first, _ = enrolled(front_desk_api, group, w.patients[:2])
    next_day = w.day + timedelta(days=1)
    w.appointment(w.at(10, day=next_day), patient=w.patients[0], session_type=w.therapy)

    response = move(front_desk_api, group, w.at(9, day=next_day))

    assert response.status_code == 409
    conflicts = response.json()["conflicts"]
    assert {c["appointment"] for c in conflicts} == {first}
    assert w.patients[0].full_name in response.json()["detail"]


@pytest.mark.parametrize("hour", [16, 6], ids=["past-closing", "before-opening"])
def test_outside_opening_hours_is_a_400_naming_start(front_desk_api, w, hour):
    group = create_group(front_desk_api, w, w.at(9))
    enrolled(front_desk_api, group, w.patients[:1])
    before = state(group["id"])

    response = move(front_desk_api, group, w.at(hour))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]
    assert state(group["id"]) == before


def test_a_closure_day_is_a_400_naming_start(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    next_day = w.day + timedelta(days=1)
    ClosureFactory(clinic=w.clinic, start_date=next_day, end_date=next_day)

    response = move(front_desk_api, group, w.at(9, day=next_day))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


def test_a_group_with_a_participant_checked_in_cannot_move(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    first, _ = enrolled(front_desk_api, group, w.patients[:2])
    Appointment.objects.filter(pk=first).update(status=AppointmentStatus.CHECKED_IN)
    before = state(group["id"])

    response = move(front_desk_api, group, w.at(10))

    assert response.status_code == 409
    assert "begun" in response.json()["detail"]
    assert state(group["id"]) == before


def test_a_cancelled_group_cannot_move(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    front_desk_api.post(f"{GROUPS}{group['id']}/cancel/", {"reason": "ill"}, format="json")

    response = move(front_desk_api, group, w.at(10))

    assert response.status_code == 409
    assert response.json()["status"] == "cancelled"


def test_new_facilitators_take_the_group_and_the_old_ones_are_freed(front_desk_api, clinic):
    w = group_world(clinic, therapists=3)
    group = create_group(front_desk_api, w, w.at(9), staff=w.therapists[:2])
    enrolled(front_desk_api, group, w.patients[:1])

    response = move(front_desk_api, group, w.at(9), staff=[t.id for t in w.therapists[1:]])

    assert response.status_code == 200, response.json()
    assert response.json()["staff"] == sorted(t.id for t in w.therapists[1:])
    held = Hold.objects.filter(group_session_id=group["id"], active=True)
    assert sorted(held.values_list("staff_id", flat=True)) == sorted(t.id for t in w.therapists[1:])


def test_too_few_facilitators_is_a_400_naming_staff(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))

    response = move(front_desk_api, group, w.at(10), staff=[w.therapists[0].id])

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["staff"]


def test_a_place_in_a_group_is_not_moved_on_its_own(front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))
    (place,) = enrolled(front_desk_api, group, w.patients[:1])

    response = front_desk_api.post(
        f"/api/v1/appointments/{place}/reschedule/",
        {"start": w.at(10).isoformat()},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["group_session"] == group["id"]
    assert Appointment.objects.get(pk=place).start == w.at(9)


def test_a_clinician_may_not_move_a_group(clinician_api, front_desk_api, w):
    group = create_group(front_desk_api, w, w.at(9))

    response = move(clinician_api, group, w.at(10))

    assert response.status_code == 403
