"""The placement rule, slot search and board reservations. Pure: no database, no Django fixtures.

The clinic opens Monday to Friday 09:00-17:00 in New York; 2026-03-09 is a Monday.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.booking.availability import (
    Board,
    Clash,
    Placement,
    SeatRef,
    SessionSpec,
    StaffRef,
    board_release,
    board_reserve,
    next_free_start,
    placement_check,
    slots_find,
)
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours
from backend.scheduling.resources.intervals import Span, Timeline

NY = "America/New_York"
NEW_YORK = ZoneInfo(NY)
MONDAY = date(2026, 3, 9)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

WEEKDAYS_9_TO_5 = WeeklyHours(tuple((d, time(9), time(17)) for d in range(5)))
AFTERNOONS = WeeklyHours(tuple((d, time(12), time(17)) for d in range(5)))

RECLINER_1 = SeatRef(1, 10, "Spravato room / Recliner 1")
RECLINER_2 = SeatRef(2, 10, "Spravato room / Recliner 2")
CHAIR_1 = SeatRef(21, 20, "Recovery room / Chair 1")
CHAIR_2 = SeatRef(22, 20, "Recovery room / Chair 2")
DANA = StaffRef(101, "Dana Reyes", WEEKDAYS_9_TO_5)
SAM = StaffRef(102, "Sam Ortiz", AFTERNOONS)

SPRAVATO = SessionSpec(
    in_room=timedelta(minutes=15),
    recovery=timedelta(hours=2),
    recovery_same_seat=True,
    needs_staff=True,
    is_dosing=True,
)
INFUSION = SessionSpec(
    in_room=timedelta(minutes=45),
    recovery=timedelta(minutes=30),
    recovery_same_seat=False,
    needs_staff=True,
    is_dosing=True,
)
CONSULT = SessionSpec(
    in_room=timedelta(minutes=30),
    recovery=timedelta(0),
    recovery_same_seat=True,
    needs_staff=True,
    is_dosing=False,
)


def local(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def busy(*spans: tuple[tuple[int, int], tuple[int, int]]) -> Timeline:
    """A timeline on MONDAY from ((h, m), (h, m)) local pairs."""
    return Timeline(Span(local(*start), local(*end)) for start, end in spans)


def clinic_board(**overrides) -> Board:
    fields = {
        "calendar": ClinicCalendar(
            NY,
            WEEKDAYS_9_TO_5,
            ((date(2026, 3, 10), date(2026, 3, 10), "Staff training"),),
        ),
        "session_seats": [RECLINER_1, RECLINER_2],
        "recovery_seats": [CHAIR_1, CHAIR_2],
        "staff": [DANA, SAM],
    }
    fields.update(overrides)
    return Board(**fields)


def resources(result) -> list[str]:
    assert isinstance(result, list), f"expected clashes, got {result!r}"
    return [clash.resource for clash in result]


def clash_of(result, resource: str) -> Clash:
    return next(clash for clash in result if clash.resource == resource)


def test_placement_check_free_board_places_same_seat_session():
    board = clinic_board()

    result = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert result == Placement(
        start=local(10),
        end=local(10, 15),
        recovery_end=local(12, 15),
        seat=RECLINER_1,
        recovery_seat=None,
        staff=DANA,
        dosing_day=MONDAY,
    )
    assert result.start.tzinfo is UTC


def test_placement_holds_same_seat_recovery_as_separate_hold():
    placement = placement_check(clinic_board(), SPRAVATO, local(10), now=NOW)

    assert placement.holds() == [
        ("session", 1, Span(local(10), local(10, 15))),
        ("recovery", 1, Span(local(10, 15), local(12, 15))),
        ("staff", 101, Span(local(10), local(10, 15))),
    ]


def test_placement_check_recovery_in_other_room_uses_recovery_seat():
    board = clinic_board()

    result = placement_check(board, INFUSION, local(10), now=NOW)

    assert result.recovery_seat == CHAIR_1
    assert result.holds() == [
        ("session", 1, Span(local(10), local(10, 45))),
        ("recovery", 21, Span(local(10, 45), local(11, 15))),
        ("staff", 101, Span(local(10), local(10, 45))),
    ]


def test_placement_without_recovery_holds_only_session_and_staff():
    placement = placement_check(clinic_board(), CONSULT, local(10), now=NOW)

    assert [kind for kind, _, _ in placement.holds()] == ["session", "staff"]
    assert placement.dosing_day is None


def test_placement_check_other_room_recovery_frees_session_seat_at_end():
    board = clinic_board(seat_busy={1: busy(((10, 45), (12, 0)))})

    same_seat = placement_check(board, SPRAVATO, local(10), now=NOW)
    other_room = placement_check(board, INFUSION, local(10), now=NOW)

    assert (same_seat.seat, other_room.seat) == (RECLINER_2, RECLINER_1)


def test_placement_check_past_start_is_a_clash():
    now = local(11)

    result = placement_check(clinic_board(), SPRAVATO, local(10), now=now)

    assert result == [Clash("past", "2026-03-09 10:00 is already in the past")]


def test_placement_check_start_equal_to_now_is_allowed():
    result = placement_check(clinic_board(), SPRAVATO, local(10), now=local(10))

    assert isinstance(result, Placement)


def test_placement_check_closure_names_the_reason():
    start = local(10, day=date(2026, 3, 10))

    result = placement_check(clinic_board(), SPRAVATO, start, now=NOW)

    assert result == [Clash("closure", "The clinic is closed on 2026-03-10 (Staff training)")]


def test_placement_check_closure_without_reason():
    calendar = ClinicCalendar(NY, WEEKDAYS_9_TO_5, ((MONDAY, MONDAY),))

    result = placement_check(clinic_board(calendar=calendar), CONSULT, local(10), now=NOW)

    assert clash_of(result, "closure").message == "The clinic is closed on 2026-03-09"


def test_placement_check_recovery_past_closing_is_an_hours_clash():
    result = placement_check(clinic_board(), SPRAVATO, local(15), now=NOW)

    assert result == [
        Clash(
            "hours",
            "The session and its recovery (15:00-17:15) do not fit inside the opening hours "
            "on 2026-03-09 (09:00-17:00)",
        )
    ]


def test_placement_check_weekend_has_no_opening_hours():
    saturday = date(2026, 3, 14)

    result = placement_check(clinic_board(), CONSULT, local(10, day=saturday), now=NOW)

    assert result == [
        Clash("hours", "The clinic has no opening hours on 2026-03-14 (Saturday)"),
        Clash(
            "staff",
            "No staff member with the needed role is working and free 10:00-10:30 on "
            "2026-03-14 (not working then: Dana Reyes, Sam Ortiz)",
        ),
    ]


@pytest.mark.parametrize(
    ("spec", "start", "fits"),
    [
        (SPRAVATO, (14, 45), True),
        (SPRAVATO, (15, 0), False),
        (INFUSION, (15, 45), True),
        (INFUSION, (16, 0), False),
        (CONSULT, (16, 30), True),
        (CONSULT, (16, 45), False),
        (CONSULT, (8, 45), False),
    ],
    ids=[
        "spravato-last",
        "spravato-too-late",
        "infusion-last",
        "infusion-too-late",
        "consult-last",
        "consult-too-late",
        "before-opening",
    ],
)
def test_placement_check_last_start_of_day_leaves_room_for_recovery(spec, start, fits):
    result = placement_check(clinic_board(), spec, local(*start), now=NOW)

    assert isinstance(result, Placement) == fits
    if not fits:
        assert "hours" in resources(result)


def test_placement_check_session_must_fit_one_window_not_span_a_break():
    lunch_break = WeeklyHours(((0, time(9), time(12)), (0, time(13), time(17))))
    calendar = ClinicCalendar(NY, lunch_break)
    board = clinic_board(calendar=calendar, staff=[StaffRef(7, "Kim", WEEKDAYS_9_TO_5)])

    across = placement_check(board, CONSULT, local(11, 45), now=NOW)
    after = placement_check(board, CONSULT, local(13), now=NOW)

    assert clash_of(across, "hours").message.endswith("(09:00-12:00, 13:00-17:00)")
    assert isinstance(after, Placement)


def test_placement_check_all_seats_taken_names_them():
    seat_busy = {1: busy(((9, 0), (11, 0))), 2: busy(((11, 0), (13, 0)))}
    board = clinic_board(seat_busy=seat_busy)

    result = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert result == [
        Clash(
            "seat",
            "Every session seat is taken 10:00-12:15 on 2026-03-09 "
            "(Spravato room / Recliner 1, Spravato room / Recliner 2)",
            (Span(local(9), local(11)), Span(local(11), local(13))),
        )
    ]


def test_placement_check_takes_first_free_seat_in_list_order():
    board = clinic_board(seat_busy={1: busy(((10, 0), (10, 15)))})

    result = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert result.seat == RECLINER_2


def test_placement_check_requested_seat_is_used_even_if_not_first():
    result = placement_check(clinic_board(), SPRAVATO, local(10), now=NOW, seat_id=2)

    assert result.seat == RECLINER_2


def test_placement_check_requested_seat_busy_is_a_clash_naming_it():
    board = clinic_board(seat_busy={2: busy(((12, 0), (13, 0)))})

    result = placement_check(board, SPRAVATO, local(10), now=NOW, seat_id=2)

    assert result == [
        Clash(
            "seat",
            "Spravato room / Recliner 2 is taken 10:00-12:15 on 2026-03-09",
            (Span(local(12), local(13)),),
        )
    ]


def test_placement_check_unknown_seat_is_a_clash():
    result = placement_check(clinic_board(), SPRAVATO, local(10), now=NOW, seat_id=99)

    assert result == [Clash("seat", "Seat #99 cannot be used for this kind of session")]


def test_placement_check_clinic_without_suitable_seats():
    result = placement_check(clinic_board(session_seats=[]), CONSULT, local(10), now=NOW)

    assert result == [Clash("seat", "No seat in this clinic can be used for this kind of session")]


def test_placement_check_recovery_seats_taken():
    seat_busy = {21: busy(((10, 30), (11, 0))), 22: busy(((11, 0), (11, 30)))}
    board = clinic_board(seat_busy=seat_busy)

    result = placement_check(board, INFUSION, local(10), now=NOW)

    assert result == [
        Clash(
            "recovery_seat",
            "Every recovery seat is taken 10:45-11:15 on 2026-03-09 "
            "(Recovery room / Chair 1, Recovery room / Chair 2)",
            (Span(local(10, 30), local(11)), Span(local(11), local(11, 30))),
        )
    ]


def test_placement_check_recovery_seat_freed_as_session_ends_is_reusable():
    board = clinic_board(seat_busy={21: busy(((9, 0), (10, 45)))})

    result = placement_check(board, INFUSION, local(10), now=NOW)

    assert result.recovery_seat == CHAIR_1


def test_placement_check_no_recovery_room_configured():
    board = clinic_board(recovery_seats=[])

    result = placement_check(board, INFUSION, local(10), now=NOW)

    assert result == [Clash("recovery_seat", "No recovery seat is set up for this kind of session")]


def test_placement_check_no_staff_working_and_free():
    board = clinic_board(staff_busy={101: busy(((9, 30), (10, 5)))})

    result = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert result == [
        Clash(
            "staff",
            "No staff member with the needed role is working and free 10:00-10:15 on "
            "2026-03-09 (busy: Dana Reyes; not working then: Sam Ortiz)",
            (Span(local(9, 30), local(10, 5)),),
        )
    ]


def test_placement_check_clinic_without_staff_of_role():
    result = placement_check(clinic_board(staff=[]), CONSULT, local(10), now=NOW)

    assert result == [
        Clash("staff", "No staff member with the needed role is set up for this clinic")
    ]


def test_placement_check_staff_needed_only_for_in_room_part():
    mornings = WeeklyHours(((0, time(9), time(12)),))
    board = clinic_board(staff=[StaffRef(7, "Kim", mornings)])

    result = placement_check(board, SPRAVATO, local(11, 45), now=NOW)

    assert result.staff.staff_id == 7
    assert result.recovery_end == local(14)


def test_placement_check_session_without_staff_ignores_staff():
    spec = SessionSpec(in_room=timedelta(minutes=30), needs_staff=False, is_dosing=False)
    board = clinic_board(staff=[])

    result = placement_check(board, spec, local(10), now=NOW)

    assert result.staff is None
    assert [kind for kind, _, _ in result.holds()] == ["session"]


@pytest.mark.parametrize(
    ("preferred", "dana_busy", "expected"),
    [
        (None, False, DANA),
        (102, False, SAM),
        (102, True, SAM),
        (101, True, SAM),
        (999, False, DANA),
    ],
    ids=[
        "no-preference",
        "preferred-free",
        "preferred-free-other-busy",
        "preferred-busy",
        "unknown",
    ],
)
def test_placement_check_tries_preferred_staff_first(preferred, dana_busy, expected):
    staff_busy = {101: busy(((13, 0), (14, 0)))} if dana_busy else {}
    board = clinic_board(staff_busy=staff_busy)

    result = placement_check(board, SPRAVATO, local(13), now=NOW, preferred_staff_id=preferred)

    assert result.staff == expected


def test_placement_check_patient_overlap_lists_their_appointments():
    board = clinic_board(patient_busy=busy(((11, 0), (12, 0))))

    result = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert result == [
        Clash(
            "patient",
            "The patient already has an appointment at 11:00-12:00 overlapping 10:00-12:15 "
            "on 2026-03-09",
            (Span(local(11), local(12)),),
        )
    ]


def test_placement_check_patient_touching_appointment_is_fine():
    board = clinic_board(patient_busy=busy(((9, 0), (10, 0)), ((12, 15), (13, 0))))

    result = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert isinstance(result, Placement)


def test_placement_check_second_dosing_session_on_a_day_is_a_clash():
    board = clinic_board(patient_dosing_days={MONDAY})

    dosing = placement_check(board, SPRAVATO, local(14), now=NOW)
    consult = placement_check(board, CONSULT, local(14), now=NOW)

    assert dosing == [
        Clash(
            "dosing_day",
            "The patient already has a dosing session on 2026-03-09; "
            "only one dosing session per day is allowed",
        )
    ]
    assert isinstance(consult, Placement)


def test_placement_check_dosing_day_is_the_clinic_local_date():
    # 09:00 in Sydney on 2026-03-10 is 22:00 UTC on 2026-03-09: the UTC date must not count.
    sydney_hours = WeeklyHours(tuple((d, time(9), time(17)) for d in range(5)))
    board = clinic_board(
        calendar=ClinicCalendar("Australia/Sydney", sydney_hours),
        staff=[StaffRef(7, "Kim", sydney_hours)],
        patient_dosing_days={MONDAY},
    )
    start = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))

    result = placement_check(board, SPRAVATO, start, now=NOW)

    assert start.astimezone(UTC).date() == MONDAY
    assert result.dosing_day == date(2026, 3, 10)


def test_placement_check_reports_every_clash_not_just_the_first():
    board = clinic_board(
        seat_busy={1: busy(((9, 0), (17, 0))), 2: busy(((9, 0), (17, 0)))},
        staff_busy={101: busy(((9, 0), (17, 0))), 102: busy(((9, 0), (17, 0)))},
        patient_busy=busy(((16, 0), (16, 30))),
        patient_dosing_days={MONDAY},
    )

    result = placement_check(board, SPRAVATO, local(15, 30), now=local(16))

    assert resources(result) == ["past", "hours", "seat", "staff", "patient", "dosing_day"]


def test_placement_check_rejects_naive_start():
    with pytest.raises(ValueError, match="timezone-aware"):
        placement_check(clinic_board(), SPRAVATO, datetime(2026, 3, 9, 10, 0), now=NOW)


def test_board_reserve_blocks_the_same_start_and_release_restores_it():
    board = clinic_board(session_seats=[RECLINER_1], staff=[DANA])
    placement = placement_check(board, SPRAVATO, local(10), now=NOW)

    board_reserve(board, placement)
    blocked = placement_check(board, SPRAVATO, local(10), now=NOW)
    board_release(board, placement)
    again = placement_check(board, SPRAVATO, local(10), now=NOW)

    assert resources(blocked) == ["seat", "staff", "patient", "dosing_day"]
    assert again == placement
    assert (board.patient_dosing_days, len(board.patient_busy)) == (set(), 0)


def test_board_reserve_recovery_seat_is_held():
    lee = StaffRef(103, "Lee Park", WEEKDAYS_9_TO_5)
    board = clinic_board(recovery_seats=[CHAIR_1], staff=[DANA, lee])
    first = placement_check(board, INFUSION, local(10), now=NOW)
    board_reserve(board, first)
    board.patient_busy = Timeline()
    board.patient_dosing_days = set()

    second = placement_check(board, INFUSION, local(10), now=NOW)

    assert resources(second) == ["recovery_seat"]


def test_slots_find_whole_day_grid_for_same_seat_session():
    slots = slots_find(clinic_board(), SPRAVATO, MONDAY, MONDAY, now=NOW)

    starts = [s.start.astimezone(NEW_YORK).time() for s in slots]
    assert (len(starts), starts[0], starts[-1]) == (24, time(9), time(14, 45))


def test_slots_find_skips_closed_days_and_weekends():
    slots = slots_find(clinic_board(), CONSULT, MONDAY, date(2026, 3, 15), now=NOW)

    days = sorted({s.start.astimezone(NEW_YORK).date() for s in slots})
    assert days == [MONDAY, date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13)]


def test_slots_find_respects_earliest_and_latest_start():
    slots = slots_find(
        clinic_board(),
        CONSULT,
        MONDAY,
        MONDAY,
        now=NOW,
        earliest=time(10, 50),
        latest=time(11, 30),
    )

    starts = [s.start.astimezone(NEW_YORK).time() for s in slots]
    assert starts == [time(11), time(11, 15), time(11, 30)]


def test_slots_find_skips_past_starts():
    slots = slots_find(clinic_board(), CONSULT, MONDAY, MONDAY, now=local(15, 50))

    starts = [s.start.astimezone(NEW_YORK).time() for s in slots]
    assert starts == [time(16), time(16, 15), time(16, 30)]


def test_slots_find_step_and_limit():
    slots = slots_find(
        clinic_board(), CONSULT, MONDAY, MONDAY, now=NOW, step=timedelta(minutes=40), limit=3
    )

    starts = [s.start.astimezone(NEW_YORK).time() for s in slots]
    assert starts == [time(9), time(9, 40), time(10, 20)]


def test_slots_find_grid_restarts_at_each_window_opening():
    hours = WeeklyHours(((0, time(9), time(10)), (0, time(13, 10), time(14))))
    board = clinic_board(
        calendar=ClinicCalendar(NY, hours), staff=[StaffRef(7, "Kim", WEEKDAYS_9_TO_5)]
    )

    slots = slots_find(board, CONSULT, MONDAY, MONDAY, now=NOW)

    starts = [s.start.astimezone(NEW_YORK).time() for s in slots]
    assert starts == [time(9), time(9, 15), time(9, 30), time(13, 10), time(13, 25)]


def test_slots_find_keeps_wall_clock_on_dst_day():
    every_day = WeeklyHours(tuple((d, time(9), time(17)) for d in range(7)))
    board = clinic_board(
        calendar=ClinicCalendar(NY, every_day), staff=[StaffRef(7, "Kim", every_day)]
    )
    spring_forward = date(2026, 3, 8)

    slots = slots_find(board, CONSULT, spring_forward, spring_forward, now=NOW)

    starts = [s.start.astimezone(NEW_YORK).time() for s in slots]
    assert (len(starts), starts[0], starts[-1]) == (31, time(9), time(16, 30))


def test_slots_find_only_returns_starts_placement_check_accepts():
    board = clinic_board(
        seat_busy={
            1: busy(((9, 0), (12, 0))),
            2: busy(((10, 0), (10, 30))),
            21: busy(((11, 0), (13, 0))),
        },
        staff_busy={101: busy(((9, 0), (9, 45))), 102: busy(((13, 0), (14, 0)))},
        patient_busy=busy(((15, 0), (15, 30))),
    )

    slots = slots_find(board, INFUSION, MONDAY, MONDAY, now=NOW)

    assert slots
    assert [placement_check(board, INFUSION, s.start, now=NOW) for s in slots] == slots


def test_slots_find_nothing_for_dosing_on_a_dosing_day():
    board = clinic_board(patient_dosing_days={MONDAY})

    assert slots_find(board, SPRAVATO, MONDAY, MONDAY, now=NOW) == []


def test_slots_find_rejects_reversed_range():
    with pytest.raises(ValueError, match="before date_from"):
        slots_find(clinic_board(), CONSULT, MONDAY, date(2026, 3, 8), now=NOW)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (local(9), local(9, 15)),
        (local(10, 7), local(10, 15)),
        (local(8, 59), local(9)),
        (local(14, 45), local(9, day=date(2026, 3, 11))),
    ],
    ids=["on-grid-is-strict", "off-grid", "before-opening", "end-of-day-skips-closure"],
)
def test_next_free_start_first_grid_start_strictly_after(after, expected):
    result = next_free_start(clinic_board(), SPRAVATO, after, now=NOW)

    assert result.start == expected


def test_next_free_start_skips_busy_starts():
    board = clinic_board(seat_busy={1: busy(((9, 0), (12, 0))), 2: busy(((9, 0), (12, 30)))})

    result = next_free_start(board, SPRAVATO, local(9), now=NOW)

    assert (result.start, result.seat) == (local(12), RECLINER_1)


def test_next_free_start_never_before_now():
    result = next_free_start(clinic_board(), CONSULT, local(9), now=local(13, 1))

    assert result.start == local(13, 15)


def test_next_free_start_none_within_horizon():
    board = clinic_board(session_seats=[])

    assert next_free_start(board, CONSULT, local(9), now=NOW, horizon_days=3) is None


def test_search_offers_whole_second_starts_when_opening_hours_carry_a_fraction():
    # The admin's time field takes fractions of a second; search must not fail on them.
    calendar = ClinicCalendar("UTC", WeeklyHours(((2, time(8, 0, 0, 500_000), time(10, 0)),)))
    board = Board(calendar=calendar, session_seats=[SeatRef(1, 1, "Room / Chair 1")])
    spec = SessionSpec(timedelta(minutes=30), needs_staff=False)
    day = date(2030, 1, 2)  # a Wednesday

    slots = slots_find(
        board, spec, day, day, now=datetime(2030, 1, 1, tzinfo=UTC), step=timedelta(minutes=30)
    )

    assert [s.start.time() for s in slots] == [time(8, 0, 1), time(8, 30, 1), time(9, 0, 1)]
