"""Races with real threads and real processes against the real database."""

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from tests.factories import AppointmentFactory, PatientFactory
from tests.scheduling.booking.holds import overlapping_active_holds, requires_postgres

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/appointments/"
RACERS = 20


def extra_patients(world, count):
    template = world.patients[0]
    return [
        PatientFactory(
            clinic=world.clinic,
            cleared=True,
            rems_enrolled_on=template.rems_enrolled_on,
            escort_name="Escort",
        )
        for _ in range(count)
    ]


def race(user, world, patients, start, headers_for=lambda i: {}):
    barrier = threading.Barrier(len(patients))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(index, patient):
        client = APIClient()
        client.force_authenticate(user)
        body = {"patient": patient.id, "session_type": world.spravato.id, "start": start}
        try:
            barrier.wait()
            response = client.post(URL, body, format="json", headers=headers_for(index))
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(patients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


def test_twenty_threads_race_for_the_last_free_recliner(world, front_desk_user):
    # One of the two recliners is already taken at 09:00: exactly one seat is left.
    first = front_desk_client(front_desk_user).post(
        URL,
        {
            "patient": world.patients[0].id,
            "session_type": world.spravato.id,
            "start": world.at(9).isoformat(),
        },
        format="json",
    )
    assert first.status_code == 201
    racers = extra_patients(world, RACERS)

    outcome = race(front_desk_user, world, racers, world.at(9).isoformat())

    assert outcome == Counter({201: 1, 409: RACERS - 1})
    assert Appointment.objects.count() == 2
    assert overlapping_active_holds() == []


def test_twenty_threads_race_for_two_free_recliners(world, front_desk_user):
    racers = extra_patients(world, RACERS)

    outcome = race(front_desk_user, world, racers, world.at(13).isoformat())

    assert outcome == Counter({201: 2, 409: RACERS - 2})
    assert Hold.objects.filter(kind=HoldKind.SESSION, active=True).count() == 2
    assert overlapping_active_holds() == []


def test_same_idempotency_key_from_racing_threads_books_once(world, front_desk_user):
    racers = [world.patients[0]] * 8

    outcome = race(
        front_desk_user,
        world,
        racers,
        world.at(9).isoformat(),
        headers_for=lambda i: {"Idempotency-Key": "same-click"},
    )

    assert Appointment.objects.count() == 1
    assert outcome[201] >= 1
    assert set(outcome) <= {201, 409}


def front_desk_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_two_processes_race_for_the_last_free_recliner(world, front_desk_user):
    racers = extra_patients(world, RACERS)
    front_desk_client(front_desk_user).post(
        URL,
        {
            "patient": world.patients[0].id,
            "session_type": world.spravato.id,
            "start": world.at(9).isoformat(),
        },
        format="json",
    )
    worker = Path(__file__).with_name("race_worker.py")
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    halves = [racers[: RACERS // 2], racers[RACERS // 2 :]]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(worker),
                str(world.spravato.id),
                world.at(9).isoformat(),
                str(front_desk_user.id),
                *[str(p.id) for p in half],
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for half in halves
    ]
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    outcomes = Counter()
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.update(json.loads(out.strip().splitlines()[-1]))

    assert outcomes == Counter({"booked": 1, "conflict": RACERS - 1})
    assert overlapping_active_holds() == []


@pytest.mark.postgres
@requires_postgres
def test_database_refuses_overlapping_seat_holds_written_behind_the_services_back(world):
    one = AppointmentFactory(
        clinic=world.clinic, patient=world.patients[0], seat=world.recliners[0]
    )
    two = AppointmentFactory(
        clinic=world.clinic, patient=world.patients[1], seat=world.recliners[0]
    )
    Hold.objects.create(
        appointment=one,
        kind=HoldKind.SESSION,
        seat=world.recliners[0],
        start=world.at(9),
        end=world.at(10),
    )

    with pytest.raises(IntegrityError, match="hold_no_seat_overlap"), transaction.atomic():
        Hold.objects.create(
            appointment=two,
            kind=HoldKind.SESSION,
            seat=world.recliners[0],
            start=world.at(9, 30),
            end=world.at(10, 30),
        )


@pytest.mark.postgres
@requires_postgres
def test_database_allows_overlap_with_an_inactive_hold(world):
    one = AppointmentFactory(
        clinic=world.clinic, patient=world.patients[0], seat=world.recliners[0]
    )
    two = AppointmentFactory(
        clinic=world.clinic, patient=world.patients[1], seat=world.recliners[0]
    )
    Hold.objects.create(
        appointment=one,
        kind=HoldKind.SESSION,
        seat=world.recliners[0],
        start=world.at(9),
        end=world.at(10),
        active=False,
    )

    Hold.objects.create(
        appointment=two,
        kind=HoldKind.SESSION,
        seat=world.recliners[0],
        start=world.at(9, 30),
        end=world.at(10, 30),
    )

    assert Hold.objects.filter(seat=world.recliners[0]).count() == 2
