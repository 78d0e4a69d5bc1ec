"""Cohorts in the console: the clinic's cohorts, and one cohort's roster with attendance."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from backend.console.access import staff_required
from backend.console.site import current_clinic, page
from backend.plans.models import Cohort
from backend.plans.services.cohorts import cohort_roster
from backend.scheduling.groups.models import GroupSession


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
    return page(
        request,
        "console/cohort.html",
        {"nav": "cohorts", "cohort": cohort, "columns": columns, "rows": rows},
    )
