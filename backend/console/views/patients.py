"""Patients: search by name, a patient's page, and issuing their calendar subscription."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.roles import MANAGER_ONLY
from backend.common.scoping import access_of
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.forms import PatientSearchForm
from backend.console.site import current_clinic, page
from backend.plans.models import TreatmentPlan
from backend.scheduling.authorizations.services import patient_authorizations
from backend.scheduling.booking.models import Appointment
from backend.scheduling.feeds.links import feed_links_for
from backend.scheduling.feeds.models import FeedToken
from backend.scheduling.feeds.services import feed_name, feed_token_issue
from backend.scheduling.resources.access_log import request_access_record
from backend.scheduling.resources.filters import PatientFilter
from backend.scheduling.resources.models import Patient, PatientAccess

PAST_SHOWN = 20
ACCESS_SHOWN = 20
RESULTS_SHOWN = 100


@staff_required
def patient_list(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = PatientSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # The API's own filter, so the console and integrators find the same people.
    filtered = PatientFilter(
        {"search": query, "clinic": clinic.id if clinic else ""},
        queryset=Patient.objects.for_user(request.user).filter(active=True),
    ).qs
    patients = list(filtered.order_by("last_name", "first_name", "id")[: RESULTS_SHOWN + 1])
    context = {
        "nav": "patients",
        "form": form,
        "query": query,
        "patients": patients[:RESULTS_SHOWN],
        "more": len(patients) > RESULTS_SHOWN,
    }
    return page(request, "console/patients.html", context)


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
