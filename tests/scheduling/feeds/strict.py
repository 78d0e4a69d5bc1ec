"""Strict parsing of calendar bytes: two independent parsers, no errors, no warnings."""

import warnings

import icalendar
import vobject


def parse_strictly(body: bytes) -> icalendar.Calendar:
    """Parses with icalendar and vobject; any error, warning or bad line fails the test."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines), "a line is not folded"
    assert "\n" not in text.replace("\r\n", ""), "a bare LF"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calendar = icalendar.Calendar.from_ical(text)
        parsed = vobject.readOne(text, validate=True)
        assert parsed.validate(raiseException=True)
    for component in calendar.walk():
        assert component.errors == [], (component.name, component.errors)
    used = {
        event[name].params["TZID"]
        for event in calendar.walk("VEVENT")
        for name in ("DTSTART", "DTEND")
        if "TZID" in event[name].params
    }
    defined = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert used <= defined, f"TZIDs without a VTIMEZONE: {used - defined}"
    assert calendar.get_missing_tzids() == set()
    return calendar


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}
