"""Appointments, the seat and staff holds they own, their audit trail, and the stored
responses of requests sent with an Idempotency-Key header."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models

from backend.common.scoping import ClinicScopedQuerySet, scoped_queryset
from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.resources.models import Clinic, Patient, Room, Seat, SessionType, Staff


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    IN_SESSION = "in_session", "In session"
    RECOVERING = "recovering", "Recovering"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    # A waitlist offer: its holds keep the seat and staff for the patient until they answer.
    OFFERED = "offered", "Offered (waitlist)"


# Statuses whose holds still occupy seats and staff.
ACTIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_SESSION,
    AppointmentStatus.RECOVERING,
    AppointmentStatus.DISCHARGED,
)

# An appointment's holds are active exactly while it takes capacity: in one of these
# statuses, or a waitlist offer (its seat, staff member and monitored recovery, until it
# is answered or lapses). Cancelling, a no-show and a lapsed or declined offer deactivate
# them in the same transaction, so capacity reads count active holds alone.


class HoldKind(models.TextChoices):
    SESSION = "session", "Session"
    RECOVERY = "recovery", "Recovery"
    STAFF = "staff", "Staff"


class AppointmentQuerySet(ClinicScopedQuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def with_details(self):
        return self.select_related(
            "clinic", "patient", "session_type", "room", "seat", "staff"
        ).prefetch_related(
            models.Prefetch("holds", queryset=Hold.objects.select_related("seat__room"))
        )


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    # Empty for a telehealth visit, which holds only its staff member.
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="End of the in-room session.")
    recovery_end = models.DateTimeField(help_text="Earliest discharge: end of recovery.")
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    sequence = models.PositiveIntegerField(
        default=0, help_text="Rises by one on every change a calendar should see."
    )
    # One participant's place in a group session (groups topic); its own holds and states.
    group_session = models.ForeignKey(
        "scheduling.GroupSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    # The plan and session this appointment was booked for: a denormalised copy. The
    # authority is plans' PlannedSession (which appointment fills each session now); an
    # opaque id, since scheduling never imports plans. The copy serves reads that must not
    # join into plans: each appointment's `plan` and `ordinal` in the API, the indexed
    # `?plan=` filter, and a course's whole history, cancelled and missed sessions included
    # (PlannedSession points at the current appointment only). Plans' booking services
    # write both with the appointment and nothing changes them later (a move changes the
    # time, not the session; a make-up is a new appointment), so the two stay in step.
    plan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ordinal = models.PositiveIntegerField(null=True, blank=True)
    # Telehealth: the link given at booking, else the staff member's link at that time.
    video_link = models.CharField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text="Telehealth only: overrides the staff member's video room.",
    )
    authorization = models.ForeignKey(
        Authorization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text="The payer authorization whose unit this session uses.",
    )
    escort_name = models.CharField(max_length=160, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    # Day of treatment: when each step happened (who did it is in the audit trail).
    checked_in_at = models.DateTimeField(null=True, blank=True)
    session_started_at = models.DateTimeField(
        null=True, blank=True, help_text="First dose: monitoring time counts from here."
    )
    recovery_started_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["clinic", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["staff", "start"]),
            models.Index(fields=["room", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start"))
                & models.Q(recovery_end__gte=models.F("end")),
                name="appointment_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_type} for {self.patient} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def video_link_effective(self) -> str:
        """A telehealth visit's link (set at booking: the one given, else the staff
        member's); "" for an in-person session."""
        return self.video_link if self.session_type.is_telehealth else ""

    @property
    def escort_missing(self) -> bool:
        return self.session_type.escort_required and not self.escort_name


class Hold(models.Model):
    """A span of one seat (session or recovery) or one staff member owned by an appointment.

    Capacity is exactly "no two active holds overlap on one seat (or staff member)"; on
    PostgreSQL an exclusion constraint enforces it in the database itself.
    """

    # Owned by an appointment, or (a facilitator's time) by a group session.
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="holds"
    )
    group_session = models.ForeignKey(
        "scheduling.GroupSession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_holds",
    )
    kind = models.CharField(max_length=20, choices=HoldKind.choices)
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=True)

    objects = scoped_queryset("appointment__clinic").as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["seat", "start"], name="hold_seat_start"),
            models.Index(fields=["staff", "start"], name="hold_staff_start"),
            # The clinic's recovering patients (the monitoring ratio) are read by time
            # alone, whatever the seat: without this every board read scanned all holds.
            models.Index(
                fields=["start"],
                name="hold_recovery_start",
                condition=models.Q(kind="recovery", active=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="hold_end_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=HoldKind.STAFF, staff__isnull=False, seat__isnull=True)
                    | (
                        ~models.Q(kind=HoldKind.STAFF)
                        & models.Q(seat__isnull=False, staff__isnull=True)
                    )
                ),
                name="hold_resource_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(appointment__isnull=False, group_session__isnull=True)
                | models.Q(appointment__isnull=True, group_session__isnull=False),
                name="hold_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        who = self.seat or self.staff
        return f"{self.kind} {who} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"


class AppointmentEvent(models.Model):
    """One entry of an appointment's audit trail: who did what, when, and what changed.

    Append-only: on PostgreSQL a trigger refuses every UPDATE and DELETE (migration
    0021) unless its appointment goes with it; the actor it names cannot be deleted.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(blank=True)

    objects = scoped_queryset("appointment__clinic").as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=300, help_text="Method and path of the request.")
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, default=IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
