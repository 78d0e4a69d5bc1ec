"""REMS paperwork: the patient monitoring form due after each discharged Spravato session.

A form row is opened by the discharge itself (same transaction), so no discharged session
that needs one can be missed; a clinician files it once, with the REMS portal's reference.
"""

from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet

from backend.common.errors import Conflict
from backend.common.fields import local_iso
from backend.scheduling.booking.audit import appointment_event_record
from backend.scheduling.booking.models import Appointment
from backend.scheduling.day.models import RemsForm
from backend.scheduling.day.rules import rems_due_on
from backend.scheduling.resources.models import Clinic


def rems_form_open(*, appointment: Appointment, discharged_at: datetime) -> RemsForm:
    """The form for a discharged session, due 7 clinic-local days after the discharge."""
    discharged_on = discharged_at.astimezone(appointment.clinic.zone).date()
    form, _ = RemsForm.objects.get_or_create(
        appointment=appointment, defaults={"due_on": rems_due_on(discharged_on)}
    )
    return form


def rems_due_queryset(*, clinic: Clinic, overdue_on: date | None = None) -> QuerySet[RemsForm]:
    """Unfiled forms of a clinic, soonest deadline first; only overdue ones with ``overdue_on``."""
    forms = (
        RemsForm.objects.filter(appointment__clinic=clinic, filed_at__isnull=True)
        .select_related("appointment__clinic", "appointment__patient", "appointment__session_type")
        .order_by("due_on", "id")
    )
    if overdue_on is not None:
        forms = forms.filter(due_on__lt=overdue_on)
    return forms


def rems_form_file(*, actor, form: RemsForm, now: datetime, reference: str = "") -> RemsForm:
    """Mark a form filed (once): who, when and the portal's reference."""
    with transaction.atomic():
        current = (
            RemsForm.objects.select_for_update(of=("self",))
            .select_related("appointment__clinic", "filed_by")
            .get(pk=form.pk)
        )
        if current.filed_at is not None:
            zone = current.appointment.clinic.zone
            who = f" by {current.filed_by.get_username()}" if current.filed_by else ""
            raise Conflict(
                f"This REMS form was already filed on "
                f"{current.filed_at.astimezone(zone):%Y-%m-%d %H:%M}{who}.",
                extra={"filed_at": local_iso(current.filed_at, zone)},
            )
        current.filed_at = now
        current.filed_by = actor if actor is not None and actor.is_authenticated else None
        current.reference = reference.strip()
        current.save(update_fields=["filed_at", "filed_by", "reference"])
        appointment_event_record(
            current.appointment,
            action="rems_form_filed",
            actor=actor,
            at=now,
            changes={"rems_form": [None, current.reference or "filed"]},
        )
        return current
