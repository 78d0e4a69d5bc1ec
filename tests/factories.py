"""factory-boy factories for every model.

They create exactly the row asked for and what it needs to exist: no opening hours, seats
or holds appear unless asked (``ClinicFactory(with_hours=True)``,
``RoomFactory(seats=2)``). Appointment and hold factories write rows directly, with no
booking rules or overlap checks: they are for read tests, not for booking.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory
from rest_framework.authtoken.models import Token

from backend.common.roles import Role
from backend.plans.models import (
    Cohort,
    CohortSession,
    PhaseKind,
    PlannedSession,
    PlanPhase,
    PlanTemplate,
    TreatmentPlan,
)
from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.booking.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Hold,
    HoldKind,
    IdempotencyKey,
)
from backend.scheduling.day.models import Discharge, ReminderSent, RemsForm, RideConfirmation
from backend.scheduling.feeds.models import FeedOwnerKind, FeedStamp, FeedToken
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.outbox.models import EventType, OutboxEvent
from backend.scheduling.resources.choices import (
    RecoveryLocation,
    RoomKind,
    ScreeningStatus,
    SeatKind,
    StaffRole,
)
from backend.scheduling.resources.config import clinic_config_touch
from backend.scheduling.resources.models import (
    AccessSource,
    Clinic,
    Closure,
    Membership,
    OpeningHours,
    Patient,
    PatientAccess,
    Room,
    Seat,
    SessionType,
    Staff,
    StaffAbsence,
    WorkingHours,
)
from backend.scheduling.selfservice.models import PatientLink
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistEvent

WEEKDAYS = range(5)  # Monday to Friday
OPENS = dt.time(8, 0)
CLOSES = dt.time(18, 0)


def add_opening_hours(clinic, weekdays=WEEKDAYS, opens=OPENS, closes=CLOSES):
    """Opens ``clinic`` on ``weekdays`` (Monday = 0) from ``opens`` to ``closes``."""
    rows = OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=day, opens=opens, closes=closes) for day in weekdays
    )
    clinic_config_touch(clinic.id)  # bulk_create sends no signal
    return rows


class UserFactory(DjangoModelFactory):
    """A user. ``roles=["manager"]`` gives them those roles in every clinic (memberships
    without a clinic, plus the role groups); ``memberships=[(clinic, "front_desk")]`` gives
    roles in named clinics only."""

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("kap-test-password")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for name in extracted:
            group, _ = Group.objects.get_or_create(name=name)
            self.groups.add(group)
            Membership.objects.create(user=self, clinic=None, role=name)

    @factory.post_generation
    def memberships(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for clinic, role in extracted:
            Membership.objects.create(user=self, clinic=clinic, role=role)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory("tests.factories.ClinicFactory")
    role = Role.FRONT_DESK


class TokenFactory(DjangoModelFactory):
    class Meta:
        model = Token

    user = factory.SubFactory(UserFactory)


class ClinicFactory(DjangoModelFactory):
    """A clinic in America/New_York; ``with_hours=True`` opens it Mon-Fri 08:00-18:00."""

    class Meta:
        model = Clinic
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "America/New_York"
    address = "1 Harbor Street"

    @factory.post_generation
    def with_hours(self, create, extracted, **kwargs):
        if create and extracted:
            add_opening_hours(self)


class OpeningHoursFactory(DjangoModelFactory):
    class Meta:
        model = OpeningHours

    clinic = factory.SubFactory(ClinicFactory)
    weekday = 0
    opens = OPENS
    closes = CLOSES


class ClosureFactory(DjangoModelFactory):
    class Meta:
        model = Closure

    clinic = factory.SubFactory(ClinicFactory)
    start_date = dt.date(2026, 12, 24)
    end_date = dt.date(2026, 12, 26)
    reason = "Holidays"


class RoomFactory(DjangoModelFactory):
    """A dosing room; ``seats=N`` adds N recliners named "Seat 1".."Seat N"."""

    class Meta:
        model = Room
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    kind = RoomKind.DOSING

    @factory.post_generation
    def seats(self, create, extracted, **kwargs):
        if create and extracted:
            Seat.objects.bulk_create(
                Seat(room=self, name=f"Seat {i}", kind=SeatKind.RECLINER)
                for i in range(1, extracted + 1)
            )


class SeatFactory(DjangoModelFactory):
    class Meta:
        model = Seat

    room = factory.SubFactory(RoomFactory)
    name = factory.Sequence(lambda n: f"Seat {n}")
    kind = SeatKind.RECLINER


class StaffFactory(DjangoModelFactory):
    class Meta:
        model = Staff

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Staff Member {n}")
    role = StaffRole.NURSE
    email = factory.Sequence(lambda n: f"staff{n}@example.org")


class WorkingHoursFactory(DjangoModelFactory):
    class Meta:
        model = WorkingHours

    staff = factory.SubFactory(StaffFactory)
    weekday = 0
    starts = dt.time(9, 0)
    ends = dt.time(17, 0)


class StaffAbsenceFactory(DjangoModelFactory):
    """A morning off for a staff member (the kind defaults to an absence)."""

    class Meta:
        model = StaffAbsence

    staff = factory.SubFactory(StaffFactory)
    start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=4))
    reason = "Sick"


class PatientFactory(DjangoModelFactory):
    """A patient whose screening is pending; the ``cleared`` trait clears it."""

    class Meta:
        model = Patient

    class Params:
        cleared = factory.Trait(
            screening_status=ScreeningStatus.CLEARED,
            screening_date=dt.date(2026, 1, 5),
        )
        rems = factory.Trait(rems_enrolled_on=dt.date(2026, 1, 6))

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = factory.Sequence(lambda n: f"Patient{n}")
    date_of_birth = dt.date(1980, 5, 17)
    email = factory.LazyAttribute(lambda p: f"{p.first_name.lower()}@example.org")
    phone = "+1 555 0100"
    escort_name = "Sam Escort"
    escort_phone = "+1 555 0199"
    screening_status = ScreeningStatus.PENDING


class PatientAccessFactory(DjangoModelFactory):
    """One recorded read of a patient's record through the API."""

    class Meta:
        model = PatientAccess

    user = factory.SubFactory(UserFactory)
    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    at = dt.datetime(2026, 5, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    route = "patient-detail"
    path = factory.LazyAttribute(lambda a: f"/api/v1/patients/{a.patient.pk}/")
    method = "GET"
    source = AccessSource.API


class SessionTypeFactory(DjangoModelFactory):
    """A clinic's own dosing session type: 60 minutes in the room, 60 minutes recovery."""

    class Meta:
        model = SessionType

    clinic = factory.SubFactory(ClinicFactory)
    slug = factory.Sequence(lambda n: f"session-type-{n}")
    name = factory.Sequence(lambda n: f"Session type {n}")
    is_dosing = True
    in_room_minutes = 60
    recovery_minutes = 60
    recovery_location = RecoveryLocation.SAME_SEAT
    min_monitoring_minutes = 90
    escort_required = True
    room_kind = RoomKind.DOSING
    staff_role = StaffRole.NURSE


class AppointmentFactory(DjangoModelFactory):
    """A booked appointment row (no holds, no checks) on 2026-05-04 09:00 New York time."""

    class Meta:
        model = Appointment

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, clinic=factory.SelfAttribute("..clinic"))
    session_type = factory.SubFactory(SessionTypeFactory, clinic=factory.SelfAttribute("..clinic"))
    room = factory.SubFactory(RoomFactory, clinic=factory.SelfAttribute("..clinic"))
    seat = factory.SubFactory(SeatFactory, room=factory.SelfAttribute("..room"))
    staff = None
    start = dt.datetime(2026, 5, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    end = factory.LazyAttribute(
        lambda a: a.start + dt.timedelta(minutes=a.session_type.in_room_minutes)
    )
    recovery_end = factory.LazyAttribute(
        lambda a: a.end + dt.timedelta(minutes=a.session_type.recovery_minutes)
    )
    status = AppointmentStatus.BOOKED


class HoldFactory(DjangoModelFactory):
    """A session hold on the appointment's seat over its in-room span."""

    class Meta:
        model = Hold

    appointment = factory.SubFactory(AppointmentFactory)
    kind = HoldKind.SESSION
    seat = factory.SelfAttribute("appointment.seat")
    staff = None
    start = factory.SelfAttribute("appointment.start")
    end = factory.SelfAttribute("appointment.end")
    active = True


class AppointmentEventFactory(DjangoModelFactory):
    class Meta:
        model = AppointmentEvent

    appointment = factory.SubFactory(AppointmentFactory)
    at = factory.LazyFunction(timezone.now)
    actor = None
    action = "booked"
    changes = factory.LazyFunction(dict)


class IdempotencyKeyFactory(DjangoModelFactory):
    class Meta:
        model = IdempotencyKey

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    endpoint = "POST /api/v1/appointments/"
    request_hash = "0" * 64
    state = IdempotencyKey.IN_PROGRESS
    created_at = factory.LazyFunction(timezone.now)


# --- Day of treatment ---------------------------------------------------------------------


class DischargeFactory(DjangoModelFactory):
    """A passing discharge 2 hours after the appointment's start."""

    class Meta:
        model = Discharge

    appointment = factory.SubFactory(AppointmentFactory, status=AppointmentStatus.DISCHARGED)
    at = factory.LazyAttribute(lambda d: d.appointment.start + dt.timedelta(hours=2))
    clinician = factory.SubFactory(UserFactory)
    vitals_stable = True
    alert_and_oriented = True
    score = 10
    pass_mark = 9
    collected_by = "Sam Escort"


class RideConfirmationFactory(DjangoModelFactory):
    class Meta:
        model = RideConfirmation

    appointment = factory.SubFactory(AppointmentFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    created_at = factory.LazyFunction(timezone.now)
    confirmed_at = None


class ReminderSentFactory(DjangoModelFactory):
    class Meta:
        model = ReminderSent

    appointment = factory.SubFactory(AppointmentFactory)
    kind = "day_before"
    sent_at = factory.LazyFunction(timezone.now)
    recipient = "patient@example.org"


class RemsFormFactory(DjangoModelFactory):
    """A REMS form due a week after its appointment's date."""

    class Meta:
        model = RemsForm

    appointment = factory.SubFactory(AppointmentFactory)
    due_on = factory.LazyAttribute(lambda f: f.appointment.start.date() + dt.timedelta(days=7))


class FeedTokenFactory(DjangoModelFactory):
    """A live patient feed token (the raw token is not kept; only its hash)."""

    class Meta:
        model = FeedToken

    clinic = factory.SubFactory(ClinicFactory)
    owner_kind = FeedOwnerKind.PATIENT
    patient = factory.SubFactory(PatientFactory, clinic=factory.SelfAttribute("..clinic"))
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    created_at = factory.LazyFunction(timezone.now)


# --- Plans ------------------------------------------------------------------------------


class PlanTemplateFactory(DjangoModelFactory):
    """A clinic template with no phases (add PlanPhaseFactory rows)."""

    class Meta:
        model = PlanTemplate

    clinic = factory.SubFactory(ClinicFactory)
    slug = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Template {n}")


class PlanPhaseFactory(DjangoModelFactory):
    """A weekly four-session phase of the template's clinic's session type."""

    class Meta:
        model = PlanPhase

    template = factory.SubFactory(PlanTemplateFactory)
    position = factory.Sequence(lambda n: n + 1)
    key = factory.Sequence(lambda n: f"phase-{n}")
    name = "Induction"
    kind = PhaseKind.INDUCTION
    session_type = factory.SubFactory(
        SessionTypeFactory, clinic=factory.SelfAttribute("..template.clinic")
    )
    count = 4
    min_gap_days = 6
    max_gap_days = 8


class TreatmentPlanFactory(DjangoModelFactory):
    class Meta:
        model = TreatmentPlan

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, clinic=factory.SelfAttribute("..clinic"))
    template = factory.SubFactory(PlanTemplateFactory, clinic=factory.SelfAttribute("..clinic"))
    start_date = dt.date(2026, 5, 4)


class PlannedSessionFactory(DjangoModelFactory):
    class Meta:
        model = PlannedSession

    plan = factory.SubFactory(TreatmentPlanFactory)
    ordinal = factory.Sequence(lambda n: n + 1)
    phase_key = "induction"
    phase_name = "Induction"
    session_type = factory.SubFactory(
        SessionTypeFactory, clinic=factory.SelfAttribute("..plan.clinic")
    )
    appointment = None


class OutboxEventFactory(DjangoModelFactory):
    """An outbox event as the booking services write it (ids, UTC times, status)."""

    class Meta:
        model = OutboxEvent

    clinic = factory.SubFactory(ClinicFactory)
    type = EventType.APPOINTMENT_BOOKED
    subject = factory.Sequence(lambda n: f"appointment:{n + 1}")
    data = factory.LazyAttribute(
        lambda o: {
            "clinic": o.clinic.id,
            "appointment": int(o.subject.split(":")[1]),
            "status": "booked",
            "sequence": 0,
        }
    )
    created_at = factory.LazyFunction(timezone.now)


class AuthorizationFactory(DjangoModelFactory):
    """A payer's authorization for eight sessions over three months of the patient's clinic."""

    class Meta:
        model = Authorization

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.LazyAttribute(lambda o: o.patient.clinic)
    payer = "Acme Health"
    number = factory.Sequence(lambda n: f"PA-{n:05d}")
    units = 8
    start_date = factory.LazyFunction(lambda: timezone.localdate())
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=90))


class WaitlistEntryFactory(DjangoModelFactory):
    """A waiting entry for a week of May 2026 (no offer)."""

    class Meta:
        model = WaitlistEntry

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, clinic=factory.SelfAttribute("..clinic"))
    session_type = factory.SubFactory(SessionTypeFactory, clinic=factory.SelfAttribute("..clinic"))
    date_from = dt.date(2026, 5, 4)
    date_to = dt.date(2026, 5, 8)
    created_at = dt.datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))


class WaitlistEventFactory(DjangoModelFactory):
    class Meta:
        model = WaitlistEvent

    entry = factory.SubFactory(WaitlistEntryFactory)
    at = dt.datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    action = "created"


class PatientLinkFactory(DjangoModelFactory):
    """An open appointment link (the token itself is not kept: only a hash)."""

    class Meta:
        model = PatientLink

    appointment = factory.SubFactory(AppointmentFactory)
    clinic = factory.SelfAttribute("appointment.clinic")
    purpose = "appointment"
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    created_at = dt.datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    expires_at = factory.SelfAttribute("appointment.start")


class FeedStampFactory(DjangoModelFactory):
    """A patient's feed counter, as the database triggers leave it after a first change."""

    class Meta:
        model = FeedStamp

    owner_kind = FeedOwnerKind.PATIENT
    owner_id = factory.LazyFunction(lambda: PatientFactory().pk)
    version = 1
    changed_at = factory.LazyFunction(timezone.now)


class GroupSessionFactory(DjangoModelFactory):
    """A group dosing session for six in a dosing room, 2026-05-04 09:00-12:00 New York
    time with 30 minutes of recovery (no facilitators, holds or enrolments)."""

    class Meta:
        model = GroupSession

    room = factory.SubFactory(RoomFactory)
    clinic = factory.LazyAttribute(lambda o: o.room.clinic)
    session_type = factory.SubFactory(
        SessionTypeFactory,
        clinic=factory.SelfAttribute("..clinic"),
        in_room_minutes=180,
        recovery_minutes=30,
        min_monitoring_minutes=180,
        group_capacity=6,
        facilitators_required=2,
        staff_role=StaffRole.THERAPIST,
    )
    start = dt.datetime(2026, 5, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=3))
    recovery_end = factory.LazyAttribute(lambda o: o.end + dt.timedelta(minutes=30))


class CohortFactory(DjangoModelFactory):
    """A kap-group-like cohort of a clinic (the built-in template), with no sessions."""

    class Meta:
        model = Cohort

    room = factory.SubFactory(RoomFactory)
    clinic = factory.LazyAttribute(lambda o: o.room.clinic)
    template = factory.SubFactory(PlanTemplateFactory, clinic=factory.SelfAttribute("..clinic"))
    start_date = dt.date(2026, 5, 4)


class CohortSessionFactory(DjangoModelFactory):
    class Meta:
        model = CohortSession

    group_session = factory.SubFactory(GroupSessionFactory)
    cohort = factory.SubFactory(
        CohortFactory,
        room=factory.SelfAttribute("..group_session.room"),
    )
    ordinal = factory.Sequence(lambda n: n + 1)
    phase_key = "dosing"
