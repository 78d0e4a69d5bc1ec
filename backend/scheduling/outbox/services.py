"""Write outbox events inside the transaction of the change they report.

``outbox_emit`` refuses to run outside a transaction: an event written on its own could
survive a change that rolled back, or be missing for one that committed. After the
transaction commits, ``events_committed`` fires once (not once per event), so a consumer
can wake a worker at once instead of waiting for its next scheduled sweep. The signal is
only a hint: consumers must also sweep undispatched events, because a process can die
between the commit and the signal.

Payload builders take the changed rows duck-typed (an appointment, a plan) so that this
module, below booking, imports neither.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from backend.common.db import rows_insert
from backend.scheduling.outbox.models import EventType, OutboxEvent

# Sent (robustly) after a transaction that wrote outbox events has committed, with
# ``types``: the set of the types of those events.
events_committed = Signal()


class OutboxOutsideTransaction(RuntimeError):
    """An event was emitted outside the transaction of the change it reports."""


@dataclass(frozen=True)
class NewEvent:
    clinic_id: int
    type: str
    subject: str
    data: dict[str, Any]


def utc_iso(value: datetime | None) -> str | None:
    """A stored instant as ISO 8601 in UTC; consumers render it in the clinic's zone."""
    return value.astimezone(UTC).isoformat() if value is not None else None


class _Committed:
    """The one after-commit callback of a transaction: sends ``events_committed`` with the
    types of every event the transaction wrote, so a consumer can skip what does not
    concern it (a booking frees no seat for the waitlist)."""

    __slots__ = ("types",)

    def __init__(self) -> None:
        self.types: set[str] = set()

    def __call__(self) -> None:
        events_committed.send_robust(sender=OutboxEvent, types=frozenset(self.types))


def _notify_on_commit(types: Iterable[str], using: str | None = None) -> None:
    connection = transaction.get_connection(using)
    # One notification per transaction, however many events it wrote. A rolled-back
    # savepoint drops its callbacks, so a later emit registers again.
    for entry in connection.run_on_commit:
        if isinstance(entry[1], _Committed):
            entry[1].types.update(types)
            return
    callback = _Committed()
    callback.types.update(types)
    transaction.on_commit(callback, using=using, robust=True)


def outbox_rows_build(events: Sequence[NewEvent], *, now: datetime) -> list[OutboxEvent]:
    """The rows of several events, not yet written: the caller writes them in the open
    transaction of the change they report (with its other rows, in one statement)."""
    if not events:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise OutboxOutsideTransaction(
            "outbox events must be written in the transaction of the change they report"
        )
    unknown = {e.type for e in events} - set(EventType.values)
    if unknown:
        raise ValueError(f"unknown outbox event type(s): {sorted(unknown)}")
    # Registered before the write: if the write fails, the transaction (or savepoint)
    # rolls back and takes the callback with it.
    _notify_on_commit(e.type for e in events)
    return [
        OutboxEvent(
            clinic_id=e.clinic_id, type=e.type, subject=e.subject, data=e.data, created_at=now
        )
        for e in events
    ]


def outbox_emit_many(events: Sequence[NewEvent], *, now: datetime) -> list[OutboxEvent]:
    """Write several events in one statement; the caller's transaction must be open."""
    return rows_insert(outbox_rows_build(events, now=now))


def outbox_emit(
    *, clinic_id: int, type: str, data: dict[str, Any], now: datetime, subject: str = ""
) -> OutboxEvent:
    """Write one event in the caller's transaction."""
    if not subject:
        kind = type.split(".", 1)[0]
        subject = f"{kind}:{data.get(kind, '')}"
    return outbox_emit_many([NewEvent(clinic_id, type, subject, data)], now=now)[0]


# --- Payloads: ids, times, status and sequence; no names, no notes ---------------------------


def appointment_event(appointment: Any, type: str) -> NewEvent:
    """The event for a change to one appointment (an ``Appointment`` row)."""
    return NewEvent(
        clinic_id=appointment.clinic_id,
        type=type,
        subject=f"appointment:{appointment.id}",
        data={
            "clinic": appointment.clinic_id,
            "appointment": appointment.id,
            "patient": appointment.patient_id,
            "plan": appointment.plan_id,
            "start": utc_iso(appointment.start),
            "end": utc_iso(appointment.end),
            "status": appointment.status,
            "sequence": appointment.sequence,
        },
    )


def appointments_emit(appointments: Iterable[Any], *, type: str, now: datetime) -> None:
    outbox_emit_many([appointment_event(a, type) for a in appointments], now=now)


def appointments_event_rows(
    appointments: Iterable[Any], *, type: str, now: datetime
) -> list[OutboxEvent]:
    """``appointments_emit``'s rows, for the caller to write with its own."""
    return outbox_rows_build([appointment_event(a, type) for a in appointments], now=now)


def plan_emit(plan: Any, *, type: str, now: datetime, appointments: Sequence[Any]) -> None:
    """The event for a change to a plan (a ``TreatmentPlan`` row) and the appointments it
    booked or cancelled. Plans have no calendar sequence of their own: ``sequence`` counts
    the plan's earlier events, so a receiver can order them."""
    subject = f"plan:{plan.id}"
    earlier = OutboxEvent.objects.filter(subject=subject).count()
    starts = [a.start for a in appointments]
    ends = [a.end for a in appointments]
    data = {
        "clinic": plan.clinic_id,
        "plan": plan.id,
        "patient": plan.patient_id,
        "start": utc_iso(min(starts)) if starts else None,
        "end": utc_iso(max(ends)) if ends else None,
        "status": plan.status,
        "sequence": earlier,
        "appointments": [a.id for a in appointments],
    }
    outbox_emit_many([NewEvent(plan.clinic_id, type, subject, data)], now=now)
