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

from backend.scheduling.domain.availability import (
    Board,
    Placement,
    board_reserve,
    placement_check,
)
from backend.scheduling.domain.intervals import aware_to_utc

from .cadence import OPEN_WINDOW_DAYS, SessionDef, Window, layout_build, window_build
from .expand import boards_check
from .reasons import reason_no_fit, reason_waiting
from .rules import PhaseRule, PlannedSlot, Preferences, phases_validate, preferences_validate
from .search import Notes, Run, calendar_of, days_pick, options_iter


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
    would have had. Moves honour the patient's weekdays and time window; staying does not
    require them, since the session was booked as it is.
    """
    phases_validate(phases)
    preferences_validate(prefs)
    boards_check(phases, boards)
    if moved_ordinal not in current:
        raise ValueError(f"current has no start for the moved session {moved_ordinal}")
    layout = layout_build(phases)
    run = Run(calendar=calendar_of(boards), now=now, prefs=prefs, max_steps=max_steps)
    starts = {o: aware_to_utc(s, "current start") for o, s in current.items()}
    dates = {o: run.local_date(s) for o, s in starts.items() if o <= moved_ordinal}
    ends: dict[int, datetime] = {}
    for ordinal in dates:
        session = layout.session(ordinal)
        if session is not None:
            ends[ordinal] = starts[ordinal] + session.phase.spec.total
    real = set(dates)
    time_window = prefs.earliest is not None or prefs.latest is not None
    slots: list[PlannedSlot] = []

    for session in layout.sessions:
        ordinal = session.ordinal
        if ordinal <= moved_ordinal or ordinal not in starts:
            continue
        phase = session.phase
        board = boards[phase.session_type_id]
        start = starts[ordinal]
        day = run.local_date(start)

        if session.follows is not None and session.follows not in real:
            if session.follows in starts:
                reason = reason_waiting(
                    ordinal=ordinal,
                    phase=phase,
                    followed=session.follows,
                    followed_phase=layout.sessions[session.follows - 1].phase.name,
                )
                slots.append(_slot(session, None, reason))
                continue
            # The session it follows is not booked at all: nothing to keep it near but itself.
            window = Window(lo=day, hi=day)
        else:
            window = window_build(layout, session, dates, start_date)

        if window.holds(day):
            run.used += 1
            result = placement_check(
                board, phase.spec, start, now=run.now, preferred_staff_id=prefs.staff_id
            )
            if isinstance(result, Placement):
                board_reserve(board, result)
                dates[ordinal], ends[ordinal] = day, result.recovery_end
                real.add(ordinal)
                slots.append(_slot(session, result, None, kept=True))
                continue

        notes = Notes()
        last = window.hi
        if last is None:
            last = max(window.lo, day) + timedelta(days=OPEN_WINDOW_DAYS)
        days = days_pick(run, window, notes, around=day, last=last)
        followed_end = ends.get(session.follows) if session.follows is not None else None
        options = options_iter(
            run,
            board,
            phase.spec,
            days,
            notes,
            prefer_time=run.local_time(start),
            not_before=followed_end,
        )
        placement = next(options, None)
        if placement is not None:
            board_reserve(board, placement)
            dates[ordinal] = run.local_date(placement.start)
            ends[ordinal] = placement.recovery_end
            real.add(ordinal)
            slots.append(_slot(session, placement, None))
            continue
        reason = reason_no_fit(
            ordinal=ordinal,
            phase=phase,
            window=window,
            notes=notes,
            start_date=start_date,
            weekdays=prefs.weekdays,
            time_window=time_window,
        )
        slots.append(_slot(session, None, reason))
        # Later sessions keep their cadence from where this one would at best have been.
        dates[ordinal] = window.clamp(day)
    return slots
