"""The RFC 5545 writer on its own: no database, fixed times."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.feeds.ical import (
    CANCELLED,
    CONFIRMED,
    FeedAlarm,
    FeedCalendar,
    FeedEvent,
    calendar_bytes,
    duration,
    escape_text,
    fold,
)
from tests.scheduling.feeds.strict import events_by_uid, parse_strictly

NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(uid="e1@test.invalid", start=None, **fields) -> FeedEvent:
    start = start or datetime(2026, 3, 4, 9, 0, tzinfo=NEW_YORK)
    defaults = {
        "uid": uid,
        "start": start,
        "end": start + timedelta(hours=2),
        "sequence": 0,
        "status": CONFIRMED,
        "last_modified": STAMP,
        "title": "Appointment",
    }
    return FeedEvent(**{**defaults, **fields})


def build(*events, tz="America/New_York", refresh=60) -> bytes:
    return calendar_bytes(
        FeedCalendar(name="Test", tz=tz, refresh_minutes=refresh), events, stamp=STAMP
    )


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param("plain", "plain", id="plain"),
        pytest.param("a,b;c", "a\\,b\\;c", id="comma-semicolon"),
        pytest.param("back\\slash", "back\\\\slash", id="backslash"),
        pytest.param("one\ntwo\r\nthree", "one\\ntwo\\nthree", id="newlines"),
        pytest.param("bell\x07tab\t", "belltab\t", id="controls"),
    ],
)
def test_escape_text_follows_rfc5545(raw, escaped):
    assert escape_text(raw) == escaped


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("SUMMARY:" + "x" * 200, id="ascii"),
        pytest.param("SUMMARY:" + "é" * 90, id="two-byte"),
        pytest.param("SUMMARY:" + "日本" * 40, id="three-byte"),
        pytest.param("SUMMARY:" + "🙂" * 30, id="four-byte"),
    ],
)
def test_fold_keeps_lines_within_75_octets_and_unfolds_to_the_original(line):
    folded = fold(line)

    physical = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        pytest.param(timedelta(days=-1), "-P1D", id="day-before"),
        pytest.param(timedelta(hours=-2), "-PT2H", id="two-hours-before"),
        pytest.param(timedelta(minutes=90), "PT1H30M", id="mixed"),
        pytest.param(timedelta(0), "PT0S", id="zero"),
    ],
)
def test_duration_formats(delta, text):
    assert duration(delta) == text


def test_calendar_has_required_properties_and_refresh_hints():
    body = build(event())

    calendar = parse_strictly(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//KAP Scheduler//")
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["NAME"]) == "Test"
    assert str(calendar["X-WR-CALNAME"]) == "Test"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body


def test_calendar_without_refresh_leaves_hints_out():
    body = build(event(), refresh=None)

    parse_strictly(body)
    assert b"REFRESH-INTERVAL" not in body
    assert b"X-PUBLISHED-TTL" not in body


def test_event_properties_round_trip():
    alarm = FeedAlarm(timedelta(days=-1), "Tomorrow, ride")
    body = build(
        event(
            sequence=3,
            title="Appointment at A, B; C",
            description="Line 1\nLine 2",
            location="1 Harbor Street, Boston",
            alarms=(alarm,),
        )
    )

    parsed = events_by_uid(parse_strictly(body))["e1@test.invalid"]
    assert parsed["SEQUENCE"] == 3
    assert str(parsed["STATUS"]) == "CONFIRMED"
    assert str(parsed["SUMMARY"]) == "Appointment at A, B; C"
    assert str(parsed["DESCRIPTION"]) == "Line 1\nLine 2"
    assert str(parsed["LOCATION"]) == "1 Harbor Street, Boston"
    assert parsed.decoded("DTSTAMP") == STAMP
    assert parsed.decoded("LAST-MODIFIED") == STAMP
    assert parsed.start == datetime(2026, 3, 4, 9, 0, tzinfo=NEW_YORK)
    assert parsed["DTSTART"].params["TZID"] == "America/New_York"
    [valarm] = parsed.walk("VALARM")
    assert str(valarm["ACTION"]) == "DISPLAY"
    assert valarm.decoded("TRIGGER") == timedelta(days=-1)


def test_cancelled_event_is_transparent():
    body = build(event(status=CANCELLED))

    parsed = events_by_uid(parse_strictly(body))["e1@test.invalid"]
    assert str(parsed["STATUS"]) == "CANCELLED"
    assert str(parsed["TRANSP"]) == "TRANSPARENT"


def test_times_are_written_in_the_calendar_zone_whatever_the_input_zone():
    utc_start = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)

    body = build(event(start=utc_start))

    assert b"DTSTART;TZID=America/New_York:20260701T090000\r\n" in body
    parsed = events_by_uid(parse_strictly(body))["e1@test.invalid"]
    assert parsed.start == utc_start


def test_vtimezone_covers_every_year_the_events_touch():
    first = event(uid="a@t", start=datetime(2026, 12, 30, 9, 0, tzinfo=NEW_YORK))
    second = event(uid="b@t", start=datetime(2027, 7, 1, 9, 0, tzinfo=NEW_YORK))

    calendar = parse_strictly(build(first, second))

    [vtimezone] = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "America/New_York"
    parsed = events_by_uid(calendar)
    assert parsed["b@t"].start.utcoffset() == timedelta(hours=-4)
    assert parsed["a@t"].start.utcoffset() == timedelta(hours=-5)


def test_second_occurrence_of_a_repeated_hour_is_written_in_utc():
    # 2026-11-01 01:30 happens twice in New York; the second one is 06:30 UTC.
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)

    body = build(event(start=second))

    assert b"DTSTART:20261101T063000Z\r\n" in body
    parsed = events_by_uid(parse_strictly(body))["e1@test.invalid"]
    assert parsed.start == second


def test_empty_calendar_still_parses_with_its_timezone():
    calendar = parse_strictly(build())

    assert calendar.walk("VEVENT") == []
    assert len(calendar.walk("VTIMEZONE")) == 1


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "Australia/Lord_Howe", "Europe/Dublin"])
def test_other_zones_parse(tz):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo(tz))

    calendar = parse_strictly(build(event(start=start), tz=tz))

    assert events_by_uid(calendar)["e1@test.invalid"].start == start


def test_event_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="status"):
        event(status="TENTATIVE")


def test_event_rejects_naive_times():
    with pytest.raises(ValueError, match="aware"):
        event(start=datetime(2026, 3, 4, 9, 0))
