"""FHIR search parameters parse from plain strings, without a database."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.interop.fhir import params as p

NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "start", "end"),
    [
        (["2030-01-07"], utc(2030, 1, 7, 5), utc(2030, 1, 8, 5)),
        (["eq2030-01-07"], utc(2030, 1, 7, 5), utc(2030, 1, 8, 5)),
        (["ge2030-01-07"], utc(2030, 1, 7, 5), None),
        (["gt2030-01-07"], utc(2030, 1, 8, 5), None),
        (["le2030-01-07"], None, utc(2030, 1, 8, 5)),
        (["lt2030-01-07"], None, utc(2030, 1, 7, 5)),
        (["ge2030-01"], utc(2030, 1, 1, 5), None),
        (["lt2030"], None, utc(2030, 1, 1, 5)),
        (["le2030-02"], None, utc(2030, 3, 1, 5)),
        (["ge2030-01-07T10:00:00Z"], utc(2030, 1, 7, 10), None),
        (["lt2030-01-07T10:00:00-05:00"], None, utc(2030, 1, 7, 15)),
        (["ge2030-01-07", "lt2030-01-09"], utc(2030, 1, 7, 5), utc(2030, 1, 9, 5)),
    ],
    ids=[
        "day",
        "eq-day",
        "ge-day",
        "gt-day",
        "le-day",
        "lt-day",
        "ge-month",
        "lt-year",
        "le-month-end",
        "ge-instant-utc",
        "lt-instant-offset",
        "two-clauses-and",
    ],
)
def test_date_window_in_the_clinic_zone(values, start, end):
    window = p.window_of(p.date_clauses("date", values), NEW_YORK)

    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    "value",
    ["2030-13-01", "ne2030-01-07", "ap2030-01-07", "2030-01-07T10:00:00", "tomorrow", "2030,2031"],
    ids=["bad-month", "ne", "ap", "naive-time", "words", "comma"],
)
def test_date_refuses_what_it_cannot_answer(value):
    with pytest.raises(p.SearchError) as error:
        p.date_clauses("date", [value])

    assert error.value.param == "date"


def test_window_contains_is_half_open():
    window = p.Window(utc(2030, 1, 7), utc(2030, 1, 8))

    assert window.contains(utc(2030, 1, 7))
    assert not window.contains(utc(2030, 1, 8))
    assert p.Window(utc(2030, 1, 8), utc(2030, 1, 8)).is_empty


def test_tokens_or_within_a_value_and_across_repeats():
    allowed = {"booked", "arrived", "fulfilled"}

    assert p.tokens("status", ["booked,arrived"], allowed) == {"booked", "arrived"}
    assert p.tokens("status", ["booked,arrived", "arrived"], allowed) == {"arrived"}
    assert p.tokens("status", [], allowed) == allowed
    with pytest.raises(p.SearchError):
        p.tokens("status", ["bogus"], allowed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", {"Patient": {"7"}}),
        ("Patient/7", {"Patient": {"7"}}),
        ("https://example.org/fhir/R4/Patient/7", {"Patient": {"7"}}),
        ("7,8", {"Patient": {"7", "8"}}),
        ("Patient/not an id", {}),
    ],
    ids=["bare", "typed", "absolute", "or", "not-an-id"],
)
def test_reference_ids(value, expected):
    assert p.reference_ids("patient", [value], "Patient") == expected


def test_reference_of_another_type_is_refused():
    with pytest.raises(p.SearchError):
        p.reference_ids("patient", ["Practitioner/7"], "Patient")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, p.Paging(50, 1)),
        ({"_count": ["3"], "_page": ["2"]}, p.Paging(3, 2)),
        ({"_count": ["0"]}, p.Paging(0, 1)),
        ({"_count": ["100000"]}, p.Paging(p.MAX_COUNT, 1)),
    ],
    ids=["default", "given", "zero", "capped"],
)
def test_paging(query, expected):
    assert p.paging_of(query) == expected


@pytest.mark.parametrize(
    "query",
    [{"_count": ["-1"]}, {"_count": ["x"]}, {"_page": ["0"]}, {"_page": ["1", "2"]}],
    ids=["negative", "words", "page-zero", "repeated"],
)
def test_paging_refuses_bad_numbers(query):
    with pytest.raises(p.SearchError):
        p.paging_of(query)


def test_unknown_parameters_are_named_as_not_supported():
    with pytest.raises(p.SearchError) as error:
        p.first_unknown({"status:not": ["booked"], "_count": ["1"]}, {"status"})

    assert (error.value.param, error.value.code) == ("status:not", "not-supported")


def test_id_tokens_and_keys():
    assert p.id_tokens("_id", ["3,room-4", "3"]) == {"3"}
    assert p.int_ids(["3", "room-4", "\u0661", "9" * 30]) == {3}
