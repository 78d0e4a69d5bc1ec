"""One-off visits: a consultation, an extra integration session or a booster outside a
course. Availability offers the free starts (seat and staff); booking is the same
service as ``POST appointments/``, so a conflict answers 409 with what clashes and the
next free start."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless
from backend.console.errors import domain_error_show
from backend.console.forms import VisitForm
from backend.console.site import current_clinic, local_input, page
from backend.scheduling.booking.search import availability_search
from backend.scheduling.booking.services import Escort, appointment_book

SEARCH_DAYS = 7
SLOTS_SHOWN = 24


def _slots(choice: VisitForm, clinic, now) -> list[dict]:
    """Free starts for the chosen type from the chosen (or next) day, with seat and staff.

    ``choice`` is the form bound to what is chosen so far; its valid fields are used.
    """
    choice.is_valid()
    data = choice.cleaned_data
    session_type = data.get("session_type")
    if session_type is None:
        return []
    start = data.get("start")
    first = (start or now).astimezone(clinic.zone).date()
    try:
        found = availability_search(
            session_type=session_type,
            date_from=first,
            date_to=first + timedelta(days=SEARCH_DAYS - 1),
            now=now,
            clinic_id=clinic.id,
            patient=data.get("patient"),
            staff=data.get("staff"),
        )
    except DomainError:
        return []
    base = {
        k: v
        for k, v in {
            "patient": data["patient"].id if data.get("patient") else "",
            "session_type": session_type.id,
            "escort_name": data.get("escort_name", ""),
            "escort_phone": data.get("escort_phone", ""),
        }.items()
        if v
    }
    url = reverse("console:visit-new")

    def chosen(p) -> str:
        query = {**base, "start": local_input(p.start, clinic.zone), "seat": p.seat.seat_id}
        return f"{url}?{urlencode(query)}"

    return [{"placement": p, "url": chosen(p)} for p in found.slots[:SLOTS_SHOWN]]


@action_required("book")
def visit_new(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    if clinic is None:
        return page(request, "console/no_clinic.html", {"nav": "schedule"})
    if refused := forbidden_unless(request, "book", clinic.id):
        return refused
    now = timezone.now()
    conflict, status = None, 200
    if request.method == "POST":
        form = VisitForm(request.POST, clinic=clinic)
        if form.is_valid() and form.cleaned_data.get("start") is None:
            form.add_error("start", "Choose a start: pick one of the free starts or type one.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = appointment_book(
                    actor=request.user,
                    patient=data["patient"],
                    session_type=data["session_type"],
                    start=data["start"],
                    now=now,
                    staff=data.get("staff"),
                    seat=data.get("seat"),
                    escort=Escort(data.get("escort_name", ""), data.get("escort_phone", "")),
                )
            except DomainError as exc:
                shown = domain_error_show(exc, form)
                conflict, status = shown.conflict, shown.status
            else:
                messages.success(request, f"Booked {appointment.patient.full_name}.")
                return redirect(reverse("console:appointment", args=[appointment.pk]))
        else:
            status = 400
    else:
        # What is chosen so far (from a schedule cell or a free start) fills the form; it
        # is not yet a submission, so nothing is marked wrong.
        form = VisitForm(initial=request.GET.dict(), clinic=clinic)
    choice = VisitForm(request.POST if request.method == "POST" else request.GET, clinic=clinic)
    context = {
        "nav": "schedule",
        "form": form,
        "slots": _slots(choice, clinic, now),
        "conflict": conflict,
    }
    return page(request, "console/visit_new.html", context, clinic=clinic, status=status)
