"""Hypothesis properties of plan_expand and plan_cascade. Pure: no database, no Django fixtures.

Whatever the busy calendar and the preferences, every placed session keeps every rule
(re-derived independently in ``engine_world.plan_violations``) and every unplaced one says why.
"""

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.plans.engine.cascade import plan_cascade
from backend.plans.engine.expand import plan_expand
from backend.plans.engine.rules import PlannedSlot, PlanResult, Preferences
from backend.scheduling.booking.availability import (
    Placement,
    board_release,
    board_reserve,
    placement_check,
)
from backend.scheduling.resources.calendar import ClinicCalendar
from tests.plans.engine.engine_world import (
    CLINIC_HOURS,
    LOUNGE,
    MONDAY,
    NOW,
    NURSES,
    NY,
    RECLINERS,
    THERAPISTS,
    THERAPY,
    World,
    local,
    plan_violations,
    rules_for,
)

# No example database: these tests must not write files into the repository.
PROPERTY = settings(deadline=None, max_examples=60, database=None)

SLUGS = ["spravato-trd", "iv-ketamine", "kap-individual"]
RULES = {slug: rules_for(slug) for slug in SLUGS}
SEAT_IDS = [s.seat_id for s in RECLINERS + LOUNGE + THERAPY]
STAFF_IDS = [m.staff_id for m in NURSES + THERAPISTS]


@st.composite
def preferences(draw) -> Preferences:
    weekdays = draw(
        st.none() | st.frozensets(st.integers(0, 5), min_size=2, max_size=6).map(frozenset)
    )
    earliest = draw(st.none() | st.integers(8, 12).map(lambda h: time(h)))
    latest = None
    if draw(st.booleans()):
        first = earliest.hour if earliest else 8
        latest = time(min(17, first + draw(st.integers(1, 6))), draw(st.sampled_from([0, 30])))
    staff_id = draw(st.none() | st.sampled_from(STAFF_IDS))
    return Preferences(weekdays=weekdays, earliest=earliest, latest=latest, staff_id=staff_id)


# (resource id, day offset from MONDAY, start minute, length in minutes)
busy_spans = st.lists(
    st.tuples(
        st.sampled_from(SEAT_IDS),
        st.integers(0, 90),
        st.integers(8 * 4, 17 * 4).map(lambda q: q * 15),
        st.integers(1, 40).map(lambda q: q * 15),
    ),
    max_size=60,
)
staff_spans = st.lists(
    st.tuples(
        st.sampled_from(STAFF_IDS),
        st.integers(0, 90),
        st.integers(8 * 4, 17 * 4).map(lambda q: q * 15),
        st.integers(1, 40).map(lambda q: q * 15),
    ),
    max_size=30,
)
closures = st.lists(st.integers(0, 60), max_size=3)


# Mondays whose courses cross New York's DST start (2026-03-08) or end (2026-11-01) or neither.
BASES = [date(2026, 3, 2), MONDAY, date(2026, 10, 19)]


def at(base: date, day_offset: int, minute: int) -> datetime:
    return local(base + timedelta(days=day_offset), 0) + timedelta(minutes=minute)


def world_build(base: date, seats, staff, closed) -> World:
    days = [base + timedelta(days=d) for d in closed]
    world = World(calendar=ClinicCalendar(NY, CLINIC_HOURS, tuple((d, d) for d in days)))
    for seat_id, day, minute, length in seats:
        world.busy_seat(seat_id, at(base, day, minute), at(base, day, minute + length))
    for staff_id, day, minute, length in staff:
        world.busy_staff(staff_id, at(base, day, minute), at(base, day, minute + length))
    return world


@PROPERTY
@given(
    base=st.sampled_from(BASES),
    slug=st.sampled_from(SLUGS),
    start_offset=st.integers(0, 6),
    prefs=preferences(),
    seats=busy_spans,
    staff=staff_spans,
    closed=closures,
    now_offset=st.integers(0, 4 * 24 * 60),
)
def test_every_placed_session_keeps_every_rule(
    base, slug, start_offset, prefs, seats, staff, closed, now_offset
):
    world = world_build(base, seats, staff, closed)
    boards = world.boards()
    start = base + timedelta(days=start_offset)
    now = local(base, 0) + timedelta(minutes=now_offset)

    result = plan_expand(
        phases=RULES[slug], start_date=start, prefs=prefs, boards=boards, now=now, max_steps=4000
    )

    assert (
        plan_violations(result, RULES[slug], start_date=start, prefs=prefs, boards=boards, now=now)
        == []
    )
    assert [s.ordinal for s in result.slots] == list(range(1, len(result.slots) + 1))


@settings(PROPERTY, max_examples=25)
@given(
    plans=st.lists(
        st.tuples(st.sampled_from(SLUGS), st.integers(0, 13), preferences()),
        min_size=20,
        max_size=20,
    ),
    seats=busy_spans,
)
def test_booking_twenty_plans_never_double_books_a_seat(plans, seats):
    world = world_build(MONDAY, seats, [], [])
    booked = []
    for slug, start_offset, prefs in plans:
        boards = world.boards()
        start = MONDAY + timedelta(days=start_offset)
        result = plan_expand(
            phases=RULES[slug],
            start_date=start,
            prefs=prefs,
            boards=boards,
            now=NOW,
            max_steps=3000,
        )
        booked.append((slug, start, prefs, boards, result))

    # Checked after all twenty: each hold must overlap nothing but itself on the final boards.
    for slug, start, prefs, boards, result in booked:
        assert (
            plan_violations(
                result, RULES[slug], start_date=start, prefs=prefs, boards=boards, now=NOW
            )
            == []
        )


@PROPERTY
@given(
    slug=st.sampled_from(SLUGS),
    prefs=preferences(),
    seats=busy_spans,
    pick=st.integers(0, 100),
    shift_days=st.integers(-3, 4),
    shift_quarters=st.integers(-8, 8),
)
def test_cascade_leaves_a_plan_that_keeps_the_cadence(
    slug, prefs, seats, pick, shift_days, shift_quarters
):
    phases = RULES[slug]
    world = world_build(MONDAY, seats, [], [])
    boards = world.boards()
    booked = plan_expand(phases=phases, start_date=MONDAY, prefs=prefs, boards=boards, now=NOW)
    placed = [s for s in booked.slots if s.placement is not None]
    if len(placed) < 2:
        return
    moved = placed[pick % (len(placed) - 1)]
    for slot in placed:
        if slot.ordinal >= moved.ordinal:
            board_release(boards[slot.session_type_id], slot.placement)
    spec = next(p.spec for p in phases if p.key == moved.phase_key)
    new_start = moved.placement.start + timedelta(days=shift_days, minutes=15 * shift_quarters)
    new = placement_check(boards[moved.session_type_id], spec, new_start, now=NOW)
    if not isinstance(new, Placement):
        new = moved.placement
    board_reserve(boards[moved.session_type_id], new)
    current = {s.ordinal: s.placement.start for s in placed}
    current[moved.ordinal] = new.start

    later = plan_cascade(
        phases=phases,
        start_date=MONDAY,
        prefs=prefs,
        boards=boards,
        now=NOW,
        current=current,
        moved_ordinal=moved.ordinal,
    )

    assert [s.ordinal for s in later] == [s.ordinal for s in placed if s.ordinal > moved.ordinal]
    earlier = [
        PlannedSlot(s.ordinal, s.phase_key, s.session_type_id, s.placement, s.reason, fixed=True)
        for s in booked.slots
        if s.ordinal < moved.ordinal
    ]
    moved_slot = PlannedSlot(moved.ordinal, moved.phase_key, moved.session_type_id, new, None)
    # Kept sessions count as free here: staying is only allowed if they still keep the rules.
    after = [
        PlannedSlot(s.ordinal, s.phase_key, s.session_type_id, s.placement, s.reason) for s in later
    ]
    missing = [
        PlannedSlot(s.ordinal, s.phase_key, s.session_type_id, None, "not booked")
        for s in booked.slots
        if s.ordinal > moved.ordinal and s.placement is None
    ]
    plan = PlanResult(sorted([*earlier, moved_slot, *after, *missing], key=lambda s: s.ordinal))
    assert (
        plan_violations(
            plan,
            phases,
            start_date=MONDAY,
            prefs=prefs,
            boards=boards,
            now=NOW,
            pinned=(moved.ordinal,),
        )
        == []
    )
