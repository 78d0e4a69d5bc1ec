"""Feed stamps: database triggers raise an owner's stamp on every write its feed can see.

A feed's ETag is built from its owner's stamp instead of a pass over its events, so a
write that did not raise the stamp would leave calendars on stale data: each write path
below must raise exactly the owners whose feed it touches, through the ORM, bulk writes
and ``QuerySet.update`` alike.
"""

from datetime import timedelta

from django.utils import timezone

from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from backend.scheduling.feeds.models import FeedStamp


def stamps() -> dict[tuple[str, int], int]:
    return {(s.owner_kind, s.owner_id): s.version for s in FeedStamp.objects.all()}


def raised(before: dict, after: dict) -> set[tuple[str, int]]:
    return {key for key, version in after.items() if version != before.get(key)}


def test_a_new_appointment_raises_its_patient_room_and_staff(feed_world):
    before = stamps()
    appointment = feed_world.appointment(feed_world.at(9))

    assert raised(before, stamps()) >= {
        ("patient", appointment.patient_id),
        ("room", appointment.room_id),
        ("staff", appointment.staff_id),
    }
    assert ("patient", feed_world.other_patient.id) not in raised(before, stamps())


def test_moving_an_appointment_raises_both_rooms(feed_world):
    appointment = feed_world.appointment(feed_world.at(9))
    other_room = feed_world.therapy_rooms[0]
    before = stamps()

    Appointment.objects.filter(pk=appointment.pk).update(room=other_room)

    assert {("room", appointment.room_id), ("room", other_room.id)} <= raised(before, stamps())


def test_an_update_of_many_rows_raises_every_owner(feed_world):
    first = feed_world.appointment(feed_world.at(9))
    second = feed_world.appointment(feed_world.at(13), patient=feed_world.other_patient)
    before = stamps()

    Appointment.objects.filter(pk__in=[first.pk, second.pk]).update(updated_at=timezone.now())

    assert {("patient", first.patient_id), ("patient", second.patient_id)} <= raised(
        before, stamps()
    )


def test_a_status_change_raises_the_recovery_room_of_its_recovery_hold(feed_world):
    appointment = feed_world.appointment(feed_world.at(9), session_type=feed_world.infusion)
    lounge = feed_world.lounge
    assert Hold.objects.filter(appointment=appointment, kind=HoldKind.RECOVERY).exists()
    before = stamps()

    Appointment.objects.filter(pk=appointment.pk).update(status="checked_in")

    assert ("room", lounge.id) in raised(before, stamps())


def test_recovery_holds_raise_their_room_and_session_holds_do_not(feed_world):
    appointment = feed_world.appointment(feed_world.at(9), session_type=feed_world.infusion)
    before = stamps()

    Hold.objects.filter(appointment=appointment, kind=HoldKind.SESSION).update(active=False)
    assert ("room", feed_world.lounge.id) not in raised(before, stamps())

    Hold.objects.filter(appointment=appointment, kind=HoldKind.RECOVERY).update(active=False)
    assert ("room", feed_world.lounge.id) in raised(before, stamps())


def test_deleting_an_appointment_raises_its_owners(feed_world):
    appointment = feed_world.appointment(feed_world.at(9))
    before = stamps()

    Hold.objects.filter(appointment=appointment).delete()
    Appointment.objects.filter(pk=appointment.pk).delete()

    assert ("patient", appointment.patient_id) in raised(before, stamps())


def test_the_stamp_records_when_it_changed(feed_world):
    feed_world.appointment(feed_world.at(9))
    stamp = FeedStamp.objects.get(owner_kind="patient", owner_id=feed_world.patient.id)

    assert abs(stamp.changed_at - timezone.now()) < timedelta(minutes=5)
