"""The audit trail: every change to an appointment, who made it and when."""

from datetime import datetime
from typing import Any

from backend.scheduling.booking.models import Appointment, AppointmentEvent


def appointment_event_record(
    appointment: Appointment,
    *,
    action: str,
    actor,
    at: datetime,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AppointmentEvent:
    return AppointmentEvent.objects.create(
        appointment=appointment,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=at,
        changes=changes or {},
        note=note,
    )


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {name: [before[name], after[name]] for name in after if before.get(name) != after[name]}
