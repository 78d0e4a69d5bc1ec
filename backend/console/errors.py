"""Domain errors shown on forms: a named field's message sits next to that field.

``domain_error_show`` is the one way a console view shows a refused write: it puts the
error's messages on the form and says which status and conflict box the page renders.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms

from backend.common.errors import Conflict, DomainError


@dataclass(frozen=True)
class ErrorShown:
    """How the page re-renders after a refused write."""

    status: int
    """409 for a conflict with the current state, else 400."""
    conflict: dict[str, Any] | None
    """The conflict message box, or None when the messages sit on the form."""


def domain_error_show(
    exc: DomainError,
    form: forms.Form | None = None,
    *,
    aliases: dict[str, str] | None = None,
) -> ErrorShown:
    """Put ``exc``'s messages on ``form`` and say how to re-render the page.

    Field messages go next to their fields (``aliases`` maps a service's field name to the
    form field that carries it: a plan's ``preferences`` error belongs next to the time
    window, for example). A conflict that names no field becomes a message box listing
    what is in the way; without a form, every error becomes that box.
    """
    if form is None:
        box = _conflict_box(exc) or {"detail": exc.detail, "conflicts": [], "next_free_start": None}
    else:
        _fields_apply(form, exc, aliases=aliases or {})
        box = None if exc.errors else _conflict_box(exc)
    return ErrorShown(status=409 if isinstance(exc, Conflict) else 400, conflict=box)


def _fields_apply(form: forms.Form, exc: DomainError, *, aliases: dict[str, str]) -> None:
    """``exc``'s field messages on ``form``'s fields (or above the form if unknown)."""
    placed = False
    for name, messages in (exc.errors or {}).items():
        target = aliases.get(name, name)
        field = target if target in form.fields else None
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field, str(message))
            placed = True
    if not placed and not isinstance(exc, Conflict):
        form.add_error(None, exc.detail)


def _conflict_box(exc: DomainError) -> dict[str, Any] | None:
    """What a conflict message box lists: the sentence, what is in the way, a way out."""
    if not isinstance(exc, Conflict):
        return None
    next_free = exc.extra.get("next_free_start")
    return {
        "detail": exc.detail,
        "conflicts": exc.conflicts or [],
        "next_free_start": datetime.fromisoformat(next_free) if next_free else None,
    }
