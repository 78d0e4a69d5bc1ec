"""The day board: one clinic-local day by state, with the steps each role may take."""

from dataclasses import replace
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from backend.console.access import staff_required
from backend.console.presenters import board_lanes
from backend.console.roles import permissions_of
from backend.console.site import clinic_today, current_clinic, page
from backend.scheduling.absences.services import STAFF_AWAY, staff_away_ids
from backend.scheduling.day.services import (
    LATE_DISCHARGE_MARGIN,
    board_monitoring_alerts,
    day_board_fetch,
)

REFRESH_SECONDS = 30


def _day(request: HttpRequest, today: date) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today


@staff_required
def board(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    if clinic is None:
        return page(request, "console/no_clinic.html", {"nav": "board"})
    now = timezone.now()
    today = clinic_today(clinic, now)
    day = _day(request, today)
    entries = day_board_fetch(clinic=clinic, day=day, now=now)
    alerts = board_monitoring_alerts(clinic=clinic, day=day, now=now, entries=entries)
    away = staff_away_ids([e.appointment for e in entries], now=now)
    entries = [
        replace(e, flags=(*e.flags, STAFF_AWAY)) if e.appointment.id in away else e for e in entries
    ]
    lanes = board_lanes(entries, can=permissions_of(request.user, clinic.id), now=now)
    partial = request.GET.get("partial") == "1"
    context = {
        "nav": "board",
        "day": day,
        "today": today,
        "is_today": day == today,
        "now": now,
        "lanes": lanes,
        "total": len(entries),
        "flagged": sum(1 for e in entries if e.flags),
        "monitoring_alerts": alerts,
        "late_margin_minutes": int(LATE_DISCHARGE_MARGIN.total_seconds() // 60),
        "refresh_seconds": REFRESH_SECONDS,
        "back": f"{reverse('console:board')}?date={day.isoformat()}",
    }
    template = "console/partials/board_lanes.html" if partial else "console/board.html"
    return page(request, template, context, clinic=clinic)
