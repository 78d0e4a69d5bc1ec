"""``plan_expand``: a template's phases turned into placed sessions, or reasons why not.

Sessions are placed in ordinal order. Follow-up phases (integration) come after the phase they
follow in the template, so each follow-up is placed once its session has a date. A session
takes the first day of its window (the weekly-rhythm day first) that has a start passing
``placement_check``, and reserves it on the shared boards so later sessions see it. When a
session fits nowhere, a bounded backtrack moves the few sessions just before it in the same
phase; if that fails too, the session gets a reason and the rest of the course is still
planned from the earliest date it could have had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from types import MappingProxyType

from backend.plans.engine.cadence import Layout, SessionDef, Window, layout_build, window_build
from backend.plans.engine.reasons import reason_no_fit, reason_pin, reason_waiting
from backend.plans.engine.rules import (
    PhaseRule,
    PlannedSlot,
    PlanResult,
    Preferences,
    phases_validate,
    preferences_validate,
)
from backend.plans.engine.search import Notes, Run, calendar_of, days_pick, options_iter
from backend.scheduling.booking.availability import (
    Board,
    Placement,
    SeatRef,
    StaffRef,
    board_release,
    board_reserve,
    placement_check,
)
from backend.scheduling.resources.intervals import Span, Timeline, aware_to_utc

# How many earlier sessions of the same phase a failing session may move, and how many checks
# one such repair may spend: enough to slide a few sessions around a full day, little enough
# that a hopeless calendar fails in milliseconds.
BACKTRACK_DEPTH = 3
REPAIR_CHECKS = 600

# Stands in for the seat of a kept session whose holds the boards do not show; callers keep
# such sessions as they are and never book this placement.
UNKNOWN_SEAT = SeatRef(seat_id=0, room_id=0, label="(already booked)")

_NO_STARTS: Mapping[int, datetime] = MappingProxyType({})


def time_key(phase: PhaseRule) -> str:
    """Sessions sharing a key share a preferred time of day: every dosing phase shares one."""
    return "dosing" if phase.spec.is_dosing else f"phase:{phase.key}"


def _seat_holding(
    seats: Sequence[SeatRef], busy: dict[int, Timeline], span: Span
) -> SeatRef | None:
    for seat in seats:
        timeline = busy.get(seat.seat_id)
        if timeline is not None and span in timeline.conflicts(span):
            return seat
    return None


def _staff_holding(
    staff: Sequence[StaffRef], busy: dict[int, Timeline], span: Span
) -> StaffRef | None:
    for member in staff:
        timeline = busy.get(member.staff_id)
        if timeline is not None and span in timeline.conflicts(span):
            return member
    return None


def placement_recover(board: Board, phase: PhaseRule, start: datetime) -> Placement:
    """The placement of an already-booked session, read back from the holds on the board."""
    spec = phase.spec
    start = aware_to_utc(start, "start")
    end = start + spec.in_room
    recovery_end = start + spec.total
    seat = _seat_holding(board.session_seats, board.seat_busy, Span(start, end))
    recovery_seat = None
    if recovery_end > end and not spec.recovery_same_seat:
        recovery_seat = _seat_holding(
            board.recovery_seats, board.seat_busy, Span(end, recovery_end)
        )
    staff = None
    if spec.needs_staff:
        staff = _staff_holding(board.staff, board.staff_busy, Span(start, end))
    return Placement(
        start=start,
        end=end,
        recovery_end=recovery_end,
        seat=seat or UNKNOWN_SEAT,
        recovery_seat=recovery_seat,
        staff=staff,
        dosing_day=board.calendar.local_date(start) if spec.is_dosing else None,
    )


def boards_check(phases: Sequence[PhaseRule], boards: Mapping[int, Board]) -> None:
    for phase in phases:
        if phase.session_type_id not in boards:
            raise ValueError(
                f"No board for session type {phase.session_type_id} (phase '{phase.key}')"
            )


class _Expansion:
    """The mutable state of one expansion: dates so far, placements, preferred times."""

    def __init__(
        self,
        *,
        layout: Layout,
        start_date: date,
        boards: Mapping[int, Board],
        run: Run,
        fixed: Mapping[int, datetime],
        pinned: Mapping[int, datetime],
    ) -> None:
        self.layout = layout
        self.start_date = start_date
        self.boards = boards
        self.run = run
        self.fixed = {o: aware_to_utc(s, "fixed start") for o, s in fixed.items()}
        self.pinned = {
            o: aware_to_utc(s, "pinned start") for o, s in pinned.items() if o not in fixed
        }
        self.dates: dict[int, date] = {}
        self.real: set[int] = set()
        self.ends: dict[int, datetime] = {}
        self.placed: dict[int, Placement] = {}
        self.slots: dict[int, PlannedSlot] = {}
        self.times: dict[str, time] = {}
        # Kept and pinned sessions are decided before the sessions in front of them are
        # placed, so those must leave room for the cadence up to them.
        self.ahead = {o: run.local_date(s) for o, s in (self.fixed | self.pinned).items()}

    def board(self, session: SessionDef) -> Board:
        return self.boards[session.phase.session_type_id]

    def result(self) -> PlanResult:
        for ordinal, start in sorted(self.fixed.items()):
            session = self.layout.session(ordinal)
            if session is not None:
                self.times.setdefault(time_key(session.phase), self.run.local_time(start))
        for session in self.layout.sessions:
            if session.ordinal in self.fixed:
                self.keep(session)
            elif session.ordinal in self.pinned:
                self.pin(session)
            elif session.follows is not None:
                self.follow(session)
            else:
                self.place(session)
        return PlanResult([self.slots[o] for o in sorted(self.slots)])

    # --- bookkeeping -------------------------------------------------------------------------

    def mark(self, ordinal: int, placement: Placement) -> None:
        self.dates[ordinal] = self.run.local_date(placement.start)
        self.real.add(ordinal)
        self.ends[ordinal] = placement.recovery_end

    def commit(self, session: SessionDef, placement: Placement) -> None:
        board_reserve(self.board(session), placement)
        self.placed[session.ordinal] = placement
        self.mark(session.ordinal, placement)
        self.times.setdefault(time_key(session.phase), self.run.local_time(placement.start))
        self.slots[session.ordinal] = self.slot(session, placement, None)

    def uncommit(self, session: SessionDef, placement: Placement) -> None:
        board_release(self.board(session), placement)
        ordinal = session.ordinal
        del self.placed[ordinal], self.dates[ordinal], self.ends[ordinal], self.slots[ordinal]
        self.real.discard(ordinal)

    def slot(
        self,
        session: SessionDef,
        placement: Placement | None,
        reason: str | None,
        fixed: bool = False,
    ) -> PlannedSlot:
        return PlannedSlot(
            ordinal=session.ordinal,
            phase_key=session.phase.key,
            session_type_id=session.phase.session_type_id,
            placement=placement,
            reason=reason,
            fixed=fixed,
        )

    def fail(self, session: SessionDef, window: Window, notes: Notes) -> None:
        reason = reason_no_fit(
            ordinal=session.ordinal,
            phase=session.phase,
            window=window,
            notes=notes,
            start_date=self.start_date,
            weekdays=self.run.prefs.weekdays,
            time_window=self.run.prefs.earliest is not None or self.run.prefs.latest is not None,
        )
        self.slots[session.ordinal] = self.slot(session, None, reason)
        # The rest of the course is still proposed, spaced from the earliest date this one
        # could have had.
        self.dates[session.ordinal] = window.lo

    # --- the kinds of session ----------------------------------------------------------------

    def keep(self, session: SessionDef) -> None:
        placement = placement_recover(
            self.board(session), session.phase, self.fixed[session.ordinal]
        )
        self.mark(session.ordinal, placement)
        self.slots[session.ordinal] = self.slot(session, placement, None, fixed=True)

    def pin(self, session: SessionDef) -> None:
        start = self.pinned[session.ordinal]
        self.run.used += 1
        result = placement_check(
            self.board(session),
            session.phase.spec,
            start,
            now=self.run.now,
            preferred_staff_id=self.run.prefs.staff_id,
        )
        if isinstance(result, Placement):
            self.commit(session, result)
            return
        reason = reason_pin(
            ordinal=session.ordinal,
            phase=session.phase,
            start=start,
            clashes=result,
            zone=self.run.zone,
        )
        self.slots[session.ordinal] = self.slot(session, None, reason)
        self.dates[session.ordinal] = self.run.local_date(start)

    def follow(self, session: SessionDef) -> None:
        followed = session.follows
        assert followed is not None
        if followed not in self.real:
            followed_phase = self.layout.sessions[followed - 1].phase.name
            reason = reason_waiting(
                ordinal=session.ordinal,
                phase=session.phase,
                followed=followed,
                followed_phase=followed_phase,
            )
            self.slots[session.ordinal] = self.slot(session, None, reason)
            return
        window = window_build(self.layout, session, self.dates, self.start_date)
        notes = Notes()
        days = days_pick(self.run, window, notes)
        options = options_iter(
            self.run,
            self.board(session),
            session.phase.spec,
            days,
            notes,
            prefer_time=self.times.get(time_key(session.phase)),
            not_before=self.ends[followed],
        )
        placement = next(options, None)
        if placement is not None:
            self.commit(session, placement)
        else:
            self.fail(session, window, notes)

    def place(self, session: SessionDef) -> None:
        window = self.window(session)
        notes = Notes()
        placement = next(self.options(session, window, notes), None)
        if placement is not None:
            self.commit(session, placement)
        elif notes.budget or not self.repair(session):
            self.fail(session, window, notes)

    # --- search and repair -------------------------------------------------------------------

    def window(self, session: SessionDef) -> Window:
        return window_build(
            self.layout,
            session,
            self.dates,
            self.start_date,
            allowed=self.run.allowed,
            ahead=self.ahead,
        )

    def options(self, session: SessionDef, window: Window, notes: Notes, skip: date | None = None):
        days = days_pick(self.run, window, notes, skip=skip)
        return options_iter(
            self.run,
            self.board(session),
            session.phase.spec,
            days,
            notes,
            prefer_time=self.times.get(time_key(session.phase)),
        )

    def repair(self, session: SessionDef) -> bool:
        """Move up to BACKTRACK_DEPTH earlier sessions of the phase so this one fits too."""
        assert session.chain is not None
        movable: list[SessionDef] = []
        k = session.chain - 1
        while len(movable) < BACKTRACK_DEPTH and k >= 0:
            before = self.layout.chain[k]
            # Kept, pinned and unplaced sessions are walls: nothing behind them helps.
            if (
                before.phase.key != session.phase.key
                or before.ordinal not in self.placed
                or before.ordinal in self.pinned
            ):
                break
            movable.append(before)
            k -= 1
        for depth in range(1, len(movable) + 1):
            if self.run.spent():
                return False
            moving = list(reversed(movable[:depth]))
            originals = [self.placed[s.ordinal] for s in moving]
            for s, placement in zip(reversed(moving), reversed(originals), strict=True):
                self.uncommit(s, placement)
            self.run.fence = self.run.used + REPAIR_CHECKS
            try:
                moved = self.search([*moving, session], 0, self.run.local_date(originals[0].start))
            finally:
                self.run.fence = None
            if moved:
                return True
            for s, placement in zip(moving, originals, strict=True):
                self.commit(s, placement)
        return False

    def search(self, sequence: list[SessionDef], at: int, skip: date | None) -> bool:
        """Depth-first: each session on its options in order, the first one off its old day."""
        if at == len(sequence):
            return True
        session = sequence[at]
        for placement in self.options(session, self.window(session), Notes(), skip=skip):
            self.commit(session, placement)
            if self.search(sequence, at + 1, None):
                return True
            self.uncommit(session, placement)
        return False


def plan_expand(
    *,
    phases: Sequence[PhaseRule],
    start_date: date,
    prefs: Preferences,
    boards: Mapping[int, Board],
    now: datetime,
    fixed: Mapping[int, datetime] = _NO_STARTS,
    pinned: Mapping[int, datetime] = _NO_STARTS,
    max_steps: int = 20_000,
) -> PlanResult:
    """Every session of the template from ``start_date``: placed, kept, or unplaced with a reason.

    ``boards`` (one per session type id) must share their busy state; placed sessions are
    reserved on them, so after the call they hold the whole proposal. ``fixed`` sessions are
    already booked (their holds are on the boards) and are kept and used as anchors; ``pinned``
    starts are checked exactly as given and, if they fail, reported with the clashes. Ordinals
    outside the template are ignored.
    """
    phases_validate(phases)
    preferences_validate(prefs)
    boards_check(phases, boards)
    layout = layout_build(phases)
    run = Run(calendar=calendar_of(boards), now=now, prefs=prefs, max_steps=max_steps)
    expansion = _Expansion(
        layout=layout,
        start_date=start_date,
        boards=boards,
        run=run,
        fixed={o: s for o, s in fixed.items() if layout.session(o) is not None},
        pinned={o: s for o, s in pinned.items() if layout.session(o) is not None},
    )
    return expansion.result()
