"""An offer and direct bookings race for the last free recliner, with real threads."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from backend.common.errors import DomainError
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import offer_make, waitlist_entry_create
from tests.factories import PatientFactory
from tests.scheduling.booking.holds import overlapping_active_holds

pytestmark = pytest.mark.django_db(transaction=True)

BOOKERS = 5


def test_offer_and_direct_bookings_race_for_the_last_recliner(world, front_desk_user):
    world.appointment(world.at(9), patient=world.patients[3])
    entry = waitlist_entry_create(
        actor=None,
        patient=world.patients[0],
        session_type=world.spravato,
        date_from=world.day,
        date_to=world.day,
        now=timezone.now(),
    )
    bookers = [
        PatientFactory(clinic=world.clinic, cleared=True, rems_enrolled_on=world.day)
        for _ in range(BOOKERS)
    ]
    barrier = threading.Barrier(BOOKERS + 1)
    outcome: list[str] = []
    lock = threading.Lock()

    def offer():
        try:
            barrier.wait()
            try:
                offer_make(entry_id=entry.id, start=world.at(9), now=timezone.now())
                result = "offered"
            except DomainError:
                result = "refused"
            with lock:
                outcome.append(result)
        finally:
            connection.close()

    def book(patient):
        client = APIClient()
        client.force_authenticate(front_desk_user)
        body = {"patient": patient.id, "session_type": world.spravato.id, "start": world.at(9)}
        try:
            barrier.wait()
            response = client.post("/api/v1/appointments/", body, format="json")
            with lock:
                outcome.append({201: "booked", 409: "refused"}[response.status_code])
        finally:
            connection.close()

    threads = [threading.Thread(target=offer)] + [
        threading.Thread(target=book, args=(p,)) for p in bookers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    counts = Counter(outcome)
    assert counts["refused"] == BOOKERS
    assert counts["offered"] + counts["booked"] == 1
    holders = Appointment.objects.filter(
        start=world.at(9), status__in=[AppointmentStatus.BOOKED, AppointmentStatus.OFFERED]
    )
    assert holders.count() == 2
    offered = WaitlistEntry.objects.get(pk=entry.id).status == WaitlistStatus.OFFERED
    assert offered == (counts["offered"] == 1)
    assert overlapping_active_holds() == []
