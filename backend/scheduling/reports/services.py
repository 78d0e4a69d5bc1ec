"""Utilization report: load a clinic's rooms and a window of holds, let the pure module count.

Five queries whatever the size: the clinic, its opening hours, its closures, the active
seats with their rooms, and one query for the session/recovery holds in the window (with
their appointments' no-show status). The database returns, per seat and kind of hold, the
list of start minutes and the list of end minutes: one row per seat instead of one per hold,
parsed in C. The two lists need not be in the same order: the report depends only on which
starts and ends a seat has (see ``domain.utilization``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from backend.common.db import EpochMinutes, IntegerList
from backend.common.errors import InvalidInput
from backend.scheduling.booking.capacity import peak_load
from backend.scheduling.booking.fetch import (
    MAX_HOLD_SPAN,
    calendar_of,
    clinic_capacity_fetch,
    clinic_fetch,
    local_window,
)
from backend.scheduling.booking.models import Appointment, AppointmentStatus, Hold, HoldKind
from backend.scheduling.reports.utilization import (
    GRANULARITIES,
    MAX_DAYS,
    RoomRef,
    SeatSpans,
    UtilizationReport,
    utilization_compute,
)
from backend.scheduling.resources.intervals import Span
from backend.scheduling.resources.models import Clinic, Seat


@dataclass(frozen=True)
class MonitorLoad:
    """The worst moment of monitored recovery in the window, next to the clinic's ratio."""

    recovering_per_monitor: int
    peak_recovering: int
    monitors_at_peak: int
    peak_recovering_per_monitor: float | None  # inf: patients recovering with no monitor


@dataclass(frozen=True)
class UtilizationResult:
    clinic: Clinic
    report: UtilizationReport
    monitoring: MonitorLoad | None = None


def utilization_check(*, date_from: date, date_to: date, granularity: str) -> None:
    """InvalidInput naming the field for a range the report refuses."""
    if date_to < date_from:
        raise InvalidInput("date_to", "date_to must not be before date_from.")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise InvalidInput(
            "date_to", f"A report covers at most {MAX_DAYS} days; shorten the range."
        )
    if granularity not in GRANULARITIES:
        raise InvalidInput("granularity", f"Choose one of: {', '.join(GRANULARITIES)}.")


def rooms_fetch(clinic: Clinic) -> list[RoomRef]:
    """Active rooms with at least one active seat, by name; capacity is the active seats."""
    rows = (
        Seat.objects.filter(room__clinic=clinic, room__active=True, active=True)
        .order_by("room__name", "room_id", "id")
        .values_list("room_id", "room__name", "room__kind", "id")
    )
    seats: dict[int, list[int]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for room_id, name, kind, seat_id in rows:
        seats[room_id].append(seat_id)
        names[room_id] = (name, kind)
    return [
        RoomRef(
            room_id=room_id, name=names[room_id][0], kind=names[room_id][1], seat_ids=tuple(ids)
        )
        for room_id, ids in seats.items()
    ]


def seat_spans_fetch(*, clinic: Clinic, seat_ids: list[int], window: Span) -> dict[int, SeatSpans]:
    """Every session/recovery hold on the seats that touches the window, per seat (1 query).

    Used: the active holds, exactly what booking treats as occupied. No-show: the inactive
    holds of no-show appointments (marking a no-show deactivates them in the same
    transaction, as cancelling does). Other inactive holds (cancelled) never count.
    """
    if not seat_ids:
        return {}
    no_shows = Appointment.objects.filter(
        clinic=clinic,
        status=AppointmentStatus.NO_SHOW,
        start__gte=window.start - MAX_HOLD_SPAN,
        start__lt=window.end,
    ).values("id")
    kinds = {
        "session": Q(active=True, kind=HoldKind.SESSION),
        "recovery": Q(active=True, kind=HoldKind.RECOVERY),
        "no_show": Q(active=False),
    }
    lists = {
        f"{kind}_{edge}": IntegerList(EpochMinutes(edge), filter=condition)
        for kind, condition in kinds.items()
        for edge in ("start", "end")
    }
    rows = (
        Hold.objects.filter(
            # Only inactive holds are looked up in the (small) set of no-show appointments.
            Q(active=True) | Q(appointment_id__in=no_shows),
            seat_id__in=seat_ids,
            kind__in=(HoldKind.SESSION, HoldKind.RECOVERY),
            # The lower bound on start lets the (seat, start) index bound the scan.
            start__gte=window.start - MAX_HOLD_SPAN,
            start__lt=window.end,
            end__gt=window.start,
        )
        .values("seat_id")
        .annotate(**lists)
        .values_list("seat_id", *lists)
        # Grouping by seat alone follows the (seat, start) index: no sort.
        .order_by()
    )
    return {seat_id: SeatSpans(*columns) for seat_id, *columns in rows}


def utilization_report(
    *, clinic_id: int, date_from: date, date_to: date, granularity: str = "day"
) -> UtilizationResult:
    """Room utilization of a clinic over local dates ``date_from``..``date_to`` inclusive."""
    utilization_check(date_from=date_from, date_to=date_to, granularity=granularity)
    try:
        clinic = clinic_fetch(clinic_id)
    except Clinic.DoesNotExist:
        raise InvalidInput("clinic", f"There is no clinic with id {clinic_id}.") from None
    calendar = calendar_of(clinic)
    rooms = rooms_fetch(clinic)
    window = local_window(calendar, date_from, date_to)
    holds = seat_spans_fetch(
        clinic=clinic,
        seat_ids=[seat_id for room in rooms for seat_id in room.seat_ids],
        window=window,
    )
    report = utilization_compute(
        calendar=calendar,
        rooms=rooms,
        holds=holds,
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
    )
    capacity = clinic_capacity_fetch(clinic=clinic, calendar=calendar, window=window)
    peak = peak_load(list(capacity.recovering), list(capacity.monitors), window.start, window.end)
    monitoring = MonitorLoad(
        recovering_per_monitor=clinic.recovering_per_monitor,
        peak_recovering=peak[0],
        monitors_at_peak=peak[1],
        peak_recovering_per_monitor=peak[2],
    )
    return UtilizationResult(clinic=clinic, report=report, monitoring=monitoring)
