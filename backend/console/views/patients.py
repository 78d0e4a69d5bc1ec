"""Patients: search by name, a patient's page, and issuing their calendar subscription."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.roles import MANAGER_ONLY
from backend.common.scoping import access_of
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.forms import PatientForm, PatientLookupForm
from backend.console.site import current_clinic, page
from backend.plans.models import TreatmentPlan
from backend.scheduling.authorizations.services import patient_authorizations
from backend.scheduling.booking.models import Appointment
from backend.scheduling.feeds.links import feed_links_for
from backend.scheduling.feeds.models import FeedToken
from backend.scheduling.feeds.services import feed_name, feed_token_issue
from backend.scheduling.resources.access_log import request_access_record
from backend.scheduling.resources.models import Patient, PatientAccess
from backend.scheduling.resources.patients import patient_duplicates_find, patients_search

PAST_SHOWN = 20
ACCESS_SHOWN = 20
RESULTS_SHOWN = 100


@staff_required
def patient_list(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = PatientLookupForm(request.GET or None)
    valid = form.is_valid()
    query = form.cleaned_data["q"] if valid else ""
    inactive = valid and form.cleaned_data["inactive"]
    scoped = Patient.objects.for_user(request.user).filter(clinic=clinic)
    if not inactive:
        scoped = scoped.filter(active=True)
    found = patients_search(scoped, query)
    patients = list(found.order_by("last_name", "first_name", "id")[: RESULTS_SHOWN + 1])
    context = {
        "nav": "patients",
        "form": form,
        "query": query,
        "patients": patients[:RESULTS_SHOWN],
        "more": len(patients) > RESULTS_SHOWN,
    }
    return page(request, "console/patients.html", context)


def _patient_form_page(request, form, *, patient=None, duplicates=(), status=200):
    context = {
        "nav": "patients",
        "form": form,
        "patient": patient,
        "duplicates": list(duplicates),
    }
    return page(request, "console/patient_form.html", context, status=status)


def _patient_save(request: HttpRequest, clinic, patient: Patient | None) -> HttpResponse:
    form = PatientForm(request.POST, instance=patient, clinic=clinic)
    if not form.is_valid():
        return _patient_form_page(request, form, patient=patient, status=400)
    data = form.cleaned_data
    duplicates = patient_duplicates_find(
        clinic=clinic,
        first_name=data["first_name"],
        last_name=data["last_name"],
        date_of_birth=data.get("date_of_birth"),
        exclude_id=patient.pk if patient else None,
    )
    if duplicates and not data.get("save_anyway"):
        # Shown before anything is written: the front desk decides whether it is the same
        # person (open that record) or someone else (tick "save anyway").
        return _patient_form_page(request, form, patient=patient, duplicates=duplicates, status=409)
    saved = form.save()
    messages.success(request, f"{saved.full_name} {'saved' if patient else 'registered'}.")
    return redirect(reverse("console:patient", args=[saved.pk]))


@action_required("patient_edit")
def patient_new(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    if clinic is None:
        return page(request, "console/no_clinic.html", {"nav": "patients"})
    if refused := forbidden_unless(request, "patient_edit", clinic.id):
        return refused
    if request.method == "POST":
        return _patient_save(request, clinic, None)
    return _patient_form_page(request, PatientForm(clinic=clinic))


@action_required("patient_edit")
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(
        Patient.objects.for_user(request.user).select_related("clinic"), pk=pk
    )
    if refused := forbidden_unless(request, "patient_edit", patient.clinic_id):
        return refused
    if request.method == "POST":
        response = _patient_save(request, patient.clinic, patient)
    else:
        form = PatientForm(instance=patient, clinic=patient.clinic)
        response = _patient_form_page(request, form, patient=patient)
    return request_access_record(request, response, {patient.pk: patient.clinic_id})


@require_POST
@action_required("patient_edit")
def patient_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or reactivate) a patient. Patients are never deleted: their
    appointments, courses and access history stay."""
    patient = get_object_or_404(
        Patient.objects.for_user(request.user).select_related("clinic"), pk=pk
    )
    if refused := forbidden_unless(request, "patient_edit", patient.clinic_id):
        return refused
    patient.active = request.POST.get("active") == "1"
    patient.save(update_fields=["active", "updated_at"])
    state = "active again" if patient.active else "deactivated"
    messages.success(request, f"{patient.full_name} is {state}.")
    if not patient.active:
        ahead = Appointment.objects.filter(
            patient=patient, status="booked", start__gte=timezone.now()
        ).count()
        if ahead:
            # Deactivating stops new bookings only; what is booked stays until cancelled.
            messages.warning(
                request,
                f"{ahead} booked appointment{'s' if ahead != 1 else ''} still ahead: "
                "cancel them if the patient will not come.",
            )
    return redirect(reverse("console:patient", args=[patient.pk]))


def _patient_context(patient: Patient) -> dict:
    now = timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related(
        "session_type", "room", "seat", "staff"
    )
    return {
        "nav": "patients",
        "patient": patient,
        "plans": TreatmentPlan.objects.filter(patient=patient).select_related("template"),
        "upcoming": list(appointments.filter(start__gte=now).order_by("start", "id")),
        "past": list(appointments.filter(start__lt=now).order_by("-start", "-id")[:PAST_SHOWN]),
        "feed": FeedToken.objects.filter(patient=patient, revoked_at__isnull=True).first(),
        "authorizations": patient_authorizations(patient.id),
        "now": now,
    }


def _access_history(request: HttpRequest, patient: Patient) -> dict:
    """The latest reads of the patient's data, for the managers of their clinic only."""
    if not access_of(request.user).has_role(patient.clinic_id, MANAGER_ONLY):
        return {}
    rows = list(
        PatientAccess.objects.filter(patient=patient).select_related("user")[: ACCESS_SHOWN + 1]
    )
    return {
        "accesses_shown": True,
        "accesses": rows[:ACCESS_SHOWN],
        "accesses_more": len(rows) > ACCESS_SHOWN,
        "accesses_url": reverse("patient-access-log", args=[patient.pk]),
    }


@staff_required
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(
        Patient.objects.for_user(request.user).select_related("clinic"), pk=pk
    )
    context = {**_patient_context(patient), **_access_history(request, patient)}
    response = page(request, "console/patient.html", context, clinic=patient.clinic)
    return request_access_record(request, response, {patient.pk: patient.clinic_id})


@require_POST
@action_required("patient_feed")
def patient_feed_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """A new subscription link for the patient (the previous one stops working)."""
    patient = get_object_or_404(
        Patient.objects.for_user(request.user).select_related("clinic"), pk=pk
    )
    if refused := forbidden_unless(request, "patient_feed", patient.clinic_id):
        return refused
    _, raw = feed_token_issue(owner=patient, actor=request.user, now=timezone.now())
    links = feed_links_for(request, raw, name=feed_name(patient))
    context = {**_patient_context(patient), "links": links}
    response = page(request, "console/patient.html", context, clinic=patient.clinic)
    # The page holds a credential: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response
