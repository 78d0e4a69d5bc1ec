"""Give the demo clinic a lived-in week: booked courses and a day board in progress.

It also assigns the built-in dosing session types to the demo clinic's rooms.

Idempotent: it does nothing when the clinic already has appointments from today on. It
books through the same services the API uses, so every rule holds; today's board entries
are booked "yesterday" (``now`` passed in) so that sessions earlier today can exist.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from backend.common.errors import DomainError
from backend.plans.models import PlanTemplate
from backend.plans.services.plans import plan_book, plan_create
from backend.scheduling.booking.models import Appointment
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.day.services import (
    appointment_check_in,
    appointment_recover,
    appointment_start,
)
from backend.scheduling.groups.services import group_session_create, group_session_enroll
from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType, Staff

COURSES = [
    ("spravato-trd", [1, 2, 4]),
    ("iv-ketamine", [3, 5]),
    ("kap-individual", [7]),
]
# Minutes from now (rounded to the quarter hour) of today's demo sessions, and how far each
# has got: discharge due, recovering, late, and still to come.
TODAY = [(-150, "recovering"), (-75, "recovering"), (-30, "booked"), (45, "booked")]
TODAY_PATIENTS = [6, 9, 11, 14]
# Cleared patients in next week's group dosing session, and one patient's video visit.
GROUP_PATIENTS = [8, 10, 12]
VIDEO_PATIENT = 7
# Which demo room each built-in dosing session uses (the REMS-certified room for Spravato).
ROOMS = {
    "spravato-session": "Spravato Room",
    "iv-infusion": "Infusion Room",
    "kap-dosing": "KAP Suite",
}


class Command(BaseCommand):
    help = "Book demo courses and today's demo sessions at the demo clinic (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", default="harbor-light", help="Clinic slug.")

    def handle(self, *args, clinic: str, **options):
        clinic_row = Clinic.objects.filter(slug=clinic).first()
        if clinic_row is None:
            self.stdout.write(f"No clinic '{clinic}': nothing to schedule.")
            return
        self._rooms(clinic_row)
        now = timezone.now()
        zone = clinic_row.zone
        today = now.astimezone(zone).date()
        midnight = datetime.combine(today, time(0, 0), tzinfo=zone)
        if Appointment.objects.filter(clinic=clinic_row, start__gte=midnight).exists():
            self.stdout.write("The demo clinic already has a schedule: nothing to do.")
            return
        users = {u.username: u for u in get_user_model().objects.all()}
        front_desk, clinician = users.get("frontdesk"), users.get("clinician")
        booked = self._today(clinic_row, now, front_desk, clinician)
        courses = self._courses(clinic_row, today, now, front_desk)
        group = self._group_and_video(clinic_row, today, now, front_desk)
        self.stdout.write(f"Demo schedule: {courses} courses and {booked} sessions today; {group}.")

    def _rooms(self, clinic) -> None:
        """Give each built-in dosing type its demo room, unless the clinic chose already."""
        rooms = {room.name: room for room in clinic.rooms.all()}
        for slug, room_name in ROOMS.items():
            session_type = SessionType.objects.get(clinic=None, slug=slug)
            if room_name in rooms and not session_type.rooms.filter(clinic=clinic).exists():
                session_type.rooms.add(rooms[room_name])

    def _courses(self, clinic, today, now, actor) -> int:
        count = 0
        for slug, patient_ids in COURSES:
            template = PlanTemplate.objects.get(clinic=None, slug=slug)
            for patient in Patient.objects.filter(clinic=clinic, pk__in=patient_ids):
                try:
                    plan = plan_create(
                        actor=actor,
                        patient=patient,
                        template=template,
                        start_date=today + timedelta(days=1),
                        now=now,
                    )
                    plan_book(actor=actor, plan=plan, now=now)
                    count += 1
                except DomainError as exc:
                    self.stdout.write(f"  {slug} for {patient}: not booked ({exc.detail})")
        return count

    def _today(self, clinic, now, front_desk, clinician) -> int:
        spravato = SessionType.objects.get(clinic=None, slug="spravato-session")
        patients = list(Patient.objects.filter(clinic=clinic, pk__in=TODAY_PATIENTS))
        quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        count = 0
        for (offset, state), patient in zip(TODAY, patients, strict=False):
            start = quarter + timedelta(minutes=offset)
            try:
                appointment = appointment_book(
                    actor=front_desk,
                    patient=patient,
                    session_type=spravato,
                    start=start,
                    now=start - timedelta(days=1),
                )
            except DomainError:
                continue  # outside today's opening hours, or the clinic is closed
            count += 1
            if state == "recovering":
                appointment_check_in(
                    actor=front_desk, appointment=appointment, now=start - timedelta(minutes=10)
                )
                appointment_start(actor=clinician, appointment=appointment, now=start)
                appointment_recover(
                    actor=clinician, appointment=appointment, now=start + timedelta(minutes=15)
                )
        return count

    def _group_and_video(self, clinic, today, now, actor) -> str:
        """A group KAP dosing session next week with three participants, and a video visit."""
        done = []
        room = Room.objects.filter(clinic=clinic, name="Group Room").first()
        therapists = list(Staff.objects.filter(clinic=clinic, role="therapist").order_by("id"))
        zone = clinic.zone
        group_type = SessionType.objects.get(clinic=None, slug="kap-group-dosing")
        view = None
        # The first day next week, and pair of therapists, free for a morning group.
        pairs = [(a, b) for i, a in enumerate(therapists) for b in therapists[i + 1 :]]
        for offset in range(7, 14):
            if room is None or view is not None:
                break
            day = today + timedelta(days=offset)
            for pair in pairs:
                try:
                    view = group_session_create(
                        actor=actor,
                        session_type=group_type,
                        room=room,
                        start=datetime.combine(day, time(9, 0), tzinfo=zone),
                        staff=list(pair),
                        now=now,
                    )
                    break
                except DomainError:
                    continue
        if view is not None:
            enrolled = 0
            for patient in Patient.objects.filter(clinic=clinic, pk__in=GROUP_PATIENTS):
                try:
                    group_session_enroll(actor=actor, group=view.group, patient=patient, now=now)
                    enrolled += 1
                except DomainError as exc:
                    self.stdout.write(f"  group enrolment for {patient}: {exc.detail}")
            done.append(f"a group session with {enrolled} participants")
        video = SessionType.objects.filter(clinic=clinic, modality="telehealth").first()
        patient = Patient.objects.filter(clinic=clinic, pk=VIDEO_PATIENT).first()
        if video is not None and patient is not None:
            try:
                appointment_book(
                    actor=actor,
                    patient=patient,
                    session_type=video,
                    start=datetime.combine(
                        today + timedelta(days=8 + (1 - today.weekday()) % 7),
                        time(15, 0),
                        tzinfo=zone,
                    ),
                    now=now,
                )
                done.append("a video visit")
            except DomainError as exc:
                self.stdout.write(f"  video visit: not booked ({exc.detail})")
        return " and ".join(done) or "no group session"
