"""A group session in its facilitators' calendar feeds: one event for the group in each
facilitator's feed (not one per participant, not only in the lead's), kept true when the
group moves, changes facilitators or is cancelled."""

import pytest
from django.utils import timezone

from backend.scheduling.feeds.models import FeedStamp
from backend.scheduling.feeds.services import feed_uid_domain
from backend.scheduling.groups.services import (
    group_session_cancel,
    group_session_create,
    group_session_enroll,
    group_session_reschedule,
)
from backend.scheduling.resources.choices import StaffRole
from backend.scheduling.resources.models import SessionType
from tests.scheduling.feeds.strict import parse_strictly
from tests.scheduling.feeds.test_feeds_http import get_feed
from tests.worlds import _staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(feed_world):
    """A group dosing session at 09:00 in Room 1 run by two therapists, two patients in it."""
    second = _staff(feed_world.clinic, StaffRole.THERAPIST, ["Therapist Y"])[0]
    feed_world.therapists.append(second)
    view = group_session_create(
        actor=None,
        session_type=SessionType.objects.get(clinic=None, slug="kap-group-dosing"),
        room=feed_world.dosing_room,
        start=feed_world.at(9),
        staff=feed_world.therapists,
        now=timezone.now(),
    )
    for patient in feed_world.patients:
        group_session_enroll(actor=None, group=view.group, patient=patient, now=timezone.now())
    return view.group


def group_uid(group, staff) -> str:
    return f"group-session-{group.id}.staff-{staff.id}@{feed_uid_domain()}"


def events_of(issue, staff) -> list:
    return parse_strictly(get_feed(issue(staff)).content).walk("VEVENT")


def test_every_facilitator_sees_the_group_once(feed_world, issue, group):
    for facilitator in feed_world.therapists:
        [event] = events_of(issue, facilitator)

        assert str(event["UID"]) == group_uid(group, facilitator)
        assert str(event["SUMMARY"]) == "Group \u2013 Group assisted therapy session (dosing)"
        assert str(event["LOCATION"]) == "Room 1"
        assert (event.start, event.end) == (feed_world.at(9), feed_world.at(12))
        assert "J.D." not in event.to_ical().decode()


def test_moving_the_group_moves_its_event_and_raises_its_sequence(feed_world, issue, group):
    lead = feed_world.therapists[0]
    raw = issue(lead)
    before = get_feed(raw)["ETag"]

    group_session_reschedule(actor=None, group=group, start=feed_world.at(10), now=timezone.now())

    response = get_feed(raw)
    [event] = parse_strictly(response.content).walk("VEVENT")
    assert response["ETag"] != before
    assert (event.start, int(event["SEQUENCE"])) == (feed_world.at(10), 1)


def test_a_cancelled_group_stays_in_the_feed_as_cancelled(feed_world, issue, group):
    group_session_cancel(actor=None, group=group, reason="Facilitator ill", now=timezone.now())

    [event] = events_of(issue, feed_world.therapists[1])

    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("Cancelled: Group")


def test_a_replaced_facilitator_loses_the_group_and_the_new_one_gains_it(feed_world, issue, group):
    third = _staff(feed_world.clinic, StaffRole.THERAPIST, ["Therapist Z"])[0]
    leaving, staying = feed_world.therapists
    stamps = {
        s: FeedStamp.objects.filter(owner_kind="staff", owner_id=s.id).first()
        for s in (leaving, third)
    }

    group_session_reschedule(
        actor=None, group=group, start=feed_world.at(9), now=timezone.now(), staff=[staying, third]
    )

    assert events_of(issue, leaving) == []
    assert [str(e["UID"]) for e in events_of(issue, third)] == [group_uid(group, third)]
    for member, before in stamps.items():
        after = FeedStamp.objects.get(owner_kind="staff", owner_id=member.id)
        assert before is None or after.version > before.version


def test_creating_a_group_raises_every_facilitators_stamp(feed_world):
    members = _staff(feed_world.clinic, StaffRole.THERAPIST, ["Therapist Y", "Therapist Z"])

    group_session_create(
        actor=None,
        session_type=SessionType.objects.get(clinic=None, slug="kap-group-dosing"),
        room=feed_world.dosing_room,
        start=feed_world.at(13),
        staff=members,
        now=timezone.now(),
    )

    raised = set(FeedStamp.objects.filter(owner_kind="staff").values_list("owner_id", flat=True))
    assert {m.id for m in members} <= raised
