"""The schedule: a day or a week of one clinic's seats and staff as a time grid."""

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from backend.console.access import staff_required
from backend.console.roles import can
from backend.console.schedule import schedule_fetch, schedule_layout
from backend.console.site import clinic_today, current_clinic, local_input, page

VIEWS = {"day": 15, "week": 30}


def _day(request: HttpRequest, today: date) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today


@staff_required
def schedule(request: HttpRequest) -> HttpResponse:
    clinic = current_clinic(request)
    if clinic is None:
        return page(request, "console/no_clinic.html", {"nav": "schedule"})
    now = timezone.now()
    today = clinic_today(clinic, now)
    day = _day(request, today)
    view = request.GET.get("view", "day")
    if view not in VIEWS:
        view = "day"
    if view == "week":
        first = day - timedelta(days=day.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
        step = timedelta(days=7)
    else:
        days, step = [day], timedelta(days=1)
    data = schedule_fetch(clinic_id=clinic.id, days=days)
    zone = clinic.zone
    visit_url = reverse("console:visit-new")

    def book_url(start: datetime, seat_id: int) -> str:
        return f"{visit_url}?{urlencode({'start': local_input(start, zone), 'seat': seat_id})}"

    layout = schedule_layout(
        data,
        now=now,
        slot_minutes=VIEWS[view],
        appointment_url=lambda pk: reverse("console:appointment", args=[pk]),
        book_url=book_url,
        can_book=can(request.user, "book", clinic.id),
    )
    here = reverse("console:schedule")
    context = {
        "nav": "schedule",
        "view": view,
        "day": day,
        "days": days,
        "layout": layout,
        "today_url": f"{here}?{urlencode({'view': view, 'date': today.isoformat()})}",
        "prev_url": f"{here}?{urlencode({'view': view, 'date': (day - step).isoformat()})}",
        "next_url": f"{here}?{urlencode({'view': view, 'date': (day + step).isoformat()})}",
        "day_url": f"{here}?{urlencode({'view': 'day', 'date': day.isoformat()})}",
        "week_url": f"{here}?{urlencode({'view': 'week', 'date': day.isoformat()})}",
    }
    return page(request, "console/schedule.html", context, clinic=clinic)
