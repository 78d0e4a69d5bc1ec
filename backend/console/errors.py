"""Domain errors shown on forms: a named field's message sits next to that field."""

from datetime import datetime
from typing import Any

from django import forms

from backend.common.errors import Conflict, DomainError


def form_error_apply(
    form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Put ``exc``'s field messages on ``form``'s fields (or above the form if unknown).

    ``aliases`` maps a service's field name to the form field that carries it (a plan's
    ``preferences`` error belongs next to the time window, for example).
    """
    aliases = aliases or {}
    placed = False
    for name, messages in (exc.errors or {}).items():
        target = aliases.get(name, name)
        field = target if target in form.fields else None
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field, str(message))
            placed = True
    if not placed and not isinstance(exc, Conflict):
        form.add_error(None, exc.detail)


def conflict_box(exc: DomainError) -> dict[str, Any] | None:
    """What a conflict message box lists: the sentence, what is in the way, a way out."""
    if not isinstance(exc, Conflict):
        return None
    next_free = exc.extra.get("next_free_start")
    return {
        "detail": exc.detail,
        "conflicts": exc.conflicts or [],
        "next_free_start": datetime.fromisoformat(next_free) if next_free else None,
    }
