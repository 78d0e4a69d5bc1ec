"""``plan_cascade``: after one session of a booked plan moved, move the later ones as little
as the cadence needs.

A later session that still keeps every rule from its (possibly new) predecessor and whose
start still passes the placement check stays exactly where it is. Only a session that breaks
a gap, its grid week or its follow-up window moves, to the allowed start nearest its current
one (same time of day first), and only then can the sessions after it have to move too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from backend.plans.engine.cadence import (
    OPEN_WINDOW_DAYS,
    Layout,
    SessionDef,
    Window,
    layout_build,
    window_build,
)
from backend.plans.engine.expand import boards_check
from backend.plans.engine.reasons import reason_no_fit, reason_waiting
from backend.plans.engine.rules import (
    PhaseRule,
    PlannedSlot,
    Preferences,
    phases_validate,
    preferences_validate,
)
from backend.plans.engine.search import Notes, Run, calendar_of, days_pick, options_iter
from backend.scheduling.booking.availability import Board, Placement, board_reserve, placement_try
from backend.scheduling.resources.intervals import aware_to_utc


def _slot(
    session: SessionDef, placement: Placement | None, reason: str | None, kept: bool = False
) -> PlannedSlot:
    return PlannedSlot(
        ordinal=session.ordinal,
        phase_key=session.phase.key,
        session_type_id=session.phase.session_type_id,
        placement=placement,
        reason=reason,
        fixed=kept,
    )


class _Cascade:
    """The dates, ends and reservations of one cascade, walked in ordinal order."""

    def __init__(
        self,
        *,
        layout: Layout,
        start_date: date,
        boards: Mapping[int, Board],
        run: Run,
        starts: Mapping[int, datetime],
        moved_ordinal: int,
    ) -> None:
        self.layout = layout
        self.start_date = start_date
        self.boards = boards
        self.run = run
        self.starts = starts
        self.dates: dict[int, date] = {}
        self.ends: dict[int, datetime] = {}
        for ordinal, start in starts.items():
            session = layout.session(ordinal)
            if ordinal <= moved_ordinal and session is not None:
                self.anchor(ordinal, start, start + session.phase.spec.total)

    def anchor(self, ordinal: int, start: datetime, end: datetime) -> None:
        self.dates[ordinal] = self.run.local_date(start)
        self.ends[ordinal] = end

    def reserve(self, session: SessionDef, placement: Placement) -> None:
        board_reserve(self.boards[session.phase.session_type_id], placement)
        self.anchor(session.ordinal, placement.start, placement.recovery_end)

    def window(self, session: SessionDef, day: date) -> Window | None:
        """The session's window now, or None if the session it follows could not be kept."""
        followed = session.follows
        if followed is not None and followed not in self.ends:
            if followed in self.starts:
                return None
            # The session it follows is not booked at all: nothing to keep it near but itself.
            return Window(lo=day, hi=day)
        return window_build(self.layout, session, self.dates, self.start_date)

    def stay(self, session: SessionDef, start: datetime, window: Window) -> Placement | None:
        if not window.holds(self.run.local_date(start)):
            return None
        self.run.used += 1
        result = placement_try(
            self.boards[session.phase.session_type_id],
            session.phase.spec,
            start,
            now=self.run.now,
            preferred_staff_id=self.run.prefs.staff_id,
        )
        return result if isinstance(result, Placement) else None

    def move(
        self, session: SessionDef, start: datetime, window: Window, notes: Notes
    ) -> Placement | None:
        day = self.run.local_date(start)
        last = window.hi
        if last is None:
            last = max(window.lo, day) + timedelta(days=OPEN_WINDOW_DAYS)
        days = days_pick(self.run, window, notes, around=day, last=last)
        followed = session.follows
        options = options_iter(
            self.run,
            self.boards[session.phase.session_type_id],
            session.phase.spec,
            days,
            notes,
            prefer_time=self.run.local_time(start),
            not_before=self.ends.get(followed) if followed is not None else None,
        )
        return next(options, None)

    def slot(self, session: SessionDef) -> PlannedSlot | None:
        ordinal, phase = session.ordinal, session.phase
        start = self.starts[ordinal]
        day = self.run.local_date(start)
        if start < self.run.now:
            # It has already started: history anchors what follows but is never moved, and it
            # is left out of the answer so the caller leaves it alone.
            self.anchor(ordinal, start, start + phase.spec.total)
            return None
        window = self.window(session, day)
        if window is None:
            assert session.follows is not None
            reason = reason_waiting(
                ordinal=ordinal,
                phase=phase,
                followed=session.follows,
                followed_phase=self.layout.sessions[session.follows - 1].phase.name,
            )
            return _slot(session, None, reason)
        kept = self.stay(session, start, window)
        if kept is not None:
            self.reserve(session, kept)
            return _slot(session, kept, None, kept=True)
        notes = Notes()
        moved = self.move(session, start, window, notes)
        if moved is not None:
            self.reserve(session, moved)
            return _slot(session, moved, None)
        prefs = self.run.prefs
        reason = reason_no_fit(
            ordinal=ordinal,
            phase=phase,
            window=window,
            notes=notes,
            start_date=self.start_date,
            weekdays=prefs.weekdays,
            time_window=prefs.earliest is not None or prefs.latest is not None,
        )
        # Later sessions keep their cadence from where this one would at best have been.
        self.dates[ordinal] = window.clamp(day)
        return _slot(session, None, reason)


def plan_cascade(
    *,
    phases: Sequence[PhaseRule],
    start_date: date,
    prefs: Preferences,
    boards: Mapping[int, Board],
    now: datetime,
    current: Mapping[int, datetime],
    moved_ordinal: int,
    max_steps: int = 20_000,
) -> list[PlannedSlot]:
    """The sessions after ``moved_ordinal``: kept (``fixed=True``), moved, or unplaced.

    ``current`` holds the start of every still-booked session, the moved one at its new start.
    The holds of the moved one and of every earlier session are on the boards; those of the
    later ones are not (this reserves the kept and moved starts). Ordinals missing from
    ``current`` are not booked and are skipped; the sessions around them keep the cadence they
    would have had. Later sessions that started before ``now`` anchor the ones after them but
    are not returned. Moves honour the patient's weekdays and time window; staying does not
    require them, since the session was booked as it is.

    A kept session's placement is checked first-fit again and may name another seat or staff
    member than its booking. It has not moved, and no other session of the plan can overlap it
    (a patient never overlaps themselves), so callers may leave its booking untouched.
    """
    phases_validate(phases)
    preferences_validate(prefs)
    boards_check(phases, boards)
    if moved_ordinal not in current:
        raise ValueError(f"current has no start for the moved session {moved_ordinal}")
    layout = layout_build(phases)
    cascade = _Cascade(
        layout=layout,
        start_date=start_date,
        boards=boards,
        run=Run(calendar=calendar_of(boards), now=now, prefs=prefs, max_steps=max_steps),
        starts={o: aware_to_utc(s, "current start") for o, s in current.items()},
        moved_ordinal=moved_ordinal,
    )
    slots = []
    for session in layout.sessions:
        if session.ordinal > moved_ordinal and session.ordinal in cascade.starts:
            slot = cascade.slot(session)
            if slot is not None:
                slots.append(slot)
    return slots
