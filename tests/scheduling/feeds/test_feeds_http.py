"""The public feed URL: what a calendar app gets when it polls."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.booking.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from backend.scheduling.feeds.services import feed_token_revoke, feed_uid_domain
from tests.scheduling.feeds.strict import events_by_uid, parse_strictly

pytestmark = pytest.mark.django_db

WEEK = timedelta(days=7)


def feed_url(raw: str) -> str:
    return f"/feeds/{raw}.ics"


def get_feed(raw: str, **headers):
    return Client().get(feed_url(raw), headers=headers)


def patient_uid(appointment) -> str:
    return f"appointment-{appointment.id}@{feed_uid_domain()}"


def test_feed_answers_text_calendar_with_validators_and_private_caching(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.patient)

    response = get_feed(raw)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    calendar = parse_strictly(response.content)
    assert len(calendar.walk("VEVENT")) == 1


def test_same_etag_means_same_bytes(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.patient)

    first, second = get_feed(raw), get_feed(raw)

    assert first["ETag"] == second["ETag"]
    assert first.content == second.content


def test_if_none_match_answers_304_without_a_body(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.patient)
    etag = get_feed(raw)["ETag"]

    response = get_feed(raw, if_none_match=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Referrer-Policy"] == "no-referrer"


def test_if_modified_since_alone_gets_the_feed_since_only_the_etag_sees_removals(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.patient)
    last_modified = get_feed(raw)["Last-Modified"]

    response = get_feed(raw, if_modified_since=last_modified)

    assert response.status_code == 200
    assert response["Last-Modified"] == last_modified


def test_stale_etag_gets_the_new_feed(feed_world, issue):
    appointment = feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.patient)
    etag = get_feed(raw)["ETag"]
    appointment.start += timedelta(hours=1)
    appointment.end += timedelta(hours=1)
    appointment.recovery_end += timedelta(hours=1)
    appointment.sequence += 1
    appointment.save()

    response = get_feed(raw, if_none_match=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_reschedule_keeps_the_uid_and_raises_the_sequence(feed_world, issue, front_desk_user):
    now = timezone.now()
    booked = appointment_book(
        actor=front_desk_user,
        patient=feed_world.patient,
        session_type=feed_world.spravato,
        start=feed_world.at(9),
        now=now,
    )
    raw = issue(feed_world.patient)
    before = events_by_uid(parse_strictly(get_feed(raw).content))[patient_uid(booked)]

    appointment_reschedule(
        actor=front_desk_user, appointment=booked, start=feed_world.at(13), now=now
    )

    after = events_by_uid(parse_strictly(get_feed(raw).content))[patient_uid(booked)]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert (before.start.hour, before.start.minute) == (8, 45)
    assert (after.start.hour, after.start.minute) == (12, 45)
    assert str(after["STATUS"]) == "CONFIRMED"


def test_cancel_shows_the_event_as_cancelled(feed_world, issue, front_desk_user):
    now = timezone.now()
    booked = appointment_book(
        actor=front_desk_user,
        patient=feed_world.patient,
        session_type=feed_world.spravato,
        start=feed_world.at(9),
        now=now,
    )
    raw = issue(feed_world.patient)
    before = events_by_uid(parse_strictly(get_feed(raw).content))[patient_uid(booked)]

    appointment_cancel(actor=front_desk_user, appointment=booked, reason="Sick", now=now)

    after = events_by_uid(parse_strictly(get_feed(raw).content))[patient_uid(booked)]
    assert str(after["STATUS"]) == "CANCELLED"
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.walk("VALARM") == []


@pytest.mark.parametrize(
    ("starts_days_ago", "cancelled_days_ago", "listed"),
    [
        pytest.param(-30, 1, True, id="future-cancelled"),
        pytest.param(60, 59, True, id="past-cancelled-within-90-days"),
        pytest.param(200, 29, True, id="old-but-cancelled-29-days-ago"),
        pytest.param(200, 31, False, id="old-and-cancelled-31-days-ago"),
    ],
)
def test_cancelled_appointments_stay_listed_for_at_least_30_days(
    feed_world, issue, starts_days_ago, cancelled_days_ago, listed
):
    now = timezone.now()
    appointment = feed_world.appointment(
        now - timedelta(days=starts_days_ago),
        status=AppointmentStatus.CANCELLED,
        cancelled_at=now - timedelta(days=cancelled_days_ago),
        sequence=1,
    )
    raw = issue(feed_world.patient)

    events = events_by_uid(parse_strictly(get_feed(raw).content))

    assert (patient_uid(appointment) in events) is listed


@pytest.mark.parametrize(
    ("days", "listed"),
    [
        pytest.param(-100, False, id="100-days-ago"),
        pytest.param(-80, True, id="80-days-ago"),
        pytest.param(300, True, id="in-300-days"),
        pytest.param(400, False, id="in-400-days"),
    ],
)
def test_feed_lists_recent_past_and_the_coming_year(feed_world, issue, days, listed):
    appointment = feed_world.appointment(
        feed_world.at(9, day=timezone.now().date()) + timedelta(days=days)
    )
    raw = issue(feed_world.patient)

    events = events_by_uid(parse_strictly(get_feed(raw).content))

    assert (patient_uid(appointment) in events) is listed


def test_a_patients_token_never_shows_another_patients_appointment(feed_world, issue):
    mine = feed_world.appointment(feed_world.at(9))
    theirs = feed_world.appointment(
        feed_world.at(9), patient=feed_world.other_patient, seat=feed_world.recliners[1]
    )
    raw = issue(feed_world.patient)
    issue(feed_world.other_patient)

    response = get_feed(raw)

    assert set(events_by_uid(parse_strictly(response.content))) == {patient_uid(mine)}
    assert f"appointment-{theirs.id}@".encode() not in response.content
    assert b"Omar" not in response.content and b"O.O." not in response.content


def test_patient_feed_holds_no_session_type_or_patient_name(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.patient)

    body = get_feed(raw).content

    for word in (b"Spravato", b"84 mg", b"Jane", b"Doe", b"J.D."):
        assert word not in body
    assert b"SUMMARY:Appointment at Harbor Wellness\r\n" in body


def test_room_feed_shows_initials_and_session_type(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    feed_world.appointment(
        feed_world.at(9), patient=feed_world.other_patient, seat=feed_world.recliners[1]
    )
    raw = issue(feed_world.dosing_room)

    response = get_feed(raw)

    calendar = parse_strictly(response.content)
    titles = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert titles == ["J.D. \u2013 Spravato 84 mg", "O.O. \u2013 Spravato 84 mg"]
    assert b"Jane" not in response.content and b"Omar" not in response.content


def test_recovery_room_feed_shows_the_recovery_part(feed_world, issue):
    appointment = feed_world.appointment(feed_world.at(9), session_type=feed_world.infusion)
    raw = issue(feed_world.lounge)

    calendar = parse_strictly(get_feed(raw).content)

    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "J.D. \u2013 Ketamine infusion (recovery)"
    assert event.start == appointment.end
    assert event.end == appointment.recovery_end
    assert str(event["DESCRIPTION"]) == "Seat: Lounge 1"


def test_dosing_room_feed_ends_when_recovery_moves_to_another_room(feed_world, issue):
    appointment = feed_world.appointment(feed_world.at(9), session_type=feed_world.infusion)
    raw = issue(feed_world.dosing_room)

    [event] = parse_strictly(get_feed(raw).content).walk("VEVENT")

    assert (event.start, event.end) == (appointment.start, appointment.end)


def test_staff_feed_shows_only_that_staff_members_sessions(feed_world, issue):
    mine = feed_world.appointment(feed_world.at(9))
    feed_world.appointment(feed_world.at(13), staff=None)
    raw = issue(feed_world.nurse)

    calendar = parse_strictly(get_feed(raw).content)

    [event] = calendar.walk("VEVENT")
    assert (
        str(event["UID"])
        == f"appointment-{mine.id}.staff-{feed_world.nurse.id}@{feed_uid_domain()}"
    )
    assert str(event["LOCATION"]) == "Room 1"


def _week_before_a_dst_change(world) -> date:
    """The first test weekday whose next week has another UTC offset."""
    day = world.day
    while world.at(10, day=day).utcoffset() == world.at(10, day=day + WEEK).utcoffset():
        day += WEEK
    return day


def test_dst_crossing_series_keeps_its_wall_clock_time(feed_world, issue):
    first = _week_before_a_dst_change(feed_world)
    series = [feed_world.appointment(feed_world.at(10, day=first + WEEK * i)) for i in range(3)]
    raw = issue(feed_world.patient)

    events = events_by_uid(parse_strictly(get_feed(raw).content))

    starts = [events[patient_uid(a)].start for a in series]
    assert [(s.hour, s.minute) for s in starts] == [(9, 45)] * 3
    assert len({s.utcoffset() for s in starts}) == 2
    assert {events[patient_uid(a)]["DTSTART"].params["TZID"] for a in series} == {
        "America/New_York"
    }


def test_unknown_revoked_and_malformed_tokens_answer_the_same_404(feed_world, issue):
    raw = issue(feed_world.patient)
    feed_token_revoke(owner=feed_world.patient, actor=None, now=timezone.now())

    answers = [get_feed(token) for token in (raw, "x" * 43, "not a token!", "a.b")]

    assert {r.status_code for r in answers} == {404}
    assert {r.content for r in answers} == {b"Not found.\n"}
    assert all(r["Referrer-Policy"] == "no-referrer" for r in answers)


def test_reissuing_revokes_the_previous_url(feed_world, issue):
    old = issue(feed_world.patient)

    new = issue(feed_world.patient)

    assert get_feed(old).status_code == 404
    assert get_feed(new).status_code == 200


def test_each_token_is_rate_limited(feed_world, issue, settings):
    settings.FEED_RATE_LIMIT = (3, 600)
    raw = issue(feed_world.patient)
    other = issue(feed_world.other_patient)

    statuses = [get_feed(raw).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    limited = get_feed(raw)
    assert 0 < int(limited["Retry-After"]) <= 600
    assert limited["Referrer-Policy"] == "no-referrer"
    assert get_feed(other).status_code == 200


def test_feed_accepts_only_safe_methods(feed_world, issue):
    raw = issue(feed_world.patient)

    response = Client().post(feed_url(raw))

    assert response.status_code == 405


def _make_events(world, count):
    """``count`` weeks, each with one Spravato session for the patient and one infusion
    (recovering in the lounge) for the other patient, both with the nurse."""
    for i in range(count):
        world.appointment(world.at(9, day=world.day + WEEK * i))
        world.appointment(
            world.at(9, day=world.day + WEEK * i),
            patient=world.other_patient,
            seat=world.recliners[1],
            session_type=world.infusion,
        )


# (owner, queries, events per week)
OWNERS = [
    pytest.param(lambda w: w.patient, 4, 1, id="patient"),
    pytest.param(lambda w: w.dosing_room, 5, 2, id="room"),
    pytest.param(lambda w: w.lounge, 5, 1, id="recovery-room"),
    # A staff member's feed reads the group sessions they facilitate as well.
    pytest.param(lambda w: w.nurse, 6, 2, id="staff"),
]


# Queries: the token (with clinic and owner), the owner's feed stamp, session types, seat or
# room names (not for patients), then the rows.
@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize(("owner", "queries", "per_week"), OWNERS)
def test_feed_query_count_does_not_grow_with_events(
    feed_world, issue, django_assert_num_queries, owner, queries, per_week, count
):
    _make_events(feed_world, count)
    raw = issue(owner(feed_world))

    with django_assert_num_queries(queries):
        response = get_feed(raw)

    assert response.status_code == 200
    assert len(parse_strictly(response.content).walk("VEVENT")) == count * per_week


@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize(("owner", "queries", "per_week"), OWNERS)
def test_not_modified_skips_the_rows_query(
    feed_world, issue, django_assert_num_queries, owner, queries, per_week, count
):
    _make_events(feed_world, count)
    raw = issue(owner(feed_world))
    etag = get_feed(raw)["ETag"]

    # The token (with clinic and owner) and the owner's feed stamp: two queries of one row
    # each, for a patient's forty events or a room's thousands.
    with django_assert_num_queries(2):
        response = get_feed(raw, if_none_match=etag)

    assert response.status_code == 304


def test_renaming_a_patient_changes_the_room_feed_and_its_etag(feed_world, issue):
    feed_world.appointment(feed_world.at(9))
    raw = issue(feed_world.dosing_room)
    before = get_feed(raw)
    patient = type(feed_world.patient).objects.get(pk=feed_world.patient.pk)
    patient.first_name = "Zelda"
    patient.save()

    after = get_feed(raw, if_none_match=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert b"Z.D." in after.content
