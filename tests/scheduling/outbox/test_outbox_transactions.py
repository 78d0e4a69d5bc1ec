"""The outbox commits and rolls back with the change, for real (no test transaction).

Another thread (its own database connection) looks at the tables after each commit or
rollback, as a worker would.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from backend.scheduling.booking.models import Appointment
from backend.scheduling.booking.services import appointment_book, appointment_cancel
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.outbox.services import (
    OutboxOutsideTransaction,
    events_committed,
    outbox_emit,
)

pytestmark = pytest.mark.django_db(transaction=True)


def seen_by_another_connection() -> tuple[int, int]:
    """(appointments, outbox events) as a separate connection sees them."""
    result = {}

    def look():
        try:
            result["counts"] = (Appointment.objects.count(), OutboxEvent.objects.count())
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return result["counts"]


def book(world, actor, patient=0, hour=9):
    return appointment_book(
        actor=actor,
        patient=world.patients[patient],
        session_type=world.spravato,
        start=world.at(hour),
        now=world.at(hour) - timedelta(days=2),
    )


@pytest.fixture
def notifications():
    received = []

    def receiver(**kwargs):
        received.append((kwargs["sender"], kwargs["types"]))

    events_committed.connect(receiver, dispatch_uid="test-outbox-notifications")
    yield received
    events_committed.disconnect(dispatch_uid="test-outbox-notifications")


def test_a_committed_booking_has_exactly_one_event_and_a_rolled_back_one_none(
    world, front_desk_user, notifications
):
    book(world, front_desk_user)
    committed = seen_by_another_connection()

    with pytest.raises(RuntimeError), transaction.atomic():
        book(world, front_desk_user, patient=1, hour=11)
        raise RuntimeError("something after the booking fails: the transaction rolls back")
    rolled_back = seen_by_another_connection()

    assert committed == (1, 1)
    assert rolled_back == (1, 1)
    assert OutboxEvent.objects.get().data["appointment"] == Appointment.objects.get().id
    assert len(notifications) == 1  # the rolled-back transaction notified nobody


def test_consumers_are_notified_once_per_transaction_after_the_commit(
    world, front_desk_user, notifications
):
    seen_at_notification = []
    events_committed.connect(
        lambda **kw: seen_at_notification.append(seen_by_another_connection()),
        dispatch_uid="test-outbox-seen",
        weak=False,
    )
    try:
        with transaction.atomic():
            book(world, front_desk_user)
            book(world, front_desk_user, patient=1, hour=11)
            book(world, front_desk_user, patient=2, hour=13)
            assert notifications == []  # not before the commit
    finally:
        events_committed.disconnect(dispatch_uid="test-outbox-seen")

    # One notification, naming the types of all the transaction's events.
    assert notifications == [(OutboxEvent, frozenset({"appointment.booked"}))]
    assert seen_at_notification == [(3, 3)]  # the events were visible to other connections


def test_an_event_outside_a_transaction_is_refused(world):
    with pytest.raises(OutboxOutsideTransaction):
        outbox_emit(
            clinic_id=world.clinic.id,
            type="appointment.booked",
            data={"appointment": 1},
            now=world.at(9),
        )

    assert OutboxEvent.objects.count() == 0


def test_the_notification_names_every_type_the_transaction_wrote(
    world, front_desk_user, notifications
):
    with transaction.atomic():
        booked = book(world, front_desk_user)
        appointment_cancel(actor=front_desk_user, appointment=booked, reason="ill", now=world.at(7))

    assert notifications == [
        (OutboxEvent, frozenset({"appointment.booked", "appointment.cancelled"}))
    ]
