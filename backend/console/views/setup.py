"""Clinic set-up for managers: opening hours, closures and holidays, rooms and seats,
staff and their weekly hours.

Hours, rooms, seats and staff are written through the API's own serializers, so the
rules (overlapping windows, unique names, time zones) are the same. A closure is first
previewed against the bookings it would hit; the manager then saves it and moves those
sessions (through plans' cascade), or leaves it unsaved. A seat or room with future
bookings is not retired: the refusal lists them.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless
from backend.console.errors import domain_error_show
from backend.console.forms import ClosureForm, RoomForm, SeatForm, StaffForm, WeeklyHoursForm
from backend.console.site import current_clinic, page
from backend.plans.services.closures import closure_create_and_move
from backend.scheduling.resources.models import Clinic, Closure, Room, Seat, Staff
from backend.scheduling.resources.serializers import (
    ClinicSerializer,
    RoomSerializer,
    SeatSerializer,
    StaffSerializer,
)
from backend.scheduling.setup.services import (
    closure_affected,
    closure_check,
    closure_create,
    room_active_set,
    seat_active_set,
)


def _setup_url() -> str:
    return reverse("console:setup")


def _serializer_errors_on(form, errors: dict) -> None:
    """A serializer's refusal onto the console form: known fields by name, others on top."""
    for name, messages_ in errors.items():
        for message in messages_ if isinstance(messages_, list) else [messages_]:
            text = message if isinstance(message, str) else str(message)
            form.add_error(name if name in form.fields else None, text)


def _write(serializer_class, request, form, *, instance=None, data: dict) -> object | None:
    serializer = serializer_class(
        instance, data=data, partial=instance is not None, context={"request": request}
    )
    try:
        valid = serializer.is_valid()
    except DomainError as exc:
        domain_error_show(exc, form)
        return None
    if not valid:
        _serializer_errors_on(form, serializer.errors)
        return None
    return serializer.save()


def _clinic_hours(clinic: Clinic) -> dict[int, list[tuple]]:
    windows: dict[int, list[tuple]] = {}
    for h in clinic.opening_hours.order_by("weekday", "opens"):
        windows.setdefault(h.weekday, []).append((h.opens, h.closes))
    return windows


def _setup_page(request, clinic: Clinic, *, status=200, **forms_):
    seats = Seat.objects.filter(room__clinic=clinic).select_related("room")
    rooms = list(Room.objects.filter(clinic=clinic).order_by("kind", "name"))
    by_room = {room.id: [] for room in rooms}
    for seat in seats.order_by("name", "id"):
        by_room[seat.room_id].append(seat)
    context = {
        "nav": "setup",
        "hours_form": forms_.get("hours_form")
        or WeeklyHoursForm(windows=_clinic_hours(clinic), prefix="hours"),
        "closure_form": forms_.get("closure_form") or ClosureForm(prefix="closure"),
        "room_form": forms_.get("room_form") or RoomForm(prefix="room"),
        "seat_form": forms_.get("seat_form") or SeatForm(clinic=clinic, prefix="seat"),
        "staff_form": forms_.get("staff_form") or StaffForm(prefix="staff"),
        "closures": Closure.objects.filter(clinic=clinic).order_by("-start_date"),
        "rooms": [(room, by_room[room.id]) for room in rooms],
        "staff": Staff.objects.filter(clinic=clinic).prefetch_related("working_hours"),
        "preview": forms_.get("preview"),
        "conflict": forms_.get("conflict"),
    }
    return page(request, "console/setup.html", context, clinic=clinic, status=status)


def _managed_clinic(request):
    clinic = current_clinic(request)
    if clinic is None:
        return None, page(request, "console/no_clinic.html", {"nav": "setup"})
    if refused := forbidden_unless(request, "setup", clinic.id):
        return None, refused
    return clinic, None


@action_required("setup")
def setup(request: HttpRequest) -> HttpResponse:
    clinic, refused = _managed_clinic(request)
    if refused:
        return refused
    return _setup_page(request, clinic)


@require_POST
@action_required("setup")
def setup_hours(request: HttpRequest) -> HttpResponse:
    clinic, refused = _managed_clinic(request)
    if refused:
        return refused
    form = WeeklyHoursForm(request.POST, windows=_clinic_hours(clinic), prefix="hours")
    if form.is_valid() and not form.too_many:
        windows = form.windows("opens", "closes")
        if _write(
            ClinicSerializer, request, form, instance=clinic, data={"opening_hours": windows}
        ):
            messages.success(request, "Opening hours saved.")
            return redirect(_setup_url())
    return _setup_page(request, clinic, hours_form=form, status=400)


@require_POST
@action_required("setup")
def setup_closure(request: HttpRequest) -> HttpResponse:
    """Preview first; then save and move what it hits, or save when it hits nothing."""
    clinic, refused = _managed_clinic(request)
    if refused:
        return refused
    form = ClosureForm(request.POST, prefix="closure")
    if not form.is_valid():
        return _setup_page(request, clinic, closure_form=form, status=400)
    data = form.cleaned_data
    now = timezone.now()
    action = request.POST.get("action", "preview")
    try:
        closure_check(clinic=clinic, start_date=data["start_date"], end_date=data["end_date"])
        hit = closure_affected(
            clinic=clinic, start_date=data["start_date"], end_date=data["end_date"], now=now
        )
        if hit and action != "move":
            return _setup_page(
                request, clinic, closure_form=form, preview={"appointments": hit}, status=200
            )
        if hit:
            _, moves = closure_create_and_move(
                actor=request.user,
                clinic=clinic,
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=data["reason"],
                now=now,
            )
            messages.success(request, f"Closure saved; {len(moves)} session(s) moved.")
        else:
            closure_create(
                clinic=clinic,
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=data["reason"],
            )
            messages.success(request, "Closure saved; it hits no booked session.")
    except DomainError as exc:
        shown = domain_error_show(exc, form)
        return _setup_page(
            request, clinic, closure_form=form, conflict=shown.conflict, status=shown.status
        )
    return redirect(_setup_url())


@require_POST
@action_required("setup")
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(Closure.objects.for_user(request.user), pk=pk)
    if refused := forbidden_unless(request, "setup", closure.clinic_id):
        return refused
    closure.delete()
    messages.success(request, "Closure removed.")
    return redirect(_setup_url())


@require_POST
@action_required("setup")
def setup_room(request: HttpRequest) -> HttpResponse:
    clinic, refused = _managed_clinic(request)
    if refused:
        return refused
    form = RoomForm(request.POST, prefix="room")
    if form.is_valid():
        data = {"clinic": clinic.id, **form.cleaned_data}
        if _write(RoomSerializer, request, form, data=data):
            messages.success(request, "Room added.")
            return redirect(_setup_url())
    return _setup_page(request, clinic, room_form=form, status=400)


@require_POST
@action_required("setup")
def setup_seat(request: HttpRequest) -> HttpResponse:
    clinic, refused = _managed_clinic(request)
    if refused:
        return refused
    form = SeatForm(request.POST, clinic=clinic, prefix="seat")
    if form.is_valid():
        data = {**form.cleaned_data, "room": form.cleaned_data["room"].id}
        if _write(SeatSerializer, request, form, data=data):
            messages.success(request, "Seat added.")
            return redirect(_setup_url())
    return _setup_page(request, clinic, seat_form=form, status=400)


def _toggle(request, obj, clinic_id: int, service, **kwargs) -> HttpResponse:
    if refused := forbidden_unless(request, "setup", clinic_id):
        return refused
    active = request.POST.get("active") == "1"
    try:
        service(active=active, now=timezone.now(), **kwargs)
    except DomainError as exc:
        clinic = Clinic.objects.get(pk=clinic_id)
        shown = domain_error_show(exc)
        return _setup_page(request, clinic, conflict=shown.conflict, status=shown.status)
    messages.success(request, f"{obj} is {'active' if active else 'deactivated'}.")
    return redirect(_setup_url())


@require_POST
@action_required("setup")
def seat_active(request: HttpRequest, pk: int) -> HttpResponse:
    seat = get_object_or_404(Seat.objects.for_user(request.user).select_related("room"), pk=pk)
    return _toggle(request, seat, seat.room.clinic_id, seat_active_set, seat=seat)


@require_POST
@action_required("setup")
def room_active(request: HttpRequest, pk: int) -> HttpResponse:
    room = get_object_or_404(Room.objects.for_user(request.user), pk=pk)
    return _toggle(request, room, room.clinic_id, room_active_set, room=room)


@action_required("setup")
def staff_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a staff member, or change one and their weekly hours."""
    clinic, refused = _managed_clinic(request)
    if refused:
        return refused
    staff = None
    if pk is not None:
        staff = get_object_or_404(
            Staff.objects.for_user(request.user).prefetch_related("working_hours"), pk=pk
        )
        if refused := forbidden_unless(request, "setup", staff.clinic_id):
            return refused
        clinic = staff.clinic
    windows: dict[int, list[tuple]] = {}
    for w in (
        sorted(staff.working_hours.all(), key=lambda w: (w.weekday, w.starts)) if staff else []
    ):
        windows.setdefault(w.weekday, []).append((w.starts, w.ends))
    initial = (
        {"name": staff.name, "role": staff.role, "email": staff.email, "active": staff.active}
        if staff
        else {"active": True}
    )
    status = 200
    if request.method == "POST":
        form = StaffForm(request.POST, prefix="staff")
        hours = WeeklyHoursForm(request.POST, windows=windows, prefix="hours")
        if form.is_valid() and hours.is_valid() and not hours.too_many:
            data = {
                **form.cleaned_data,
                "working_hours": hours.windows("starts", "ends"),
            }
            if staff is None:
                data["clinic"] = clinic.id
            saved = _write(StaffSerializer, request, form, instance=staff, data=data)
            if saved:
                messages.success(request, f"{saved.name} saved.")
                return redirect(_setup_url())
        status = 400
    else:
        form = StaffForm(initial=initial, prefix="staff")
        hours = WeeklyHoursForm(windows=windows, prefix="hours")
    context = {"nav": "setup", "member": staff, "form": form, "hours_form": hours}
    return page(request, "console/setup_staff.html", context, clinic=clinic, status=status)
