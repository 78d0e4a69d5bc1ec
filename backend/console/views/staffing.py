"""Staff and their absences: record time off or an extra shift, see the appointments it
leaves without their staff member ("needs attention"), and reassign each one.

Every write goes through the absences services (the same as ``staff/{id}/absences/``) and,
for a reassignment, through plans' reschedule, which keeps a course's cadence.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.errors import domain_error_show
from backend.console.forms import AbsenceForm
from backend.console.site import current_clinic, local_input, page, parse_local_input
from backend.plans.services.reschedule import plan_session_reschedule
from backend.scheduling.absences.services import (
    absences_affected,
    appointment_reassignment_propose,
    appointments_needing_attention,
    staff_absence_delete,
    staff_absence_record,
    whole_days_span,
)
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import Staff, StaffAbsence

ABSENCES_SHOWN = 50


@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    staff = (
        Staff.objects.for_user(request.user)
        .filter(clinic=clinic)
        .prefetch_related("working_hours")
        .order_by("-active", "name", "id")
        if clinic
        else Staff.objects.none()
    )
    return page(request, "console/staff.html", {"nav": "staff", "staff": staff})


def _absences_page(request, staff: Staff, form: AbsenceForm, *, conflict=None, status=200):
    now = timezone.now()
    rows = list(
        StaffAbsence.objects.filter(staff=staff, end__gt=now).order_by("start", "id")[
            :ABSENCES_SHOWN
        ]
    )
    affected = absences_affected(rows, now=now)
    context = {
        "nav": "staff",
        "member": staff,
        "form": form,
        "absences": [(a, affected.get(a.id, [])) for a in rows],
        "conflict": conflict,
    }
    return page(request, "console/staff_absences.html", context, clinic=staff.clinic, status=status)


@staff_required
def staff_absences(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(Staff.objects.for_user(request.user).select_related("clinic"), pk=pk)
    zone = staff.clinic.zone
    if request.method != "POST":
        return _absences_page(request, staff, AbsenceForm(zone=zone))
    if refused := forbidden_unless(request, "absences", staff.clinic_id):
        return refused
    form = AbsenceForm(request.POST, zone=zone)
    if not form.is_valid():
        return _absences_page(request, staff, form, status=400)
    data = form.cleaned_data
    all_day = data["first_day"] is not None
    if all_day:
        start, end = whole_days_span(staff.clinic, data["first_day"], data["last_day"])
    else:
        start, end = data["start"], data["end"]
    try:
        _, affected = staff_absence_record(
            actor=request.user,
            staff=staff,
            start=start,
            end=end,
            reason=data["reason"],
            kind=data["kind"],
            all_day=all_day,
            now=timezone.now(),
        )
    except DomainError as exc:
        shown = domain_error_show(exc, form, aliases={"end": "last_day" if all_day else "end"})
        return _absences_page(request, staff, form, conflict=shown.conflict, status=shown.status)
    if affected:
        messages.warning(
            request,
            f"Recorded. {len(affected)} booked appointment{'s' if len(affected) != 1 else ''} "
            f"lose {staff.name}: see Needs attention.",
        )
        return redirect(reverse("console:attention"))
    messages.success(request, "Recorded.")
    return redirect(reverse("console:staff-absences", args=[staff.pk]))


@require_POST
@action_required("absences")
def absence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(
        StaffAbsence.objects.for_user(request.user).select_related("staff"), pk=pk
    )
    if refused := forbidden_unless(request, "absences", absence.staff.clinic_id):
        return refused
    staff_absence_delete(absence=absence)
    messages.success(request, "Deleted.")
    return redirect(reverse("console:staff-absences", args=[absence.staff_id]))


@staff_required
def attention(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    rows = []
    if clinic is not None:
        rows = list(
            appointments_needing_attention(
                Appointment.objects.for_user(request.user).filter(clinic=clinic),
                now=timezone.now(),
            ).select_related("patient", "session_type", "room", "staff")
        )
    return page(request, "console/attention.html", {"nav": "attention", "rows": rows})


def _reassign_page(request, appointment: Appointment, *, conflict=None, status=200):
    proposal = appointment_reassignment_propose(appointment=appointment, now=timezone.now())
    chosen = proposal.placement.start if proposal.placement else appointment.start
    chosen_staff = proposal.staff or (proposal.placement.staff if proposal.placement else None)
    context = {
        "nav": "attention",
        "appointment": appointment,
        "proposal": proposal,
        "start_value": local_input(chosen, appointment.clinic.zone),
        "staff_value": chosen_staff.staff_id if chosen_staff else "",
        "staff_name": chosen_staff.name if chosen_staff else "",
        "conflict": conflict,
        "in_course": appointment.plan_id is not None,
    }
    return page(request, "console/reassign.html", context, clinic=appointment.clinic, status=status)


@action_required("reschedule")
def appointment_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(
        Appointment.objects.for_user(request.user).with_details(), pk=pk
    )
    if refused := forbidden_unless(request, "reschedule", appointment.clinic_id):
        return refused
    if request.method != "POST":
        return _reassign_page(request, appointment)
    # The page's confirm button carries what it showed; the services re-check it under
    # locks, so a proposal overtaken since is refused, not half-applied.
    start = parse_local_input(request.POST.get("start", ""), appointment.clinic.zone)
    staff_id = request.POST.get("staff", "")
    if start is None:
        messages.error(request, "Nothing to apply: open the proposal again.")
        return redirect(reverse("console:reassign", args=[appointment.pk]))
    staff = (
        Staff.objects.filter(clinic_id=appointment.clinic_id, pk=int(staff_id)).first()
        if staff_id.isdigit()
        else None
    )
    try:
        _, cascaded = plan_session_reschedule(
            actor=request.user,
            appointment=appointment,
            start=start,
            now=timezone.now(),
            staff=staff,
            cascade=True,
        )
    except DomainError as exc:
        shown = domain_error_show(exc)
        return _reassign_page(request, appointment, conflict=shown.conflict, status=shown.status)
    others = f" and {len(cascaded)} later session(s) of the course" if cascaded else ""
    who = f" with {staff.name}" if staff else ""
    messages.success(request, f"{appointment.patient.full_name}: moved{who}{others}.")
    return redirect(reverse("console:attention"))
