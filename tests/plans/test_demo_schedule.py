from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from backend.plans.models import PlanStatus, TreatmentPlan
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.models import Clinic
from tests.scheduling.booking.holds import overlapping_active_holds

pytestmark = pytest.mark.django_db


def next_weekday_noon(zone) -> datetime:
    now = timezone.now()
    day = now.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(12, 0), tzinfo=zone)


def test_demo_schedule_books_courses_and_a_board_in_progress_once():
    call_command("loaddata", "fixtures/demo.json", verbosity=0)
    clinic = Clinic.objects.get(slug="harbor-light")

    with time_machine.travel(next_weekday_noon(clinic.zone)):
        call_command("demo_schedule", stdout=StringIO())
        count = Appointment.objects.count()
        again = StringIO()
        call_command("demo_schedule", stdout=again)

    assert TreatmentPlan.objects.filter(status=PlanStatus.BOOKED).count() == 6
    assert Appointment.objects.filter(status=AppointmentStatus.RECOVERING).count() == 2
    assert Appointment.objects.count() == count
    assert "nothing to do" in again.getvalue()
    assert overlapping_active_holds() == []
    spravato_rooms = set(
        Appointment.objects.filter(session_type__slug="spravato-session").values_list(
            "room__name", flat=True
        )
    )
    assert spravato_rooms == {"Spravato Room"}
