"""Clinic calendars: weekly hours, closures and DST. Pure: no database, no Django fixtures."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours, zone_load
from backend.scheduling.resources.intervals import Span

NY = "America/New_York"
NEW_YORK = ZoneInfo(NY)
SPRING_FORWARD = date(2026, 3, 8)  # Sunday: 02:00 EST -> 03:00 EDT
FALL_BACK = date(2026, 11, 1)  # Sunday: 02:00 EDT -> 01:00 EST
ORDINARY_SUNDAY = date(2026, 3, 15)


def every_day(opens: time, closes: time) -> WeeklyHours:
    return WeeklyHours(tuple((weekday, opens, closes) for weekday in range(7)))


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd"], ids=str)
def test_zone_load_rejects_unknown_names_with_value_error(name):
    with pytest.raises(ValueError, match="IANA"):
        zone_load(name)


def test_clinic_calendar_rejects_unknown_zone():
    with pytest.raises(ValueError, match="not a known IANA time zone"):
        ClinicCalendar("America/Gotham", WeeklyHours())


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        (((7, time(9), time(17)),), "Weekday must be 0"),
        (((-1, time(9), time(17)),), "Weekday must be 0"),
        (((0, time(9), time(9)),), "closes before it opens"),
        (((0, time(17), time(9)),), "closes before it opens"),
        (((0, time(9), time(13)), (0, time(12), time(17))), "overlap"),
        (((0, time(9, tzinfo=UTC), time(17)),), "wall-clock"),
        (((0, time(9)),), "weekday, opens, closes"),
        (((0, "09:00", time(17)),), "datetime.time"),
    ],
    ids=[
        "weekday-7",
        "weekday-negative",
        "zero-length",
        "backwards",
        "overlapping",
        "aware-time",
        "short-tuple",
        "string-time",
    ],
)
def test_weekly_hours_validation(windows, message):
    with pytest.raises(ValueError, match=message):
        WeeklyHours(windows)


def test_weekly_hours_overlap_message_names_weekday_and_times():
    with pytest.raises(ValueError) as error:
        WeeklyHours(((2, time(9), time(13)), (2, time(12, 30), time(17))))

    assert str(error.value) == "On Wednesday the windows 09:00-13:00 and 12:30-17:00 overlap"


def test_weekly_hours_accepts_lists_and_stays_hashable():
    hours = WeeklyHours([[0, time(9), time(17)]])

    assert hours.windows == ((0, time(9), time(17)),)
    assert hash(hours) == hash(WeeklyHours(((0, time(9), time(17)),)))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 7), Span(utc(2026, 3, 7, 14), utc(2026, 3, 7, 22))),
        (SPRING_FORWARD, Span(utc(2026, 3, 8, 13), utc(2026, 3, 8, 21))),
        (date(2026, 10, 31), Span(utc(2026, 10, 31, 13), utc(2026, 10, 31, 21))),
        (FALL_BACK, Span(utc(2026, 11, 1, 14), utc(2026, 11, 1, 22))),
    ],
    ids=["before-spring-forward", "spring-forward", "before-fall-back", "fall-back"],
)
def test_opening_windows_keep_wall_clock_across_dst(day, expected):
    calendar = ClinicCalendar(NY, every_day(time(9), time(17)))

    windows = calendar.opening_windows(day)

    assert windows == [expected]
    assert calendar.opening_minutes(day) == 480


@pytest.mark.parametrize(
    ("opens", "closes", "day", "minutes"),
    [
        (time(0, 30), time(5), SPRING_FORWARD, 210),
        (time(0, 30), time(5), ORDINARY_SUNDAY, 270),
        (time(0, 30), time(5), FALL_BACK, 330),
        (time(1), time(4), SPRING_FORWARD, 120),
        (time(1), time(4), ORDINARY_SUNDAY, 180),
        (time(1), time(4), FALL_BACK, 240),
    ],
    ids=[
        "0030-0500-spring",
        "0030-0500-ordinary",
        "0030-0500-fall",
        "0100-0400-spring",
        "0100-0400-ordinary",
        "0100-0400-fall",
    ],
)
def test_opening_minutes_are_real_minutes_on_dst_days(opens, closes, day, minutes):
    calendar = ClinicCalendar(NY, every_day(opens, closes))

    assert calendar.opening_minutes(day) == minutes


def test_nonexistent_opening_time_is_read_with_fold_0_and_lands_after_the_gap():
    calendar = ClinicCalendar(NY, every_day(time(2, 30), time(4)))

    windows = calendar.opening_windows(SPRING_FORWARD)

    # 02:30 does not exist; read as EST it is 07:30 UTC, i.e. 03:30 EDT.
    assert windows == [Span(utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8))]
    assert windows[0].start.astimezone(NEW_YORK).time() == time(3, 30)


def test_ambiguous_opening_time_means_its_first_occurrence():
    calendar = ClinicCalendar(NY, every_day(time(1, 30), time(3)))

    windows = calendar.opening_windows(FALL_BACK)

    # 01:30 EDT (05:30 UTC) until 03:00 EST (08:00 UTC).
    assert windows == [Span(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8))]


def test_window_squeezed_to_nothing_by_the_gap_is_dropped():
    calendar = ClinicCalendar(NY, every_day(time(2, 30), time(3, 15)))

    assert calendar.opening_windows(SPRING_FORWARD) == []
    assert calendar.opening_minutes(SPRING_FORWARD) == 0


def test_multi_window_day_gives_one_span_per_window():
    hours = WeeklyHours(((0, time(13), time(17)), (0, time(9), time(12))))
    calendar = ClinicCalendar(NY, hours)

    windows = calendar.opening_windows(date(2026, 3, 9))

    assert windows == [
        Span(utc(2026, 3, 9, 13), utc(2026, 3, 9, 16)),
        Span(utc(2026, 3, 9, 17), utc(2026, 3, 9, 21)),
    ]
    assert calendar.opening_minutes(date(2026, 3, 9)) == 420


def test_touching_windows_are_one_opening_window():
    hours = WeeklyHours(((0, time(9), time(12)), (0, time(12), time(17))))
    calendar = ClinicCalendar(NY, hours)

    windows = calendar.opening_windows(date(2026, 3, 9))

    assert windows == [Span(utc(2026, 3, 9, 13), utc(2026, 3, 9, 21))]


def test_weekday_without_hours_has_no_windows():
    hours = WeeklyHours(((0, time(9), time(17)),))

    assert hours.windows_on(date(2026, 3, 10), NY) == []


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (date(2026, 12, 23), False),
        (date(2026, 12, 24), True),
        (date(2026, 12, 25), True),
        (date(2026, 12, 26), True),
        (date(2026, 12, 27), False),
    ],
    ids=["day-before", "first-day", "middle", "last-day", "day-after"],
)
def test_closures_are_inclusive_date_ranges(day, closed):
    calendar = ClinicCalendar(
        NY, every_day(time(9), time(17)), ((date(2026, 12, 24), date(2026, 12, 26)),)
    )

    assert calendar.is_closed(day) == closed
    assert (calendar.opening_windows(day) == []) == closed


def test_closure_reason_is_kept_when_given():
    calendar = ClinicCalendar(
        NY,
        every_day(time(9), time(17)),
        (
            (date(2026, 12, 25), date(2026, 12, 25), "Christmas"),
            (date(2026, 7, 3), date(2026, 7, 3)),
        ),
    )

    reasons = [
        calendar.closure_reason(d) for d in (date(2026, 12, 25), date(2026, 7, 3), date(2026, 7, 6))
    ]

    assert reasons == ["Christmas", "", None]


@pytest.mark.parametrize(
    ("closures", "message"),
    [
        (((date(2026, 12, 26), date(2026, 12, 24)),), "ends before it starts"),
        (((datetime(2026, 12, 24, tzinfo=UTC), date(2026, 12, 26)),), "must be dates"),
        (((date(2026, 12, 24),),), "first, last"),
    ],
    ids=["backwards", "datetime", "short"],
)
def test_closure_validation(closures, message):
    with pytest.raises(ValueError, match=message):
        ClinicCalendar(NY, WeeklyHours(), closures)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 3, 9, 3, 30), date(2026, 3, 8)),
        (utc(2026, 3, 9, 4, 30), date(2026, 3, 9)),
        (datetime(2026, 3, 9, 1, 0, tzinfo=ZoneInfo("Europe/Berlin")), date(2026, 3, 8)),
    ],
    ids=["utc-evening-before", "utc-after-midnight", "other-zone"],
)
def test_local_date_uses_clinic_zone(instant, expected):
    calendar = ClinicCalendar(NY, WeeklyHours())

    assert calendar.local_date(instant) == expected


def test_local_date_rejects_naive():
    calendar = ClinicCalendar(NY, WeeklyHours())

    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.local_date(datetime(2026, 3, 9, 12, 0))


def test_windows_between_is_inclusive_and_skips_closed_days():
    weekdays = WeeklyHours(tuple((d, time(9), time(17)) for d in range(5)))
    calendar = ClinicCalendar(NY, weekdays, ((date(2026, 3, 11), date(2026, 3, 11)),))

    windows = calendar.windows_between(date(2026, 3, 9), date(2026, 3, 15))

    assert [calendar.local_date(w.start) for w in windows] == [
        date(2026, 3, 9),
        date(2026, 3, 10),
        date(2026, 3, 12),
        date(2026, 3, 13),
    ]


@pytest.mark.parametrize(
    ("tz", "day", "minutes"),
    [
        ("Europe/London", date(2026, 3, 29), 23 * 60 - 1),
        ("Europe/London", date(2026, 10, 25), 25 * 60 - 1),
        ("Australia/Sydney", date(2026, 4, 5), 25 * 60 - 1),
        ("Australia/Sydney", date(2026, 10, 4), 23 * 60 - 1),
        ("Australia/Sydney", date(2026, 6, 1), 24 * 60 - 1),
    ],
    ids=["london-spring", "london-autumn", "sydney-autumn", "sydney-spring", "sydney-winter"],
)
def test_full_day_window_follows_day_length(tz, day, minutes):
    calendar = ClinicCalendar(tz, every_day(time(0), time(23, 59)))

    assert calendar.opening_minutes(day) == minutes


def test_staff_hours_use_the_same_conversion_as_clinic_hours():
    hours = every_day(time(0, 30), time(5))
    calendar = ClinicCalendar(NY, hours)

    staff_windows = hours.windows_on(FALL_BACK, NY)

    assert staff_windows == calendar.opening_windows(FALL_BACK)
    assert staff_windows[0].end - staff_windows[0].start == timedelta(hours=5, minutes=30)
