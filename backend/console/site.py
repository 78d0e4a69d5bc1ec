"""What every console page shares: the clinic being looked at, navigation, local time.

Pages render inside ``timezone.override(clinic.zone)``, so every datetime a template shows
is in the clinic's wall-clock time whatever the server's zone.
"""

from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from backend.common.scoping import access_of
from backend.console.roles import permissions_of
from backend.scheduling.resources.calendar import wall_to_utc
from backend.scheduling.resources.models import Clinic

SESSION_CLINIC = "console_clinic"
# datetime-local inputs speak this format, in the clinic's wall-clock time.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def clinics_of(user) -> list[Clinic]:
    """The clinics where the user holds a role, by name."""
    return list(Clinic.objects.for_user(user).order_by("name", "id"))


def current_clinic(request: HttpRequest) -> Clinic | None:
    """The clinic the user is looking at: ``?clinic=`` (remembered), their own, or the first."""
    cached = getattr(request, "_console_clinic", None)
    if cached is not None:
        return cached
    clinics = {c.id: c for c in clinics_of(request.user)}
    chosen = None
    asked = request.GET.get("clinic", "")
    if asked.isdigit() and int(asked) in clinics:
        chosen = clinics[int(asked)]
        request.session[SESSION_CLINIC] = chosen.id
    if chosen is None:
        remembered = request.session.get(SESSION_CLINIC)
        chosen = clinics.get(remembered) if isinstance(remembered, int) else None
    if chosen is None:
        profile = getattr(request.user, "staff_profile", None)
        chosen = clinics.get(profile.clinic_id) if profile is not None else None
    if chosen is None and clinics:
        chosen = next(iter(clinics.values()))
    request._console_clinic = chosen
    request._console_clinics = list(clinics.values())
    return chosen


def clinic_choices(request: HttpRequest) -> list[Clinic]:
    """The user's clinics, by name, as the clinic picker lists them (read once per request)."""
    current_clinic(request)
    return request._console_clinics


def utilization_url() -> str:
    return reverse("console:utilization")


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    clinic: Clinic | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a console page in ``clinic``'s zone (default: the selected clinic)."""
    selected = current_clinic(request)
    clinic = clinic or selected
    access = access_of(request.user)
    roles = access.roles_in(clinic.id) if clinic is not None else frozenset()
    full = {
        "clinic": clinic,
        "selected_clinic": selected,
        "clinics": clinic_choices(request),
        "can": permissions_of(request.user, clinic.id if clinic is not None else None),
        "roles": sorted(roles),
        "is_manager": "manager" in roles,
        "utilization_url": utilization_url(),
        "nav": "",
        **(context or {}),
    }
    zone = clinic.zone if clinic is not None else timezone.get_default_timezone()
    with timezone.override(zone):
        return render(request, template, full, status=status)


def local_input(value: datetime | None, zone) -> str:
    """An aware datetime as a datetime-local input value in ``zone``."""
    if value is None:
        return ""
    return value.astimezone(zone).strftime(LOCAL_INPUT_FORMAT)


def parse_local_input(value: str, zone) -> datetime | None:
    """A datetime-local value (clinic wall-clock) as an aware UTC datetime; None if invalid.

    A time that does not exist (spring forward) moves forward and an ambiguous one (fall
    back) means its first occurrence, as everywhere else in the service.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        return None
    # Appointment times are whole minutes (a browser may send seconds).
    naive = naive.replace(second=0, microsecond=0)
    if naive.tzinfo is not None:
        return naive
    return wall_to_utc(naive.date(), naive.time(), zone)


def clinic_today(clinic: Clinic, now: datetime) -> date:
    return now.astimezone(clinic.zone).date()


def local_midnight(clinic: Clinic, day: date) -> datetime:
    return wall_to_utc(day, time(0), clinic.zone)
