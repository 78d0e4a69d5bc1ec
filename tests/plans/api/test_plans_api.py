import itertools
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from backend.plans.models import PlannedSession, PlanStatus, TreatmentPlan
from backend.scheduling.booking.fetch import clinic_config
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from tests.scheduling.booking.holds import overlapping_active_holds

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/plans/"


def create_plan(client, world, template="spravato-trd", who=None, **extra):
    body = {
        "patient": (who or world.patients[0]).id,
        "template": template,
        "start_date": str(world.monday),
    }
    body.update(extra)
    return client.post(PLANS, body, format="json")


def local_dates(sessions, world):
    return [
        datetime.fromisoformat(s["start"]).astimezone(world.clinic.zone).date() for s in sessions
    ]


def week_of(day: date, world) -> int:
    return (day - world.monday).days // 7 + 1


def test_create_plan_by_slug_is_a_draft(front_desk_api, plan_world):
    response = create_plan(
        front_desk_api,
        plan_world,
        preferences={"weekdays": [0, 2, 3], "earliest_time": "09:00", "latest_time": "12:00"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["template"] == "spravato-trd"
    assert body["preferences"] == {
        "weekdays": [0, 2, 3],
        "earliest_time": "09:00",
        "latest_time": "12:00",
        "staff": None,
    }
    assert body["sessions"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"template": "no-such-template"}, "template", id="unknown-template"),
        pytest.param({"start_date": "2020-01-06"}, "start_date", id="start-in-the-past"),
        pytest.param({"start_date": "06/01/2030"}, "start_date", id="bad-date"),
        pytest.param({"preferences": {"weekdays": [7]}}, "preferences", id="weekday-7"),
        pytest.param(
            {"preferences": {"earliest_time": "12:00", "latest_time": "09:00"}},
            "preferences",
            id="empty-window",
        ),
        pytest.param(
            {"preferences": {"earliest_time": "17:00"}}, "preferences", id="too-late-to-recover"
        ),
        pytest.param({"preferences": {"weekdays": [6]}}, "preferences", id="only-sunday"),
    ],
)
def test_create_plan_bad_input_is_400_naming_the_field(front_desk_api, plan_world, change, field):
    response = create_plan(front_desk_api, plan_world, **change)

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert TreatmentPlan.objects.count() == 0


@pytest.mark.parametrize("patient", [999999, 2**70], ids=["unknown", "beyond-an-integer"])
def test_create_plan_for_an_unknown_patient_is_404_naming_it(front_desk_api, plan_world, patient):
    # The template by slug looks the patient's clinic up from the raw body first: an id
    # beyond a database integer must not reach that query (it overflowed: a 500).
    response = create_plan(front_desk_api, plan_world, patient=patient)

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["patient"]
    assert TreatmentPlan.objects.count() == 0


def test_preview_spravato_matches_the_label_table(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["unplaced"] == []
    sessions = body["sessions"]
    by_phase = Counter(s["phase"] for s in sessions)
    assert by_phase["induction"] == 8
    assert by_phase["optimization"] == 4
    assert by_phase["maintenance"] >= 5
    induction = [s for s in sessions if s["phase"] == "induction"]
    days = local_dates(induction, plan_world)
    assert Counter(week_of(d, plan_world) for d in days) == {1: 2, 2: 2, 3: 2, 4: 2}
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(days))
    optimization = local_dates([s for s in sessions if s["phase"] == "optimization"], plan_world)
    assert [week_of(d, plan_world) for d in optimization] == [5, 6, 7, 8]
    maintenance = local_dates([s for s in sessions if s["phase"] == "maintenance"], plan_world)
    assert all(13 <= (b - a).days <= 15 for a, b in itertools.pairwise(maintenance))
    times = {
        datetime.fromisoformat(s["start"]).astimezone(plan_world.clinic.zone).time()
        for s in sessions
    }
    assert len(times) == 1  # the same time of day all course long
    assert Appointment.objects.count() == 0


def test_book_writes_every_session_and_marks_the_plan_booked(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    preview = front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json").json()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["plan"]["status"] == "booked"
    assert [a["start"] for a in body["appointments"]] == [s["start"] for s in preview["sessions"]]
    assert {a["plan"] for a in body["appointments"]} == {plan["id"]}
    detail = front_desk_api.get(f"{PLANS}{plan['id']}/").json()
    assert [s["ordinal"] for s in detail["sessions"]] == list(
        range(1, len(preview["sessions"]) + 1)
    )
    assert all(s["appointment"] and s["status"] == "booked" for s in detail["sessions"])
    assert overlapping_active_holds() == []


def test_book_twice_is_409_and_writes_nothing_more(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")
    count = Appointment.objects.count()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    assert response.status_code == 409
    assert "already booked" in response.json()["detail"]
    assert Appointment.objects.count() == count


def test_book_with_the_same_idempotency_key_replays(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    url = f"{PLANS}{plan['id']}/book/"

    first = front_desk_api.post(url, {}, format="json", headers={"Idempotency-Key": "course-1"})
    second = front_desk_api.post(url, {}, format="json", headers={"Idempotency-Key": "course-1"})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert Appointment.objects.count() == len(first.json()["appointments"])


def test_book_pinned_preview_after_the_calendar_changed_is_409_naming_the_session(
    front_desk_api, plan_world
):
    plan = create_plan(front_desk_api, plan_world).json()
    preview = front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json").json()
    taken = preview["sessions"][2]
    for patient in plan_world.patients[1:]:
        # Both nurses are now busy at the third session's start.
        booked = front_desk_api.post(
            "/api/v1/appointments/",
            {"patient": patient.id, "session_type": taken["session_type"], "start": taken["start"]},
            format="json",
        )
        assert booked.status_code == 201
    pins = [{"ordinal": s["ordinal"], "start": s["start"]} for s in preview["sessions"]]
    before = Appointment.objects.count()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {"sessions": pins}, format="json")

    assert response.status_code == 409, response.json()
    assert [c["ordinal"] for c in response.json()["conflicts"]] == [taken["ordinal"]]
    assert Appointment.objects.count() == before
    assert TreatmentPlan.objects.get(pk=plan["id"]).status == PlanStatus.DRAFT


def test_book_with_screening_pending_is_400_saying_what_is_missing(front_desk_api, plan_world):
    patient = plan_world.patients[0]
    patient.screening_status = "pending"
    patient.save()
    plan = create_plan(front_desk_api, plan_world).json()

    preview = front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json").json()
    response = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    assert any("Screening" in line for line in preview["eligibility"])
    assert response.status_code == 400
    assert "Screening" in response.json()["errors"]["patient"][0]
    assert Appointment.objects.count() == 0


def test_book_spravato_without_rems_enrollment_is_400(front_desk_api, plan_world):
    patient = plan_world.patients[0]
    patient.rems_enrolled_on = None
    patient.save()
    plan = create_plan(front_desk_api, plan_world).json()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    assert response.status_code == 400
    assert "REMS" in response.json()["errors"]["patient"][0]


def test_book_pin_for_an_unknown_session_is_400(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    start = plan_world.at(plan_world.monday, 9).isoformat()

    response = front_desk_api.post(
        f"{PLANS}{plan['id']}/book/",
        {"sessions": [{"ordinal": 99, "start": start}]},
        format="json",
    )

    assert response.status_code == 400
    assert "sessions" in response.json()["errors"]


def test_cancel_plan_cancels_its_future_appointments(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json").json()

    response = front_desk_api.post(
        f"{PLANS}{plan['id']}/cancel/", {"reason": "Patient moved away"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    statuses = set(Appointment.objects.filter(plan_id=plan["id"]).values_list("status", flat=True))
    assert statuses == {AppointmentStatus.CANCELLED}
    assert len(booked["appointments"]) == Appointment.objects.filter(plan_id=plan["id"]).count()


def test_missed_induction_session_gets_a_make_up_that_keeps_the_cadence(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json").json()
    third = booked["appointments"][2]
    front_desk_api.post(
        f"/api/v1/appointments/{third['id']}/cancel/", {"reason": "Sick"}, format="json"
    )

    preview = front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json").json()
    booking = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    proposed = [s for s in preview["sessions"] if not s["booked"]]
    assert [s["ordinal"] for s in proposed] == [3]
    neighbours = {s["ordinal"]: s for s in preview["sessions"]}
    before = local_dates([neighbours[2]], plan_world)[0]
    after = local_dates([neighbours[4]], plan_world)[0]
    make_up = local_dates(proposed, plan_world)[0]
    assert (make_up - before).days >= 3
    assert (after - make_up).days >= 3
    assert booking.status_code == 201, booking.json()
    assert [a["ordinal"] for a in booking.json()["appointments"]] == [3]
    session = PlannedSession.objects.get(plan_id=plan["id"], ordinal=3)
    assert session.appointment_id == booking.json()["appointments"][0]["id"]


def test_reschedule_with_cascade_moves_later_sessions_to_keep_the_gap(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json").json()
    first, second = booked["appointments"][0], booked["appointments"][1]
    second_start = datetime.fromisoformat(second["start"])
    new_first = datetime.fromisoformat(first["start"]) + timedelta(days=2)
    gap_after_move = (second_start.date() - new_first.date()).days

    response = front_desk_api.post(
        f"/api/v1/appointments/{first['id']}/reschedule/",
        {"start": new_first.isoformat(), "cascade": True},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["start"] == new_first.isoformat()
    moved = {a["ordinal"]: a for a in body["moved"]}
    if gap_after_move < 3:
        assert 2 in moved
        moved_day = datetime.fromisoformat(moved[2]["start"]).date()
        assert (moved_day - new_first.date()).days >= 3
    starts = Appointment.objects.filter(plan_id=plan["id"], status="booked").order_by("ordinal")
    days = [a.start.astimezone(plan_world.clinic.zone).date() for a in starts]
    induction = days[:8]
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(induction))
    assert overlapping_active_holds() == []


def test_reschedule_without_cascade_refuses_nothing_and_moves_only_one(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json").json()
    first = booked["appointments"][0]
    new_first = datetime.fromisoformat(first["start"]) + timedelta(hours=1)

    response = front_desk_api.post(
        f"/api/v1/appointments/{first['id']}/reschedule/",
        {"start": new_first.isoformat()},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["moved"] == []


def test_extend_books_more_maintenance_sessions(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json").json()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/extend/", {"weeks": 6}, format="json")

    assert response.status_code == 201, response.json()
    added = response.json()["appointments"]
    assert len(added) in (2, 3)
    last_before = max(a["ordinal"] for a in booked["appointments"])
    assert [a["ordinal"] for a in added] == list(
        range(last_before + 1, last_before + 1 + len(added))
    )
    assert response.json()["plan"]["extra_horizon_weeks"] == 6


def test_extend_a_plan_without_open_ended_phase_is_400(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world, template="kap-individual").json()
    front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    response = front_desk_api.post(f"{PLANS}{plan['id']}/extend/", {"weeks": 4}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["weeks"]


def test_kap_integration_follows_each_dosing_session(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world, template="kap-individual").json()

    sessions = front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json").json()[
        "sessions"
    ]

    dosing = local_dates([s for s in sessions if s["phase"] == "dosing"], plan_world)
    integration = local_dates([s for s in sessions if s["phase"] == "integration"], plan_world)
    assert len(dosing) == len(integration) == 3
    assert all(1 <= (i - d).days <= 3 for d, i in zip(dosing, integration, strict=True))


def test_preview_as_clinician_is_allowed_but_booking_is_403(
    clinician_api, front_desk_api, plan_world
):
    plan = create_plan(front_desk_api, plan_world).json()

    preview = clinician_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json")
    book = clinician_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")

    assert preview.status_code == 200
    assert book.status_code == 403


@pytest.mark.parametrize("template", ["iv-ketamine", "spravato-trd"])
def test_preview_query_count_does_not_grow_with_sessions(
    front_desk_api, plan_world, django_assert_num_queries, template
):
    plan = create_plan(front_desk_api, plan_world, template=template).json()
    front_desk_api.get(PLANS)
    clinic_config(plan_world.clinic)  # as any earlier request at this clinic has done

    # plan + its sessions; clinic; template + phases + types; staff absences; holds;
    # patient's appointments; plan's own appointments; the clinic's recovering patients;
    # room names. The clinic's setup (hours, closures, seats, room limits, staff and their
    # hours) comes from this process's cache.
    with django_assert_num_queries(12):
        front_desk_api.post(f"{PLANS}{plan['id']}/preview/", {}, format="json")


def test_twenty_plans_booked_into_one_clinic_never_overlap_a_seat(front_desk_api, plan_world):
    from tests.factories import PatientFactory

    today = plan_world.monday - timedelta(days=14)
    booked = 0
    for i in range(20):
        patient = PatientFactory(
            clinic=plan_world.clinic,
            cleared=True,
            rems_enrolled_on=today - timedelta(days=1),
            escort_name="Escort",
        )
        plan = create_plan(
            front_desk_api,
            plan_world,
            template=["spravato-trd", "iv-ketamine", "kap-individual"][i % 3],
            who=patient,
            start_date=str(plan_world.monday + timedelta(days=i % 5)),
        ).json()
        response = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")
        assert response.status_code in (201, 409), response.json()
        booked += response.status_code == 201

    assert booked >= 10
    assert overlapping_active_holds() == []


def test_reschedule_dry_run_shows_what_would_move_and_writes_nothing(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json").json()
    first = booked["appointments"][0]
    new_start = datetime.fromisoformat(booked["appointments"][1]["start"]) - timedelta(days=1)
    before = list(Appointment.objects.order_by("id").values_list("id", "start", "sequence"))

    response = front_desk_api.post(
        f"/api/v1/appointments/{first['id']}/reschedule/",
        {"start": new_start.isoformat(), "cascade": True, "dry_run": True},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["start"] == new_start.isoformat()
    assert body["sequence"] == 1
    assert [a["ordinal"] for a in body["moved"]][:1] == [2]
    assert list(Appointment.objects.order_by("id").values_list("id", "start", "sequence")) == before


def test_cancel_plan_without_a_reason_uses_a_default(front_desk_api, plan_world):
    plan = create_plan(front_desk_api, plan_world).json()

    response = front_desk_api.post(f"{PLANS}{plan['id']}/cancel/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "Treatment plan cancelled"
