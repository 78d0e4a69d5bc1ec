"""The utilization report against brute-force minute counting. Pure: no database.

The brute force walks every minute of the range, asks the calendar whether it is open and
the zone what local date and hour it is, and counts seats minute by minute: nothing of the
fast path (prefix sums, bisects, hour pieces) is shared with it.
"""

from collections import defaultdict
from dataclasses import astuple
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.scheduling.reports.utilization import (
    RECOVERY,
    SESSION,
    RoomRef,
    SeatHold,
    SeatSpans,
    epoch_minute,
    utilization_compute,
)
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours

# No example database: these tests must not write files into the repository.
PROPERTY = settings(deadline=None, max_examples=120, database=None)

# Ranges that cross DST changes, including a half-hour one (Lord Howe Island) and zones
# with a non-whole-hour offset.
RANGES = [
    ("America/New_York", date(2026, 3, 6), date(2026, 3, 10)),
    ("America/New_York", date(2026, 10, 30), date(2026, 11, 3)),
    ("Europe/London", date(2026, 3, 27), date(2026, 3, 31)),
    ("Australia/Lord_Howe", date(2026, 4, 3), date(2026, 4, 6)),
    ("Australia/Lord_Howe", date(2026, 10, 2), date(2026, 10, 5)),
    ("Asia/Kolkata", date(2026, 5, 1), date(2026, 5, 4)),
    ("UTC", date(2026, 5, 1), date(2026, 5, 3)),
]


@st.composite
def weekly_hours(draw):
    if draw(st.booleans()):
        opens, closes = draw(st.sampled_from([(time(0), time(23, 59)), (time(8), time(18))]))
        return WeeklyHours(tuple((weekday, opens, closes) for weekday in range(7)))
    windows = []
    for weekday in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 24 * 60 - 1), max_size=4)))
        for opens, closes in zip(cuts[0::2], cuts[1::2], strict=False):
            if closes > opens:
                windows.append(
                    (weekday, time(opens // 60, opens % 60), time(closes // 60, closes % 60))
                )
    return WeeklyHours(tuple(windows))


@st.composite
def scenarios(draw):
    tz, first, last = draw(st.sampled_from(RANGES))
    date_from = first + timedelta(days=draw(st.integers(0, 1)))
    date_to = last - timedelta(days=draw(st.integers(0, 1)))
    closures = tuple(
        (day, day)
        for day in draw(
            st.sets(st.dates(min_value=first, max_value=last), max_size=2),
        )
    )
    calendar = ClinicCalendar(tz, draw(weekly_hours()), closures)
    rooms, holds = [], {}
    seat_id = 0
    base = epoch_minute(datetime.combine(first, time(0), tzinfo=ZoneInfo(tz)))
    span_minutes = ((last - first).days + 1) * 24 * 60
    # A coarse grid makes holds touch (and clash) often, as booked ones do.
    step = draw(st.sampled_from([1, 15, 60]))
    # Crowding the holds into one day makes seats busy at the same instants.
    horizon = draw(st.sampled_from([span_minutes, 24 * 60]))
    # Holds drawn between a few shared instants start exactly where others end.
    instants = draw(
        st.lists(st.integers(-120 // step, horizon // step), min_size=2, max_size=8, unique=True)
    )
    for room_id in range(1, draw(st.integers(1, 3)) + 1):
        seat_ids = []
        for _ in range(draw(st.integers(1, 3))):
            seat_id += 1
            seat_ids.append(seat_id)
            seat_holds = []
            for _ in range(draw(st.integers(0, 8))):
                if draw(st.booleans()):
                    start, end = sorted(
                        draw(
                            st.lists(st.sampled_from(instants), min_size=2, max_size=2, unique=True)
                        )
                    )
                    start, end = base + step * start, base + step * end
                else:
                    start = base + step * draw(st.integers(-120 // step, horizon // step))
                    end = start + step * draw(st.integers(1, 300 // step))
                kind = draw(st.sampled_from([SESSION, RECOVERY]))
                seat_holds.append(SeatHold(kind, start, end, draw(st.booleans())))
            holds[seat_id] = seat_holds
        rooms.append(RoomRef(room_id, f"Room {room_id}", "dosing", tuple(seat_ids)))
    granularity = draw(st.sampled_from(["day", "week"]))
    return calendar, rooms, holds, date_from, date_to, granularity


def brute_force(calendar, rooms, holds, date_from, date_to, granularity):
    """Minute by minute: {room: {period_start: [available, session, recovery, no_show,
    peak]}}, {room: {(weekday, hour): [used, available]}}, and the same for all rooms."""
    zone = calendar.zone
    open_minutes = {}
    day = date_from
    while day <= date_to:
        for window in calendar.opening_windows(day):
            for minute in range(epoch_minute(window.start), epoch_minute(window.end)):
                open_minutes[minute] = day
        day += timedelta(days=1)

    def period_of(day):
        if granularity == "day":
            return day
        return max(date_from, day - timedelta(days=day.weekday()))

    def state_of(seat):
        # Later labels overwrite earlier ones: session over recovery over no-show.
        state = {}
        for wanted in ("no_show", RECOVERY, SESSION):
            for kind, start, end, no_show in holds.get(seat, ()):
                label = "no_show" if no_show else kind
                if label == wanted:
                    for minute in range(start, end):
                        state[minute] = label
        return state

    groups = {room.room_id: room.seat_ids for room in rooms}
    groups["all"] = tuple(seat for room in rooms for seat in room.seat_ids)
    states = {seat: state_of(seat) for seat in groups["all"]}
    periods, grids = {}, {}
    for group, seats in groups.items():
        period_rows = defaultdict(lambda: [0, 0, 0, 0, 0])
        grid = defaultdict(lambda: [0, 0])
        for minute, day in open_minutes.items():
            local = datetime.fromtimestamp(minute * 60, UTC).astimezone(zone)
            row = period_rows[period_of(day)]
            cell = grid[(local.weekday(), local.hour)]
            row[0] += len(seats)
            cell[1] += len(seats)
            busy = 0
            for seat in seats:
                label = states[seat].get(minute)
                if label == SESSION:
                    row[1] += 1
                elif label == RECOVERY:
                    row[2] += 1
                elif label == "no_show":
                    row[3] += 1
                if label in (SESSION, RECOVERY):
                    busy += 1
                    cell[0] += 1
            row[4] = max(row[4], busy)
        periods[group] = dict(period_rows)
        grids[group] = dict(grid)
    return periods, grids


def observed(report):
    periods, grids = {}, {}
    entries = [(room.room.room_id, room.periods, room.grid) for room in report.rooms]
    entries.append(("all", report.total_periods, report.grid))
    for group, period_usages, grid in entries:
        periods[group] = {
            p.period.start: [
                p.usage.available_seat_minutes,
                p.usage.session_seat_minutes,
                p.usage.recovery_seat_minutes,
                p.usage.no_show_seat_minutes,
                p.usage.peak_concurrency,
            ]
            for p in period_usages
            if p.period.opening_minutes
        }
        grids[group] = {
            (weekday, hour): [grid.used[weekday][hour], grid.available[weekday][hour]]
            for weekday in range(7)
            for hour in range(24)
            if grid.available[weekday][hour]
        }
    return periods, grids


@PROPERTY
@given(scenarios())
def test_utilization_matches_brute_force_minute_counting(scenario):
    calendar, rooms, holds, date_from, date_to, granularity = scenario

    report = utilization_compute(
        calendar=calendar,
        rooms=rooms,
        holds=holds,
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
    )

    assert observed(report) == brute_force(calendar, rooms, holds, date_from, date_to, granularity)


@PROPERTY
@given(scenarios())
def test_utilization_totals_add_up_and_never_exceed_capacity(scenario):
    calendar, rooms, holds, date_from, date_to, granularity = scenario

    report = utilization_compute(
        calendar=calendar,
        rooms=rooms,
        holds=holds,
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
    )

    for room in report.rooms:
        usage = room.usage
        assert usage.used_seat_minutes + usage.no_show_seat_minutes <= usage.available_seat_minutes
        assert usage.peak_concurrency <= room.room.capacity
        assert usage.session_seat_minutes == sum(p.usage.session_seat_minutes for p in room.periods)
        assert usage.recovery_seat_minutes == sum(
            p.usage.recovery_seat_minutes for p in room.periods
        )
        assert usage.used_seat_minutes == sum(map(sum, room.grid.used))
        assert usage.available_seat_minutes == sum(map(sum, room.grid.available))
    assert report.total.used_seat_minutes == sum(r.usage.used_seat_minutes for r in report.rooms)
    assert report.total.peak_concurrency <= sum(r.usage.peak_concurrency for r in report.rooms)


def scrambled(spans: SeatSpans, shuffle) -> SeatSpans:
    """The same starts and ends, each list in its own random order."""
    columns = [list(column) for column in astuple(spans)]
    for column in columns:
        shuffle(column)
    return SeatSpans(*columns)


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_utilization_columnar_input_in_any_order_gives_the_same_report(scenario, random):
    calendar, rooms, holds, date_from, date_to, granularity = scenario
    arguments = {
        "calendar": calendar,
        "rooms": rooms,
        "date_from": date_from,
        "date_to": date_to,
        "granularity": granularity,
    }

    from_tuples = utilization_compute(holds=holds, **arguments)
    from_columns = utilization_compute(
        holds={
            seat: scrambled(SeatSpans.from_holds(seat_holds), random.shuffle)
            for seat, seat_holds in holds.items()
        },
        **arguments,
    )

    assert from_tuples == from_columns
