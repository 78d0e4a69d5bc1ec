"""One appointment: details, holds, history, and the writes front desk and clinicians make
on it (reschedule with a dry-run preview, cancel, escort, day-of-treatment steps,
discharge). Each write calls one service; domain errors come back next to the field."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.errors import domain_error_show
from backend.console.forms import CancelForm, DischargeForm, EscortForm, RescheduleForm, StepForm
from backend.console.presenters import FLAG_LABELS, steps_allowed
from backend.console.roles import permissions_of
from backend.console.site import page
from backend.plans.models import TreatmentPlan
from backend.plans.services.reschedule import plan_session_reschedule
from backend.scheduling.booking.models import Appointment, AppointmentEvent
from backend.scheduling.booking.services import CANCELLABLE, appointment_cancel
from backend.scheduling.day import rules
from backend.scheduling.day.rules import DischargeChecks
from backend.scheduling.day.services import (
    appointment_check_in,
    appointment_discharge,
    appointment_escort_update,
    appointment_no_show,
    appointment_recover,
    appointment_start,
    board_entry,
    related_or_none,
)
from backend.scheduling.resources.access_log import request_access_record
from backend.scheduling.resources.models import Room, Staff
from backend.scheduling.waitlist.services import waitlist_matches

# URL slug -> (step name in the role rules, service, what the message says happened).
STEPS = {
    "check-in": ("check_in", appointment_check_in, "checked in"),
    "start": ("start", appointment_start, "in session"),
    "recover": ("recover", appointment_recover, "in recovery"),
    "no-show": ("no_show", appointment_no_show, "marked as a no-show"),
}


def appointment_fetch(request: HttpRequest, pk: int) -> Appointment:
    """The appointment, if it belongs to one of the user's clinics (else 404)."""
    return get_object_or_404(
        Appointment.objects.for_user(request.user)
        .with_details()
        .select_related("discharge__clinician", "ride_confirmation", "rems_form", "cancelled_by"),
        pk=pk,
    )


def next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _detail_url(appointment: Appointment) -> str:
    return reverse("console:appointment", args=[appointment.pk])


def _moves(appointment: Appointment, moved: Appointment, cascaded: list[Appointment]) -> list:
    """Rows of a reschedule preview: each session that would move, from where to where."""
    before = {
        a.pk: a
        for a in Appointment.objects.filter(pk__in=[c.pk for c in cascaded]).select_related(
            "room", "staff"
        )
    }
    before[appointment.pk] = appointment
    everyone = [moved, *cascaded]
    rooms = dict(
        Room.objects.filter(id__in={a.room_id for a in everyone}).values_list("id", "name")
    )
    staff = dict(
        Staff.objects.filter(id__in={a.staff_id for a in everyone if a.staff_id}).values_list(
            "id", "name"
        )
    )
    rows = []
    for new in everyone:
        old = before.get(new.pk)
        rows.append(
            {
                "id": new.pk,
                "ordinal": new.ordinal,
                "old_start": old.start if old else None,
                "new_start": new.start,
                "new_end": new.end,
                "room": rooms.get(new.room_id, ""),
                "staff": staff.get(new.staff_id, "") if new.staff_id else "",
                "changed": old is None or old.start != new.start,
            }
        )
    return rows


def appointment_page(
    request: HttpRequest,
    appointment: Appointment,
    *,
    reschedule_form: RescheduleForm | None = None,
    cancel_form: CancelForm | None = None,
    escort_form: EscortForm | None = None,
    moves: list | None = None,
    conflict: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    entry = board_entry(appointment, now=now)
    permissions = permissions_of(request.user)
    events = AppointmentEvent.objects.filter(appointment=appointment).select_related("actor")
    plan = (
        TreatmentPlan.objects.filter(pk=appointment.plan_id).select_related("template").first()
        if appointment.plan_id
        else None
    )
    booked = appointment.status == "booked"
    escort_open = not isinstance(
        rules.transition_check(appointment.status, rules.ESCORT_UPDATE), rules.Refusal
    )
    context = {
        "nav": "patients",
        "appointment": appointment,
        "entry": entry,
        "flags": [(f, FLAG_LABELS.get(f, f)) for f in entry.flags],
        "steps": steps_allowed(entry, can=permissions, now=now),
        "holds": list(appointment.holds.all()),
        "events": events,
        "plan": plan,
        "discharge": related_or_none(appointment, "discharge"),
        "rems_form": related_or_none(appointment, "rems_form"),
        "show_reschedule": booked and permissions["reschedule"],
        "show_cancel": appointment.status in CANCELLABLE and permissions["cancel"],
        "show_escort": escort_open and permissions["escort"],
        "reschedule_form": reschedule_form
        or RescheduleForm(appointment=appointment, initial={"start": appointment.start}),
        "cancel_form": cancel_form or CancelForm(),
        "escort_form": escort_form
        or EscortForm(initial={"name": appointment.escort_name, "phone": appointment.escort_phone}),
        "moves": moves,
        "conflict": conflict,
        "waitlist_matches": waitlist_matches(appointment)
        if appointment.status == "cancelled" and appointment.start > now
        else [],
        "ics_url": reverse("appointment-ics", args=[appointment.pk]),
        "back": _detail_url(appointment),
    }
    return page(
        request, "console/appointment.html", context, clinic=appointment.clinic, status=status
    )


@staff_required
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_fetch(request, pk)
    response = appointment_page(request, appointment)
    patients = {appointment.patient_id: appointment.clinic_id}
    return request_access_record(request, response, patients)


@require_POST
@action_required("reschedule")
def appointment_reschedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_fetch(request, pk)
    if refused := forbidden_unless(request, "reschedule", appointment.clinic_id):
        return refused
    form = RescheduleForm(request.POST, appointment=appointment)
    if not form.is_valid():
        return appointment_page(request, appointment, reschedule_form=form, status=400)
    data = form.cleaned_data
    dry_run = request.POST.get("action") != "confirm"
    try:
        moved, cascaded = plan_session_reschedule(
            actor=request.user,
            appointment=appointment,
            start=data["start"],
            now=timezone.now(),
            staff=data.get("staff"),
            cascade=bool(data.get("cascade")),
            dry_run=dry_run,
        )
    except DomainError as exc:
        shown = domain_error_show(exc, form)
        return appointment_page(
            request, appointment, reschedule_form=form, conflict=shown.conflict, status=shown.status
        )
    if dry_run:
        return appointment_page(
            request, appointment, reschedule_form=form, moves=_moves(appointment, moved, cascaded)
        )
    others = f" and {len(cascaded)} later session(s) of the course" if cascaded else ""
    messages.success(request, f"Appointment moved{others}.")
    return redirect(_detail_url(appointment))


@require_POST
@action_required("cancel")
def appointment_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_fetch(request, pk)
    if refused := forbidden_unless(request, "cancel", appointment.clinic_id):
        return refused
    form = CancelForm(request.POST)
    if not form.is_valid():
        return appointment_page(request, appointment, cancel_form=form, status=400)
    try:
        appointment_cancel(
            actor=request.user,
            appointment=appointment,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except DomainError as exc:
        shown = domain_error_show(exc, form)
        return appointment_page(
            request, appointment, cancel_form=form, conflict=shown.conflict, status=shown.status
        )
    messages.success(request, "Appointment cancelled.")
    return redirect(_detail_url(appointment))


@require_POST
@action_required("escort")
def appointment_escort_view(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_fetch(request, pk)
    if refused := forbidden_unless(request, "escort", appointment.clinic_id):
        return refused
    form = EscortForm(request.POST)
    if not form.is_valid():
        return appointment_page(request, appointment, escort_form=form, status=400)
    try:
        appointment_escort_update(
            actor=request.user,
            appointment=appointment,
            now=timezone.now(),
            name=form.cleaned_data["name"],
            phone=form.cleaned_data["phone"],
        )
    except DomainError as exc:
        shown = domain_error_show(exc, form)
        return appointment_page(
            request, appointment, escort_form=form, conflict=shown.conflict, status=shown.status
        )
    messages.success(request, "Escort saved.")
    return redirect(_detail_url(appointment))


@require_POST
@staff_required
def appointment_step_view(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404("No such step.")
    name, service, done_words = STEPS[step]
    appointment = get_object_or_404(
        Appointment.objects.for_user(request.user).select_related("patient"), pk=pk
    )
    if refused := forbidden_unless(request, name, appointment.clinic_id):
        return refused
    form = StepForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        service(actor=request.user, appointment=appointment, now=timezone.now(), note=note)
    except DomainError as exc:
        messages.error(request, f"{appointment.patient.full_name}: {exc.detail}")
    else:
        messages.success(request, f"{appointment.patient.full_name} is {done_words}.")
    return redirect(next_url(request, _detail_url(appointment)))


@action_required("discharge")
def appointment_discharge_view(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = appointment_fetch(request, pk)
    if refused := forbidden_unless(request, "discharge", appointment.clinic_id):
        return refused
    session_type = appointment.session_type
    minimum = timedelta(minutes=session_type.min_monitoring_minutes)
    earliest = rules.earliest_discharge(appointment.start, appointment.session_started_at, minimum)
    back = next_url(request, reverse("console:board"))
    state = rules.transition_check(appointment.status, rules.DISCHARGE)
    conflict = None
    status = 200
    if request.method == "POST":
        form = DischargeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment_discharge(
                    actor=request.user,
                    appointment=appointment,
                    checks=DischargeChecks(
                        vitals_stable=data["vitals_stable"],
                        alert_and_oriented=data["alert_and_oriented"],
                        score=data["score"],
                        collected_by=data["collected_by"],
                        override_reason=data["override_reason"],
                    ),
                    now=timezone.now(),
                    notes=data["notes"],
                )
            except DomainError as exc:
                shown = domain_error_show(exc, form)
                conflict, status = shown.conflict, shown.status
            else:
                messages.success(request, f"{appointment.patient.full_name} is discharged.")
                return redirect(back)
        else:
            status = 400
    else:
        form = DischargeForm(initial={"collected_by": appointment.escort_name})
    context = {
        "nav": "board",
        "appointment": appointment,
        "form": form,
        "earliest": earliest,
        "early": timezone.now() < earliest,
        "minimum_minutes": session_type.min_monitoring_minutes,
        "pass_mark": appointment.clinic.discharge_pass_mark,
        "refusal": state.message if isinstance(state, rules.Refusal) else "",
        "conflict": conflict,
        "back": back,
    }
    return page(
        request, "console/discharge.html", context, clinic=appointment.clinic, status=status
    )
