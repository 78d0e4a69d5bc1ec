"""Hand-computed utilization cases for the pure module (no database)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.reports.utilization import (
    RECOVERY,
    SESSION,
    RoomRef,
    SeatHold,
    epoch_minute,
    utilization_compute,
)
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours

NY = "America/New_York"
NEW_YORK = ZoneInfo(NY)
MONDAY = date(2026, 5, 4)
WEEKDAYS_8_TO_18 = WeeklyHours(tuple((d, time(8), time(18)) for d in range(5)))
DOSING = RoomRef(1, "Dosing Room", "dosing", (1, 2))
LOUNGE = RoomRef(2, "Recovery Lounge", "recovery", (11, 12))


def at(day: date, hour: int, minute: int = 0, fold: int = 0) -> int:
    """The epoch minute of a New York wall-clock time."""
    return epoch_minute(datetime.combine(day, time(hour, minute, fold=fold), tzinfo=NEW_YORK))


def utc(day: date, hour: int, minute: int = 0) -> int:
    return epoch_minute(datetime.combine(day, time(hour, minute), tzinfo=UTC))


def session(start: int, end: int, no_show: bool = False) -> SeatHold:
    return SeatHold(SESSION, start, end, no_show)


def recovery(start: int, end: int, no_show: bool = False) -> SeatHold:
    return SeatHold(RECOVERY, start, end, no_show)


def report(holds, *, rooms=(DOSING,), hours=WEEKDAYS_8_TO_18, closures=(), **kwargs):
    arguments = {"date_from": MONDAY, "date_to": MONDAY, "granularity": "day", **kwargs}
    return utilization_compute(
        calendar=ClinicCalendar(NY, hours, closures), rooms=list(rooms), holds=holds, **arguments
    )


def test_utilization_clips_holds_to_opening_hours():
    holds = {
        1: [session(at(MONDAY, 7), at(MONDAY, 9)), recovery(at(MONDAY, 9), at(MONDAY, 10))],
        2: [session(at(MONDAY, 17, 30), at(MONDAY, 18, 30))],
    }

    usage = report(holds).rooms[0].usage

    # 08:00-09:00 + 17:30-18:00 of session, 09:00-10:00 of recovery, of 2 x 600 open.
    assert usage.available_seat_minutes == 1200
    assert usage.session_seat_minutes == 90
    assert usage.recovery_seat_minutes == 60
    assert usage.utilization == 150 / 1200
    assert usage.recovery_share == 60 / 150
    assert usage.peak_concurrency == 1


def test_utilization_counts_nothing_on_a_closure_day():
    wednesday = MONDAY + timedelta(days=2)
    holds = {1: [session(at(wednesday, 10), at(wednesday, 11))]}

    result = report(
        holds, closures=((wednesday, wednesday),), date_to=MONDAY + timedelta(days=4)
    ).rooms[0]

    assert result.usage.available_seat_minutes == 2 * 600 * 4
    assert result.usage.session_seat_minutes == 0
    closed = result.periods[2]
    assert (closed.period.start, closed.period.opening_minutes) == (wednesday, 0)
    assert closed.usage.available_seat_minutes == 0
    assert closed.usage.utilization is None


@pytest.mark.parametrize(
    ("day", "closes", "open_minutes"),
    [
        (date(2026, 3, 8), time(4), 180),  # spring forward: 02:00-03:00 never happens
        (date(2026, 11, 1), time(4), 300),  # fall back: 01:00-02:00 happens twice
        (date(2026, 3, 8), time(23, 59), 23 * 60 - 1),
        (date(2026, 11, 1), time(23, 59), 25 * 60 - 1),
    ],
    ids=["spring-0-4", "fall-0-4", "spring-all-day", "fall-all-day"],
)
def test_utilization_available_minutes_follow_dst(day, closes, open_minutes):
    hours = WeeklyHours(((6, time(0), closes),))

    result = report({}, hours=hours, date_from=day, date_to=day)

    assert result.periods[0].opening_minutes == open_minutes
    assert result.rooms[0].usage.available_seat_minutes == 2 * open_minutes


def test_utilization_spring_forward_day_has_no_hour_two():
    day = date(2026, 3, 8)
    hours = WeeklyHours(((6, time(0), time(4)),))
    # 01:30 EST to 03:30 EDT is one real hour: 30 minutes in hour 1, 30 in hour 3.
    holds = {1: [session(utc(day, 6, 30), utc(day, 7, 30))]}

    grid = report(holds, hours=hours, date_from=day, date_to=day).rooms[0].grid

    sunday = 6
    assert grid.available[sunday][:5] == (120, 120, 0, 120, 0)
    assert grid.used[sunday][:5] == (0, 30, 0, 30, 0)
    assert grid.utilization(sunday, 2) is None
    assert grid.utilization(sunday, 1) == 0.25


def test_utilization_fall_back_day_counts_both_one_oclock_hours_into_hour_one():
    day = date(2026, 11, 1)
    hours = WeeklyHours(((6, time(0), time(4)),))
    # From 01:30 EDT to 01:30 EST: one real hour, all of it in local hour 1.
    holds = {1: [session(at(day, 1, 30), at(day, 1, 30, fold=1))]}

    result = report(holds, hours=hours, date_from=day, date_to=day).rooms[0]

    sunday = 6
    assert result.usage.session_seat_minutes == 60
    assert result.grid.available[sunday][:4] == (120, 240, 120, 120)
    assert result.grid.used[sunday][:4] == (0, 60, 0, 0)
    assert result.grid.utilization(sunday, 1) == 0.25


def test_utilization_grid_splits_a_hold_across_local_hours():
    holds = {1: [session(at(MONDAY, 9, 15), at(MONDAY, 10, 45))]}

    grid = report(holds).rooms[0].grid

    assert grid.used[0][8:12] == (0, 45, 45, 0)
    assert grid.available[0][7:19] == (0, *([120] * 10), 0)
    assert grid.utilization(0, 9) == 45 / 120
    assert grid.utilization(0, 7) is None
    assert grid.utilization(5, 10) is None  # Saturday: closed


def test_utilization_counts_no_show_holds_as_lost_capacity_only():
    holds = {
        1: [
            session(at(MONDAY, 10), at(MONDAY, 11), no_show=True),
            recovery(at(MONDAY, 11), at(MONDAY, 12), no_show=True),
        ]
    }

    usage = report(holds).rooms[0].usage

    assert (usage.session_seat_minutes, usage.recovery_seat_minutes) == (0, 0)
    assert usage.no_show_seat_minutes == 120
    assert usage.no_show_share == 120 / 1200
    assert usage.peak_concurrency == 0


def test_utilization_no_show_time_someone_else_used_is_not_lost():
    holds = {
        1: [
            session(at(MONDAY, 10), at(MONDAY, 11), no_show=True),
            recovery(at(MONDAY, 11), at(MONDAY, 12), no_show=True),
            session(at(MONDAY, 10, 30), at(MONDAY, 11)),  # a walk-in took the chair
        ]
    }

    usage = report(holds).rooms[0].usage

    assert usage.session_seat_minutes == 30
    assert usage.no_show_seat_minutes == 90


def test_utilization_recovery_in_the_lounge_counts_for_the_lounge():
    holds = {
        1: [session(at(MONDAY, 9), at(MONDAY, 9, 30))],
        11: [recovery(at(MONDAY, 9, 30), at(MONDAY, 11, 30))],
    }

    dosing, lounge = report(holds, rooms=(DOSING, LOUNGE)).rooms

    assert (dosing.usage.session_seat_minutes, dosing.usage.recovery_seat_minutes) == (30, 0)
    assert (lounge.usage.session_seat_minutes, lounge.usage.recovery_seat_minutes) == (0, 120)
    assert dosing.usage.recovery_share == 0
    assert lounge.usage.recovery_share == 1
    assert lounge.usage.utilization == 120 / 1200


def test_utilization_totals_add_rooms_and_take_the_clinic_wide_peak():
    holds = {
        1: [session(at(MONDAY, 9), at(MONDAY, 10))],
        2: [session(at(MONDAY, 9, 30), at(MONDAY, 10, 30))],
        11: [recovery(at(MONDAY, 10), at(MONDAY, 11))],
    }

    result = report(holds, rooms=(DOSING, LOUNGE))

    assert result.total.available_seat_minutes == 4 * 600
    assert result.total.used_seat_minutes == 180
    # 10:00-10:30: recliner 2 and lounge chair 1; recliner 1 has just been freed.
    assert result.total.peak_concurrency == 2
    assert result.grid.used[0][9:11] == (90, 90)
    assert result.grid.available[0][9] == 4 * 60


@pytest.mark.parametrize(
    ("second_start", "peak"),
    [((10, 0), 1), ((9, 59), 2)],
    ids=["touching", "one-minute-overlap"],
)
def test_utilization_peak_counts_seats_in_use_at_the_same_instant(second_start, peak):
    holds = {
        1: [session(at(MONDAY, 9), at(MONDAY, 10))],
        2: [session(at(MONDAY, *second_start), at(MONDAY, 11))],
    }

    assert report(holds).rooms[0].usage.peak_concurrency == peak


def test_utilization_peak_ignores_holds_outside_opening_hours():
    holds = {
        1: [session(at(MONDAY, 6), at(MONDAY, 7, 30))],
        2: [session(at(MONDAY, 7), at(MONDAY, 8, 30))],
    }

    assert report(holds).rooms[0].usage.peak_concurrency == 1


def test_utilization_merges_overlapping_holds_on_one_seat():
    # The database forbids this; the report must still never count a seat-minute twice.
    holds = {
        1: [
            session(at(MONDAY, 9), at(MONDAY, 10)),
            session(at(MONDAY, 9, 30), at(MONDAY, 10, 30)),
            recovery(at(MONDAY, 10), at(MONDAY, 11)),
        ]
    }

    usage = report(holds).rooms[0].usage

    assert usage.session_seat_minutes == 90
    assert usage.recovery_seat_minutes == 30
    assert usage.peak_concurrency == 1


def test_utilization_weekly_periods_start_monday_and_are_clipped_to_the_range():
    wednesday = MONDAY + timedelta(days=2)
    holds = {1: [session(at(MONDAY + timedelta(days=7), 9), at(MONDAY + timedelta(days=7), 10))]}

    result = report(
        holds, date_from=wednesday, date_to=wednesday + timedelta(days=13), granularity="week"
    )

    periods = [
        (p.period.label, p.period.start, p.period.end, p.period.opening_minutes)
        for p in result.rooms[0].periods
    ]
    assert periods == [
        ("2026-W19", date(2026, 5, 6), date(2026, 5, 10), 3 * 600),
        ("2026-W20", date(2026, 5, 11), date(2026, 5, 17), 5 * 600),
        ("2026-W21", date(2026, 5, 18), date(2026, 5, 19), 2 * 600),
    ]
    assert [p.usage.session_seat_minutes for p in result.rooms[0].periods] == [0, 60, 0]


def test_utilization_gives_each_day_the_part_of_a_hold_in_its_own_hours():
    tuesday = MONDAY + timedelta(days=1)
    hours = WeeklyHours(((0, time(0), time(23, 59)), (1, time(0), time(23, 59))))
    holds = {1: [session(at(MONDAY, 23), at(tuesday, 1))]}

    periods = report(holds, hours=hours, date_to=tuesday).rooms[0].periods

    # Monday is open until 23:59, so its last minute of the hold is not counted.
    assert [p.usage.session_seat_minutes for p in periods] == [59, 60]


def test_utilization_of_an_empty_room_is_zero_with_no_recovery_share():
    usage = report({}).rooms[0].usage

    assert usage.utilization == 0
    assert usage.recovery_share is None
    assert usage.peak_concurrency == 0


def test_utilization_accepts_aware_datetimes_for_hold_times():
    start = datetime(2026, 5, 4, 9, tzinfo=NEW_YORK)
    holds = {1: [(SESSION, start, start + timedelta(hours=1), False)]}

    assert report(holds).rooms[0].usage.session_seat_minutes == 60


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date_to": MONDAY - timedelta(days=1)}, "before date_from"),
        ({"date_to": MONDAY + timedelta(days=366)}, "at most 366 days"),
        ({"granularity": "month"}, "granularity"),
    ],
    ids=["backwards", "too-long", "granularity"],
)
def test_utilization_refuses_bad_ranges(kwargs, message):
    with pytest.raises(ValueError, match=message):
        report({}, **kwargs)


@pytest.mark.parametrize(
    ("hold", "message"),
    [(session(100, 100), "must end after it starts"), (("coffee", 100, 200, False), "kind")],
    ids=["empty-span", "unknown-kind"],
)
def test_utilization_refuses_malformed_holds(hold, message):
    with pytest.raises(ValueError, match=message):
        report({1: [hold]})


def test_utilization_of_a_clinic_without_rooms_or_hours_is_empty_not_an_error():
    holds = {1: [session(at(MONDAY, 9), at(MONDAY, 10))]}

    no_rooms = report(holds, rooms=())
    no_hours = report(holds, hours=WeeklyHours())

    assert no_rooms.rooms == ()
    assert no_rooms.total.available_seat_minutes == 0
    assert no_rooms.total.utilization is None
    usage = no_hours.rooms[0].usage
    assert (usage.available_seat_minutes, usage.used_seat_minutes) == (0, 0)
    assert no_hours.grid.rows() == ((None,) * 24,) * 7
