"""The clinic's waitlist (waiting, offered, booked, expired) with the front desk's answers
for a patient on the phone (accept, decline, withdraw), and the authorization work list.
Each write calls one service; offers themselves are made by the task worker."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.site import current_clinic, page
from backend.plans.services.waitlist import waitlist_offer_accept
from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.authorizations.services import remaining_of, with_usage
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import offer_decline, waitlist_entry_withdraw

SHOWN = ("offered", "waiting", "booked", "expired")
LOW_UNITS = 2
RECENT_DAYS = 14


@staff_required
def waitlist_page(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    groups: dict[str, list] = {status: [] for status in SHOWN}
    if clinic is not None:
        since = timezone.now() - timedelta(days=RECENT_DAYS)
        rows = (
            WaitlistEntry.objects.for_user(request.user)
            .filter(clinic=clinic, status__in=SHOWN)
            .exclude(status__in=["booked", "expired"], updated_at__lt=since)
            .select_related("patient", "session_type", "offer__room", "offer__seat")
            .order_by("-urgent", "created_at", "id")
        )
        for entry in rows:
            groups[entry.status].append(entry)
    labels = dict(WaitlistStatus.choices)
    context = {
        "nav": "waitlist",
        "groups": [(status, labels[status], groups[status]) for status in SHOWN],
    }
    return page(request, "console/waitlist.html", context)


def _entry_fetch(request: HttpRequest, pk: int) -> WaitlistEntry:
    return get_object_or_404(WaitlistEntry.objects.for_user(request.user), pk=pk)


def _answer(request: HttpRequest, pk: int, act, done: str) -> HttpResponse:
    entry = _entry_fetch(request, pk)
    if refused := forbidden_unless(request, "book", entry.clinic_id):
        return refused
    try:
        act(actor=request.user, entry=entry, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("console:waitlist")


@require_POST
@action_required("book")
def waitlist_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, waitlist_offer_accept, "Offer accepted: the session is booked.")


@require_POST
@action_required("book")
def waitlist_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, offer_decline, "Offer declined: the seat passes to the next.")


@require_POST
@action_required("book")
def waitlist_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, waitlist_entry_withdraw, "Taken off the waitlist.")


@staff_required
def authorizations_page(request: HttpRequest) -> HttpResponse:
    """Authorizations to renew: ending within N days (default 30), or 2 units or fewer left."""
    clinic = current_clinic(request)
    raw = request.GET.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) <= 3660 else 30
    rows = []
    if clinic is not None:
        today = timezone.now().astimezone(clinic.zone).date()
        candidates = (
            with_usage(Authorization.objects.for_user(request.user))
            .filter(clinic=clinic, active=True, end_date__gte=today)
            .select_related("patient")
            .order_by("end_date", "id")
        )
        for authorization in candidates:
            authorization.remaining = remaining_of(authorization)
            authorization.days_left = (authorization.end_date - today).days
            if authorization.days_left <= days or authorization.remaining <= LOW_UNITS:
                rows.append(authorization)
    context = {"nav": "authorizations", "rows": rows, "days": days, "low": LOW_UNITS}
    return page(request, "console/authorizations.html", context)
