"""The new-course wizard: step 1 creates a draft plan, step 2 previews it as a week grid
where sessions can be moved (pinned) and previewed again, then books what was shown.

State lives in the plan row and in the form fields, never on the server between requests:
the preview's query string carries the pins, and "Book course" posts the start of every
session the user saw, so what is booked is what was on screen (or a 409 saying what
changed, with the user's pins kept).
"""

import uuid
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.errors import domain_error_show
from backend.console.forms import CourseForm
from backend.console.presenters import WEEKDAY_HEADERS, plan_grid
from backend.console.site import clinic_today, current_clinic, local_input, page, parse_local_input
from backend.plans.models import PlanStatus, TreatmentPlan
from backend.plans.services.plans import plan_book, plan_create, plan_preview
from backend.scheduling.authorizations.services import patient_authorizations
from backend.scheduling.booking.idempotency import (
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_fingerprint,
)
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.access_log import request_access_record
from backend.scheduling.resources.models import Patient

# A service's field name -> the wizard field its message belongs next to.
FIELD_ALIASES = {"preferences": "weekdays"}


def _initial(request: HttpRequest, clinic) -> dict:
    initial: dict = {"start_date": clinic_today(clinic, timezone.now())}
    patient = request.GET.get("patient", "")
    if patient.isdigit():
        initial["patient"] = int(patient)
    source = request.GET.get("from", "")
    if source.isdigit():
        plan = TreatmentPlan.objects.filter(pk=int(source), clinic=clinic).first()
        if plan is not None:
            initial.update(
                patient=plan.patient_id,
                template=plan.template_id,
                start_date=max(plan.start_date, initial["start_date"]),
                weekdays=plan.pref_weekdays,
                earliest_time=plan.pref_earliest,
                latest_time=plan.pref_latest,
                staff=plan.pref_staff_id,
            )
    return initial


@action_required("book")
def course_new(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    if clinic is None:
        return page(request, "console/no_clinic.html", {"nav": "course"})
    if refused := forbidden_unless(request, "book", clinic.id):
        return refused
    status = 200
    if request.method == "POST":
        form = CourseForm(request.POST, clinic=clinic)
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = plan_create(
                    actor=request.user,
                    patient=data["patient"],
                    template=data["template"],
                    start_date=data["start_date"],
                    now=timezone.now(),
                    weekdays=data["weekdays"],
                    earliest=data["earliest_time"],
                    latest=data["latest_time"],
                    staff=data["staff"],
                )
            except DomainError as exc:
                status = domain_error_show(exc, form, aliases=FIELD_ALIASES).status
            else:
                return redirect("console:course", pk=plan.pk)
        else:
            status = 400
    else:
        form = CourseForm(initial=_initial(request, clinic), clinic=clinic)
    selected = form["patient"].value()
    patient = (
        Patient.objects.filter(pk=selected, clinic=clinic).first()
        if str(selected or "").isdigit()
        else None
    )
    context = {"nav": "course", "form": form, "patient": patient}
    return page(request, "console/course_new.html", context, clinic=clinic, status=status)


def _ordinal_keys(data: QueryDict, prefix: str) -> dict[int, str]:
    values = {}
    for key, value in data.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            values[int(key[len(prefix) :])] = value
    return values


def pins_from_query(data: QueryDict, zone) -> tuple[dict[int, datetime], dict[int, str]]:
    """The user's pins from the preview form, and inputs that were not a date and time.

    A session is pinned when its move input differs from the start it was shown with, or
    when its "keep" box is ticked (it was pinned before).
    """
    pins, errors = {}, {}
    for ordinal, value in _ordinal_keys(data, "s").items():
        value = value.strip()
        if not value:
            continue
        if value == data.get(f"o{ordinal}", "") and not data.get(f"p{ordinal}"):
            continue
        start = parse_local_input(value, zone)
        if start is None:
            errors[ordinal] = "Enter a date and time."
        else:
            pins[ordinal] = start
    return pins, errors


def _plan_fetch(request: HttpRequest, pk: int) -> TreatmentPlan:
    """The course, if it belongs to one of the user's clinics (else 404)."""
    return get_object_or_404(
        TreatmentPlan.objects.for_user(request.user).select_related(
            "patient", "clinic", "template", "pref_staff"
        ),
        pk=pk,
    )


def course_page(
    request: HttpRequest,
    plan: TreatmentPlan,
    *,
    pins: dict[int, datetime],
    pin_errors: dict[int, str] | None = None,
    conflict: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = plan.clinic.zone
    grid = None
    cancelled = None
    preview = None
    try:
        preview = plan_preview(plan=plan, now=timezone.now(), pins=pins)
    except DomainError as exc:
        cancelled = exc.detail
    else:
        conflicted = {c.get("ordinal") for c in (conflict or {}).get("conflicts", [])}
        grid = plan_grid(preview, pins=pins, conflicts=conflicted)
    appointments = (
        Appointment.objects.filter(plan_id=plan.pk)
        .select_related("session_type", "room", "seat", "staff")
        .order_by("start", "id")
        if plan.status != PlanStatus.DRAFT
        else []
    )
    context = {
        "nav": "course",
        "plan": plan,
        "grid": grid,
        "cancelled": cancelled,
        "appointments": appointments,
        "pins": {o: local_input(s, zone) for o, s in pins.items()},
        "pin_errors": pin_errors or {},
        "conflict": conflict,
        "authorizations": patient_authorizations(plan.patient_id),
        "uncovered": sorted(o for o, c in preview.coverage.items() if not c.covered)
        if preview is not None
        else [],
        "token": uuid.uuid4().hex,
        "preferences": {
            "weekdays": ", ".join(WEEKDAY_HEADERS[d] for d in plan.pref_weekdays) or "any day",
            "earliest": plan.pref_earliest,
            "latest": plan.pref_latest,
            "staff": plan.pref_staff,
        },
    }
    return page(request, "console/course.html", context, clinic=plan.clinic, status=status)


@staff_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_fetch(request, pk)
    pins, errors = pins_from_query(request.GET, plan.clinic.zone)
    response = course_page(request, plan, pins=pins, pin_errors=errors)
    return request_access_record(request, response, {plan.patient_id: plan.clinic_id})


def _posted_starts(data: QueryDict, prefix: str, zone) -> dict[int, datetime]:
    starts = {}
    for ordinal, value in _ordinal_keys(data, prefix).items():
        start = parse_local_input(value, zone)
        if start is not None:
            starts[ordinal] = start
    return starts


@require_POST
@action_required("book")
def course_book(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_fetch(request, pk)
    if refused := forbidden_unless(request, "book", plan.clinic_id):
        return refused
    zone = plan.clinic.zone
    shown = _posted_starts(request.POST, "start_", zone)
    kept = _posted_starts(request.POST, "pin_", zone)
    token = request.POST.get("token", "")[:64]
    record = None
    if token:
        claim = idempotency_claim(
            user=request.user,
            key=f"console-course-book:{token}",
            endpoint=f"POST {request.path}",
            fingerprint=request_fingerprint(
                "POST", request.path, {str(o): s.isoformat() for o, s in sorted(shown.items())}
            ),
            now=timezone.now(),
        )
        if not claim.fresh:
            # A second click on the same form: the first one is booking or has booked.
            messages.info(request, "This course was already submitted for booking.")
            return redirect("console:course", pk=plan.pk)
        record = claim.record
    try:
        booking = plan_book(
            actor=request.user,
            plan=plan,
            now=timezone.now(),
            pins=shown,
            authorization="covered_only" if request.POST.get("covered_only") else "all",
        )
    except DomainError as exc:
        if record is not None:
            idempotency_release(record)
        plan.refresh_from_db()
        shown = domain_error_show(exc)
        return course_page(request, plan, pins=kept, conflict=shown.conflict, status=shown.status)
    except Exception:
        if record is not None:
            idempotency_release(record)
        raise
    if record is not None:
        idempotency_complete(
            record, status=201, body={"appointments": [a.pk for a in booking.appointments]}
        )
    messages.success(
        request,
        f"Booked {len(booking.appointments)} sessions for {plan.patient.full_name}.",
    )
    return redirect(reverse("console:course", args=[plan.pk]))
