"""Cohorts in the console: the clinic's cohorts, one cohort's roster with attendance, and
moving one of its group sessions (with everyone in it) within the cohort's cadence."""

from datetime import date, time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import action_required, forbidden_unless, staff_required
from backend.console.roles import can
from backend.console.site import current_clinic, page
from backend.plans.models import Cohort
from backend.plans.services.cohorts import cohort_roster, cohort_session_reschedule
from backend.scheduling.groups.models import GroupSession, GroupSessionStatus
from backend.scheduling.resources.calendar import wall_to_utc


@staff_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    cohorts = (
        Cohort.objects.for_user(request.user)
        .filter(clinic=clinic)
        .select_related("template", "room")
        .order_by("-start_date", "-id")
        if clinic
        else Cohort.objects.none()
    )
    return page(request, "console/cohorts.html", {"nav": "cohorts", "cohorts": cohorts})


@staff_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(
        Cohort.objects.for_user(request.user).select_related("template", "room", "clinic"), pk=pk
    )
    groups = list(
        GroupSession.objects.filter(cohort_session__cohort=cohort)
        .select_related("session_type", "room")
        .order_by("start", "id")
    )
    roster = cohort_roster(cohort)
    rows = [
        {
            "name": entry["patient_name"],
            "cells": [entry["attendance"].get(str(g.id), "") for g in groups],
        }
        for entry in roster
    ]
    zone = cohort.clinic.zone
    columns = [
        {"group": g, "start": g.start.astimezone(zone), "type": g.session_type.name} for g in groups
    ]
    movable = [c for c in columns if c["group"].status == GroupSessionStatus.SCHEDULED]
    return page(
        request,
        "console/cohort.html",
        {
            "nav": "cohorts",
            "cohort": cohort,
            "columns": columns,
            "rows": rows,
            "movable": movable if can(request.user, "book", cohort.clinic_id) else [],
        },
    )


@require_POST
@action_required("book")
def cohort_session_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move one group session of the cohort, everyone in it, to a new clinic-local start."""
    cohort = get_object_or_404(
        Cohort.objects.for_user(request.user).select_related("clinic"), pk=pk
    )
    if refused := forbidden_unless(request, "book", cohort.clinic_id):
        return refused
    group = GroupSession.objects.filter(
        cohort_session__cohort=cohort, pk=_whole(request.POST.get("group"))
    ).first()
    local = _wall_clock(request.POST.get("start", ""))
    if group is None:
        messages.error(request, "Session: choose one of the cohort's sessions.")
    elif local is None:
        messages.error(request, "New start: give a date and time.")
    else:
        start = wall_to_utc(local[0], local[1], cohort.clinic.zone)
        try:
            cohort_session_reschedule(
                actor=request.user, group=group, start=start, now=timezone.now()
            )
        except DomainError as exc:
            messages.error(request, f"Not moved: {exc.detail}")
        else:
            messages.success(
                request,
                f"{group.session_type.name} moved to {local[0]:%a %-d %b} "
                f"{local[1]:%H:%M}, with everyone in it.",
            )
    return redirect("console:cohort", pk=cohort.pk)


def _wall_clock(value: str) -> tuple[date, time] | None:
    """What an <input type="datetime-local"> sends ("2030-01-08T10:00"): a clinic-local
    date and time, kept apart so that the clinic's zone alone makes them an instant."""
    day, _, clock = value.partition("T")
    try:
        return date.fromisoformat(day), time.fromisoformat(clock)
    except ValueError:
        return None


def _whole(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None
