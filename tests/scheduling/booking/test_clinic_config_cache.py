"""The per-process cache of a clinic's setup, and the stamp that keeps it honest.

Availability and booking take a clinic's opening hours, closures, seats, staff and room
limits from this process's cache while the clinic row's ``config_version`` says the copy is
current; every change to what the cache holds gives the clinic a new stamp, so every
process (and app server) reloads on its next request.
"""

import os
import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.scheduling.booking.fetch import clinic_config, clinic_fetch
from backend.scheduling.resources.config import CONFIG_MODELS
from backend.scheduling.resources.models import (
    Clinic,
    Closure,
    OpeningHours,
    Room,
    Seat,
    SessionType,
    Staff,
    WorkingHours,
)
from tests.factories import (
    ClinicFactory,
    ClosureFactory,
    RoomFactory,
    SeatFactory,
    StaffFactory,
    WorkingHoursFactory,
)


def stamp(clinic) -> int:
    return Clinic.objects.values_list("config_version", flat=True).get(pk=clinic.pk)


def seat_ids(clinic) -> set[int]:
    return {s.id for s in clinic_config(clinic_fetch(clinic.pk)).seats}


def test_the_invalidating_models_are_listed_in_one_place():
    assert set(CONFIG_MODELS) == {
        Clinic,
        OpeningHours,
        Closure,
        Room,
        Seat,
        Staff,
        WorkingHours,
        SessionType,
    }


def test_a_warm_cache_costs_no_query(world):
    clinic = clinic_fetch(world.clinic.pk)
    clinic_config(clinic)
    with CaptureQueriesContext(connection) as queries:
        config = clinic_config(clinic)
    assert len(queries) == 0
    assert {s.id for s in config.seats} >= {s.id for s in world.recliners}


@pytest.mark.parametrize(
    "change",
    [
        "seat added",
        "seat retired",
        "seat deleted",
        "room retired",
        "opening hours",
        "closure",
        "staff added",
        "working hours",
        "session type rooms",
        "built-in session type",
        "clinic time zone",
    ],
)
def test_every_change_to_the_setup_gives_the_clinic_a_new_stamp(world, change):
    other = ClinicFactory()
    before, other_before = stamp(world.clinic), stamp(other)
    if change == "seat added":
        SeatFactory(room=world.dosing_room)
    elif change == "seat retired":
        world.recliners[0].active = False
        world.recliners[0].save()
    elif change == "seat deleted":
        SeatFactory(room=world.dosing_room)
        before = stamp(world.clinic)
        Seat.objects.filter(room=world.dosing_room).order_by("-id").first().delete()
    elif change == "room retired":
        world.dosing_room.active = False
        world.dosing_room.save()
    elif change == "opening hours":
        OpeningHours.objects.filter(clinic=world.clinic).first().delete()
    elif change == "closure":
        ClosureFactory(clinic=world.clinic, start_date=date(2031, 1, 1), end_date=date(2031, 1, 2))
    elif change == "staff added":
        StaffFactory(clinic=world.clinic)
    elif change == "working hours":
        WorkingHoursFactory(staff=world.nurse, weekday=6, starts=time(9), ends=time(10))
    elif change == "session type rooms":
        world.spravato.rooms.add(world.dosing_room)
    elif change == "built-in session type":
        builtin = SessionType.objects.filter(clinic=None).first()
        builtin.patient_instructions = "Bring a book."
        builtin.save()
        assert stamp(other) != other_before  # shared by every clinic
    elif change == "clinic time zone":
        clinic = Clinic.objects.get(pk=world.clinic.pk)
        clinic.timezone = "America/Chicago"
        clinic.save()
    assert stamp(world.clinic) != before
    if change != "built-in session type":
        assert stamp(other) == other_before  # another clinic's cache stays warm


def test_a_change_in_this_process_is_seen_at_once(world):
    old = seat_ids(world.clinic)
    seat = SeatFactory(room=world.dosing_room)
    assert seat_ids(world.clinic) == old | {seat.id}


def test_a_stale_clinic_instance_is_not_served_the_old_setup(world):
    clinic = clinic_fetch(world.clinic.pk)
    clinic_config(clinic)
    seat = SeatFactory(room=world.dosing_room)  # the instance above keeps the old stamp
    assert seat.id in {s.id for s in clinic_config(clinic).seats}


def test_saving_a_stale_clinic_instance_does_not_bring_back_its_old_stamp(world):
    stale = Clinic.objects.get(pk=world.clinic.pk)
    SeatFactory(room=world.dosing_room)
    current = stamp(world.clinic)
    assert stale.config_version != current
    stale.phone = "+1 555 0100"
    stale.save()
    assert stamp(world.clinic) not in (stale.config_version, current)  # new, never old
    assert Clinic.objects.get(pk=world.clinic.pk).phone == "+1 555 0100"


def test_a_room_limit_is_read_from_the_cache(world):
    second = RoomFactory(clinic=world.clinic, kind=world.dosing_room.kind, seats=1)
    world.spravato.rooms.set([second])
    config = clinic_config(clinic_fetch(world.clinic.pk))
    assert config.type_rooms[world.spravato.id] == frozenset({second.id})


def _other_process(action: str, clinic_id: int, room_id: int) -> int:
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    worker = Path(__file__).with_name("config_worker.py")
    done = subprocess.run(
        [sys.executable, str(worker), action, str(clinic_id), str(room_id)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_is_seen_on_the_next_request(world):
    before = seat_ids(world.clinic)  # this process caches the setup

    # Behind the cache's back (no stamp change): this process keeps its copy, which shows
    # the copy really is what it serves...
    hidden = _other_process("seat-behind-the-back", world.clinic.pk, world.dosing_room.pk)
    assert seat_ids(world.clinic) == before
    # ...and a change made the ordinary way in another process changes the stamp, which
    # this process reads with the clinic row and so reloads.
    added = _other_process("seat", world.clinic.pk, world.dosing_room.pk)
    assert seat_ids(world.clinic) == before | {hidden, added}
