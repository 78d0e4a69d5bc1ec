"""Staff working windows with absences cut out and extra shifts added: pure, no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from backend.scheduling.resources.calendar import StaffHours, WeeklyHours
from backend.scheduling.resources.intervals import Span

TZ = "America/New_York"
ZONE = ZoneInfo(TZ)
MONDAY = date(2030, 1, 7)
NINE_TO_FIVE = tuple((d, time(9), time(17)) for d in range(5))


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def test_staff_hours_without_absences_are_the_weekly_hours():
    hours = StaffHours(windows=NINE_TO_FIVE)

    assert hours.windows_on(MONDAY, TZ) == WeeklyHours(windows=NINE_TO_FIVE).windows_on(MONDAY, TZ)


def test_an_absence_of_some_hours_cuts_them_out_of_the_day():
    hours = StaffHours(windows=NINE_TO_FIVE, off=(Span(at(11), at(13)),))

    assert hours.windows_on(MONDAY, TZ) == [Span(at(9), at(11)), Span(at(13), at(17))]


def test_a_whole_day_absence_leaves_no_window_that_day_and_the_next_day_intact():
    off = Span(at(0), at(0, day=MONDAY + timedelta(days=1)))
    hours = StaffHours(windows=NINE_TO_FIVE, off=(off,))

    assert hours.windows_on(MONDAY, TZ) == []
    tuesday = MONDAY + timedelta(days=1)
    assert hours.windows_on(tuesday, TZ) == [Span(at(9, day=tuesday), at(17, day=tuesday))]


def test_an_extra_shift_adds_working_time_on_a_day_off():
    saturday = MONDAY + timedelta(days=5)
    shift = Span(at(10, day=saturday), at(14, day=saturday))
    hours = StaffHours(windows=NINE_TO_FIVE, extra=(shift,))

    assert hours.windows_on(saturday, TZ) == [shift]


def test_an_extra_shift_touching_the_hours_extends_them():
    hours = StaffHours(windows=NINE_TO_FIVE, extra=(Span(at(17), at(19)),))

    assert hours.windows_on(MONDAY, TZ) == [Span(at(9), at(19))]


def test_an_overnight_extra_shift_counts_on_each_day_it_touches():
    tuesday = MONDAY + timedelta(days=1)
    hours = StaffHours(windows=(), extra=(Span(at(22), at(6, day=tuesday)),))

    assert hours.windows_on(MONDAY, TZ) == [Span(at(22), at(0, day=tuesday))]
    assert hours.windows_on(tuesday, TZ) == [Span(at(0, day=tuesday), at(6, day=tuesday))]


def test_an_absence_wins_over_an_extra_shift_at_the_same_time():
    shift = Span(at(17), at(20))
    hours = StaffHours(windows=NINE_TO_FIVE, extra=(shift,), off=(Span(at(16), at(21)),))

    assert hours.windows_on(MONDAY, TZ) == [Span(at(9), at(16))]


minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


@st.composite
def spans_on_monday(draw):
    a, b = sorted(draw(st.tuples(minutes, minutes)))
    base = datetime.combine(MONDAY, time(0), tzinfo=ZONE).astimezone(UTC)
    return Span(base + timedelta(minutes=a), base + timedelta(minutes=b + 1))


@given(
    extra=st.lists(spans_on_monday(), max_size=3),
    off=st.lists(spans_on_monday(), max_size=3),
)
def test_windows_never_overlap_an_absence_and_cover_every_other_working_minute(extra, off):
    hours = StaffHours(windows=NINE_TO_FIVE, extra=tuple(extra), off=tuple(off))
    weekly = WeeklyHours(windows=NINE_TO_FIVE).windows_on(MONDAY, TZ)

    windows = hours.windows_on(MONDAY, TZ)

    assert not any(w.overlaps(o) for w in windows for o in off)
    for span in [*weekly, *extra]:
        probe = span.start
        while probe < span.end:
            absent = any(o.start <= probe < o.end for o in off)
            working = any(w.start <= probe < w.end for w in windows)
            assert working != absent
            probe += timedelta(minutes=7)
