"""GET /api/v1/reports/utilization/: roles, JSON, CSV, bad input, query count."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.scheduling.booking.fetch import clinic_config
from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.reports.serializers import CSV_COLUMNS, UtilizationReportSerializer
from tests.factories import TokenFactory, UserFactory
from tests.scheduling.reports.world import NEW_YORK_DAY

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/utilization/"


def query(world, **overrides):
    params = {
        "clinic": world.clinic.id,
        "date_from": NEW_YORK_DAY.isoformat(),
        "date_to": (NEW_YORK_DAY + timedelta(days=6)).isoformat(),
        "granularity": "day",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


@pytest.fixture
def busy_world(world):
    """A week with a same-seat session, a lounge recovery, a cancellation and a no-show."""
    recliner_1, recliner_2 = world.recliners
    world.book(recliner_1, world.at(9), world.at(10), world.at(11))
    world.book(
        recliner_2,
        world.at(9, 30),
        world.at(10),
        world.at(12),
        recovery_seat=world.lounge_chairs[0],
    )
    world.book(recliner_2, world.at(13), world.at(14), status=AppointmentStatus.CANCELLED)
    tuesday = NEW_YORK_DAY + timedelta(days=1)
    world.book(
        recliner_1,
        world.at(7, 30, day=tuesday),
        world.at(9, day=tuesday),
        world.at(9, 30, day=tuesday),
    )
    world.book(
        recliner_1,
        world.at(10, day=tuesday),
        world.at(11, day=tuesday),
        status=AppointmentStatus.NO_SHOW,
    )
    return world


@pytest.mark.parametrize(
    ("client_fixture", "status"),
    [
        ("manager_api", 200),
        ("front_desk_api", 403),
        ("clinician_api", 403),
        ("api", 401),
    ],
    ids=["manager", "front-desk", "clinician", "anonymous"],
)
def test_utilization_api_is_for_managers_only(request, world, client_fixture, status):
    client = request.getfixturevalue(client_fixture)

    response = client.get(URL, query(world))

    assert response.status_code == status


def test_utilization_api_accepts_a_manager_token(world):
    token = TokenFactory(user=UserFactory(roles=[Role.MANAGER]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(URL, query(world))

    assert response.status_code == 200


def test_utilization_api_reports_rooms_periods_and_totals(manager_api, busy_world):
    response = manager_api.get(URL, query(busy_world))

    body = response.json()
    assert (body["clinic"], body["timezone"], body["granularity"]) == (
        busy_world.clinic.id,
        "America/New_York",
        "day",
    )
    dosing, lounge = body["rooms"]
    assert (dosing["room_name"], dosing["kind"], dosing["capacity"]) == ("Dosing Room", "dosing", 2)
    # Monday: 60 + 30 session, 60 same-seat recovery. Tuesday: 08:00-09:00 (clipped) + 30.
    assert dosing["session_seat_minutes"] == 60 + 30 + 60
    assert dosing["recovery_seat_minutes"] == 60 + 30
    assert dosing["no_show_seat_minutes"] == 60
    assert dosing["available_seat_minutes"] == 2 * 600 * 5
    assert dosing["utilization"] == round(240 / 6000, 4)
    assert dosing["recovery_share"] == round(90 / 240, 4)
    assert dosing["peak_concurrency"] == 2
    assert lounge["recovery_seat_minutes"] == 120
    assert [p["period"] for p in dosing["periods"]][:2] == ["2026-05-04", "2026-05-05"]
    monday = dosing["periods"][0]
    assert (monday["session_seat_minutes"], monday["recovery_seat_minutes"]) == (90, 60)
    saturday = dosing["periods"][5]
    assert (saturday["opening_minutes"], saturday["utilization"]) == (0, None)
    assert body["totals"]["used_seat_minutes"] == 240 + 120
    assert body["totals"]["capacity"] == 4
    heatmap = dosing["heatmap"]
    assert heatmap["utilization"][0][9] == round(90 / 120, 4)
    assert heatmap["utilization"][5][9] is None


def test_utilization_api_weekly_periods(manager_api, busy_world):
    response = manager_api.get(
        URL,
        query(
            busy_world,
            date_from=(NEW_YORK_DAY - timedelta(days=2)).isoformat(),
            granularity="week",
        ),
    )

    periods = response.json()["rooms"][0]["periods"]
    assert [(p["period"], p["date_from"], p["date_to"]) for p in periods] == [
        ("2026-W18", "2026-05-02", "2026-05-03"),
        ("2026-W19", "2026-05-04", "2026-05-10"),
    ]
    assert periods[1]["session_seat_minutes"] == 150


def test_utilization_api_response_matches_its_schema_serializer(manager_api, busy_world):
    body = manager_api.get(URL, query(busy_world)).json()

    schema = UtilizationReportSerializer()
    room_fields = schema.fields["rooms"].child.fields
    assert set(body) == set(schema.fields)
    assert set(body["rooms"][0]) == set(room_fields)
    assert set(body["rooms"][0]["periods"][0]) == set(room_fields["periods"].child.fields)
    assert set(body["rooms"][0]["heatmap"]) == set(room_fields["heatmap"].fields)
    assert set(body["totals"]) == set(schema.fields["totals"].fields)


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_utilization_csv_has_the_same_numbers_as_json(manager_api, busy_world):
    params = query(busy_world, granularity="week")

    body = manager_api.get(URL, params).json()
    response = manager_api.get(URL, {**params, "format": "csv"})

    rows = csv_rows(response)
    expected = []
    for room in [*body["rooms"], {**body["totals"], "room": "", "room_name": "All rooms"}]:
        whole = {"period": "total", "date_from": body["date_from"], "date_to": body["date_to"]}
        for entry in [*room["periods"], {**room, **whole}]:
            expected.append(
                {
                    "room": str(room["room"]),
                    "room_name": room["room_name"],
                    **{
                        column: "" if entry[column] is None else str(entry[column])
                        for column in CSV_COLUMNS
                        if column in entry and column not in ("room", "room_name", "kind")
                    },
                }
            )
    assert len(rows) == len(expected) == 3 * 2
    compared = [
        {key: row[key] for key in wanted} for row, wanted in zip(rows, expected, strict=True)
    ]
    assert compared == expected


def test_utilization_csv_is_a_download_with_a_header_row(manager_api, busy_world):
    params = query(busy_world)

    response = manager_api.get(URL, {**params, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="utilization-{busy_world.clinic.id}-2026-05-04-2026-05-10.csv"'
    )
    header = response.content.decode().splitlines()[0]
    assert header.split(",") == list(CSV_COLUMNS)
    total_rows = [r for r in csv_rows(response) if r["period"] == "total"]
    assert [r["room_name"] for r in total_rows] == ["Dosing Room", "Recovery Lounge", "All rooms"]


def test_utilization_csv_by_accept_header(manager_api, world):
    response = manager_api.get(URL, query(world), HTTP_ACCEPT="text/csv")

    assert response["Content-Type"].startswith("text/csv")


def test_utilization_csv_defuses_formulas_in_room_names(manager_api, world):
    world.dosing_room.name = "=HYPERLINK(1)"
    world.dosing_room.save()

    response = manager_api.get(URL, {**query(world), "format": "csv"})

    assert {row["room_name"] for row in csv_rows(response)} >= {"'=HYPERLINK(1)"}


def test_utilization_csv_errors_answer_in_json(manager_api, world):
    response = manager_api.get(URL, {**query(world, clinic=None), "format": "csv"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "clinic" in response.json()["errors"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"clinic": None}, "clinic"),
        ({"clinic": "abc"}, "clinic"),
        ({"date_from": None}, "date_from"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": None}, "date_to"),
        ({"date_to": "2026-05-03"}, "date_to"),
        ({"date_to": "2027-05-05"}, "date_to"),
        ({"granularity": "month"}, "granularity"),
    ],
    ids=[
        "clinic-missing",
        "clinic-not-a-number",
        "date-from-missing",
        "date-from-malformed",
        "date-to-missing",
        "date-to-before-date-from",
        "range-over-366-days",
        "granularity-unknown",
    ],
)
def test_utilization_api_bad_input_is_a_400_naming_the_field(manager_api, world, overrides, field):
    response = manager_api.get(URL, query(world, **overrides))

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [field]
    assert field in body["detail"]


def test_utilization_api_of_an_unknown_clinic_is_404_naming_it(manager_api, world):
    response = manager_api.get(URL, query(world, clinic="999999"))

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["clinic"]


def test_utilization_api_allows_exactly_366_days(manager_api, world):
    response = manager_api.get(
        URL, query(world, date_to=(NEW_YORK_DAY + timedelta(days=365)).isoformat())
    )

    assert response.status_code == 200
    assert len(response.json()["rooms"][0]["periods"]) == 366


@pytest.mark.parametrize("weeks", [1, 3], ids=["one-week", "three-weeks"])
def test_utilization_api_query_count_does_not_grow_with_holds(manager_api, world, weeks):
    for week in range(weeks):
        day = NEW_YORK_DAY + timedelta(days=7 * week)
        for seat in world.recliners:
            world.book(
                seat,
                world.at(9, day=day),
                world.at(10, day=day),
                world.at(11, day=day),
                recovery_seat=world.lounge_chairs[0] if seat == world.recliners[1] else None,
            )
    params = query(world, date_to=(NEW_YORK_DAY + timedelta(days=27)).isoformat())
    clinic_config(world.clinic)  # as any earlier request at this clinic has done

    with CaptureQueriesContext(connection) as queries:
        response = manager_api.get(URL, params)

    assert response.status_code == 200
    # The user's memberships and the clinic named (scoping), then the report's: clinic
    # (hours and closures come from this process's cached setup), seats, holds; for the
    # monitor load: the monitors' absences and the clinic's recoveries.
    assert len(queries) == 2 + 5


def test_utilization_api_reports_the_monitor_load_next_to_seat_use(manager_api, busy_world):
    busy_world.clinic.recovering_per_monitor = 3
    busy_world.clinic.save()

    body = manager_api.get(URL, query(busy_world)).json()

    # Two patients recover together from 10:00 to 11:00; every monitor works then.
    monitors = len(busy_world.nurses)
    assert body["monitoring"] == {
        "recovering_per_monitor": 3,
        "peak_recovering": 2,
        "monitors_at_peak": monitors,
        "peak_recovering_per_monitor": round(2 / monitors, 2) if monitors else 2.0,
    }


def test_utilization_csv_carries_the_monitor_load_on_the_all_rooms_total_row(
    manager_api, busy_world
):
    busy_world.clinic.recovering_per_monitor = 3
    busy_world.clinic.save()
    params = query(busy_world)

    body = manager_api.get(URL, params).json()
    rows = csv_rows(manager_api.get(URL, {**params, "format": "csv"}))

    monitoring = ("recovering_per_monitor", "peak_recovering", "monitors_at_peak")
    ratio = "peak_recovering_per_monitor"
    whole = [r for r in rows if r["room_name"] == "All rooms" and r["period"] == "total"]
    others = [r for r in rows if r not in whole]
    assert len(whole) == 1
    assert {c: whole[0][c] for c in (*monitoring, ratio)} == {
        c: str(body["monitoring"][c]) for c in (*monitoring, ratio)
    }
    assert whole[0]["peak_recovering"] == "2"
    assert whole[0]["recovering_per_monitor"] == "3"
    assert others
    assert all(r[c] == "" for r in others for c in (*monitoring, ratio))
