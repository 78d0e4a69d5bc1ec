"""The clinic and what it schedules: opening hours, closures, rooms and their seats,
staff and their hours, session types, and patients.

The service stores screening outcomes, never the medical detail behind them.
"""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import DatabaseError, models
from django.utils import timezone

from backend.common.roles import Role
from backend.common.scoping import ClinicScopedQuerySet, scoped_queryset
from backend.scheduling.resources.choices import (
    AbsenceKind,
    Modality,
    RecoveryLocation,
    RoomKind,
    ScreeningStatus,
    SeatKind,
    StaffRole,
    Weekday,
)


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"'{value}' is not a known IANA time zone.") from exc


def config_stamp_new() -> int:
    """A fresh clinic configuration stamp: random, positive, fits a signed 64-bit column."""
    return secrets.randbits(62) + 1


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. America/New_York. All local dates and times use it.",
    )
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    feed_event_title = models.CharField(
        max_length=200,
        default="Appointment at {clinic}",
        help_text="Title of events in patients' calendar feeds. '{clinic}' is replaced by "
        "the clinic's name. Keep drug and diagnosis words out of it.",
    )
    discharge_pass_mark = models.PositiveSmallIntegerField(
        default=9,
        validators=[MaxValueValidator(10)],
        help_text="Lowest discharge score (out of 10, PADSS-style) that allows discharge.",
    )
    recovering_per_monitor = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="The most patients in monitored recovery per working monitor (nurse) at any "
        "moment; peri-anaesthesia guidance is one nurse per 3-5 patients.",
    )
    require_second_factor = models.BooleanField(
        default=False,
        help_text="Every member of the clinic (and everyone whose role covers every clinic) "
        "must set up a second login factor (an authenticator app) before using the console.",
    )
    # Waitlist, authorizations and patient links (scheduling/waitlist, authorizations).
    waitlist_offer_minutes = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)],
        help_text="Minutes a waitlist offer holds its seat for the patient (never past the start).",
    )
    no_show_uses_authorization = models.BooleanField(
        default=True, help_text="A no-show consumes a unit of the patient's authorization."
    )
    patient_cancel_cutoff_hours = models.PositiveIntegerField(
        default=24,
        validators=[MaxValueValidator(14 * 24)],
        help_text="Patients may cancel from their link up to this many hours before the start.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Changes whenever the clinic's setup does (resources.config): processes cache the
    # setup and compare this stamp, read with the clinic row, to know when to reload it.
    config_version = models.BigIntegerField(default=config_stamp_new, editable=False)

    objects = scoped_queryset("pk").as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Only ``clinic_config_touch`` writes the stamp: an instance loaded before a change
        # must not put its old stamp back when saved.
        updating = not self._state.adding and not kwargs.get("force_insert")
        if updating and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "config_version"
            ]
        super().save(*args, **kwargs)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class OpeningHours(models.Model):
    """One opening window on a weekday, in the clinic's wall-clock time."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["clinic", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="opening_hours_close_after_open",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="opening_hours_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class Closure(models.Model):
    """Whole days the clinic is closed (holidays, training days), inclusive."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["clinic", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="closure_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic}: closed {self.start_date}-{self.end_date} {self.reason}".strip()

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The closure cannot end before it starts."})


class Room(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=RoomKind.choices)
    active = models.BooleanField(default=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_unique_name_per_clinic"),
        ]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    """A recliner, chair or bed: the unit of capacity that must never be double-booked."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="seats")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=SeatKind.choices, default=SeatKind.CHAIR)
    active = models.BooleanField(default=True)

    objects = scoped_queryset("room__clinic").as_manager()

    class Meta:
        ordering = ["room", "name"]
        constraints = [
            models.UniqueConstraint(fields=["room", "name"], name="seat_unique_name_per_room"),
        ]

    def __str__(self) -> str:
        return f"{self.room.name} / {self.name}"


class Staff(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(max_length=160)
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_profile",
    )
    # A CharField with the URL check: the admin's forms.URLField warns about its scheme.
    video_link = models.CharField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text="Video room for this staff member's telehealth visits.",
    )
    active = models.BooleanField(default=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["clinic", "name"]
        verbose_name = "staff member"
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class WorkingHours(models.Model):
    """One working window on a weekday, in the clinic's wall-clock time."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    objects = scoped_queryset("staff__clinic").as_manager()

    class Meta:
        ordering = ["staff", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")),
                name="working_hours_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="working_hours_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValidationError({"ends": "The working window must end after it starts."})


class StaffAbsence(models.Model):
    """Time a staff member is away (sick, leave, training), or an extra shift they work.

    Both change the one thing placement asks of staff, their working windows: an absence
    cuts its span out of the weekly hours, an extra shift adds its span. Whole days are
    stored as the local midnights around them, so the span is always real instants.
    """

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="absences")
    kind = models.CharField(max_length=20, choices=AbsenceKind.choices, default=AbsenceKind.ABSENCE)
    start = models.DateTimeField()
    end = models.DateTimeField()
    all_day = models.BooleanField(
        default=False, help_text="Recorded as whole local days (shown as dates, not times)."
    )
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_queryset("staff__clinic").as_manager()

    class Meta:
        ordering = ["staff", "start", "id"]
        indexes = [models.Index(fields=["staff", "end"], name="staff_absence_staff_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="staff_absence_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff.name}: {self.get_kind_display()} {self.start:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})


class SessionType(models.Model):
    """What one appointment is: how long it takes, its recovery, and what it needs.

    A session type without a clinic is built in and shared by every clinic; a clinic can
    add its own (or copy a built-in one to change its numbers).
    """

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        related_name="session_types",
        null=True,
        blank=True,
        help_text="Empty for the built-in types every clinic shares.",
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=160)
    is_dosing = models.BooleanField(
        default=False,
        help_text="A dosing session: needs cleared screening, at most one per patient per day.",
    )
    requires_rems = models.BooleanField(
        default=False, help_text="Needs the patient's REMS enrollment on file (Spravato)."
    )
    in_room_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(12 * 60)]
    )
    recovery_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(12 * 60)]
    )
    recovery_location = models.CharField(
        max_length=20, choices=RecoveryLocation.choices, default=RecoveryLocation.SAME_SEAT
    )
    min_monitoring_minutes = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(12 * 60)],
        help_text="Earliest discharge after the session starts, unless a clinician overrides.",
    )
    escort_required = models.BooleanField(
        default=False, help_text="The patient may not drive home; an escort collects them."
    )
    room_kind = models.CharField(max_length=20, choices=RoomKind.choices)
    rooms = models.ManyToManyField(
        Room,
        blank=True,
        related_name="session_types",
        help_text="Rooms this session type may use (e.g. the REMS-certified room); "
        "empty means any active room of its kind.",
    )
    staff_role = models.CharField(
        max_length=20,
        choices=StaffRole.choices,
        blank=True,
        help_text="Role of the staff member who runs the session; empty if none is needed.",
    )
    arrive_minutes_before = models.PositiveIntegerField(
        default=15, validators=[MaxValueValidator(240)]
    )
    patient_instructions = models.TextField(
        blank=True,
        help_text="Practical instructions for the patient (fasting, what to bring). "
        "No diagnosis or drug words: they appear in reminders and calendar feeds.",
    )
    # Clinical capacity (docs/architecture.md, "Clinical capacity").
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    group_capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    facilitators_required = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    requires_prescriber_on_site = models.BooleanField(
        default=False, help_text="A prescriber must be working throughout session and recovery."
    )
    requires_authorization = models.BooleanField(
        default=False, help_text="Booking needs an active payer authorization with a unit left."
    )
    active = models.BooleanField(default=True)

    # Built-in types (no clinic) are shared defaults that every clinic sees.
    objects = scoped_queryset("clinic", shared_when_unowned=True).as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "slug"],
                name="session_type_unique_slug_per_clinic",
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(clinic__isnull=True),
                name="session_type_unique_builtin_slug",
            ),
            models.CheckConstraint(
                condition=models.Q(in_room_minutes__gt=0),
                name="session_type_in_room_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recovery_in_same_seat(self) -> bool:
        return self.recovery_location == RecoveryLocation.SAME_SEAT

    @property
    def is_telehealth(self) -> bool:
        return self.modality == Modality.TELEHEALTH

    def clean(self) -> None:
        if self.is_telehealth and (self.is_dosing or self.recovery_minutes):
            raise ValidationError({"modality": "Dosing and recovery are never telehealth."})
        if self.is_telehealth and self.group_capacity > 1:
            raise ValidationError({"modality": "Group sessions meet in a room."})
        if self.room_kind == RoomKind.RECOVERY:
            raise ValidationError({"room_kind": "Sessions take place in dosing or therapy rooms."})
        total = (self.in_room_minutes or 0) + (self.recovery_minutes or 0)
        if self.min_monitoring_minutes and self.min_monitoring_minutes > total:
            raise ValidationError(
                {"min_monitoring_minutes": "Cannot exceed the session plus its recovery."}
            )


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=120)
    last_name = models.CharField(max_length=120)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    escort_name = models.CharField(
        max_length=160, blank=True, help_text="Default driver/escort who collects the patient."
    )
    escort_phone = models.CharField(max_length=40, blank=True)
    preferred_channel = models.CharField(
        max_length=10,
        choices=[("email", "Email"), ("sms", "Text message")],
        default="email",
        blank=True,
        help_text="How the patient wants reminders and offers; text needs their consent.",
    )
    screening_status = models.CharField(
        max_length=20, choices=ScreeningStatus.choices, default=ScreeningStatus.PENDING
    )
    screening_date = models.DateField(null=True, blank=True)
    rems_enrolled_on = models.DateField(
        null=True, blank=True, help_text="Date of REMS patient enrollment (Spravato)."
    )
    email_consent = models.BooleanField(
        default=True, help_text="The patient agrees to reminders and messages by email."
    )
    sms_consent = models.BooleanField(
        default=False, help_text="The patient agreed to text messages (SMS) on their phone."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        stored = getattr(self, "_stored_name", None)
        current = (self.first_name, self.last_name)
        if stored is not None and stored != current:
            # Room and staff calendar feeds show initials and version themselves by their
            # appointments' updated_at: a rename must move it, or subscribers keep the old.
            self.appointments.update(updated_at=timezone.now())
        self._stored_name = current

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "first_name" in field_names and "last_name" in field_names:
            instance._stored_name = (instance.first_name, instance.last_name)
        return instance

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}.{self.last_name[:1]}.".upper()


class Membership(models.Model):
    """One role a user holds in one clinic; a user may hold several, in several clinics.

    A membership without a clinic holds the role in every clinic of the install, present
    and future: the group's operations manager, say. What a user sees and may do is
    decided by these rows (``backend.common.scoping``), never by global groups.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        help_text="Empty: the role in every clinic of the group.",
    )
    role = models.CharField(max_length=20, choices=Role.CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["clinic", "user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="membership_unique_role_per_clinic"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(clinic__isnull=True),
                name="membership_unique_role_everywhere",
            ),
        ]

    def __str__(self) -> str:
        where = self.clinic or "every clinic"
        return f"{self.user} as {self.get_role_display()} at {where}"


class AccessSource(models.TextChoices):
    API = "api", "API"
    CONSOLE = "console", "Console"


class AppendOnlyViolation(DatabaseError):
    """A row of an append-only table was to be changed or deleted."""


class AppendOnlyQuerySet(ClinicScopedQuerySet):
    """Refuses the ORM's bulk writes: rows are added, never changed or removed."""

    def update(self, **kwargs):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are never changed.")

    def delete(self):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are never deleted.")


class PatientAccess(models.Model):
    """One read of a patient's record, course or appointments: who, when, where, how.

    Append-only: the model refuses to change or delete a row, and on PostgreSQL a trigger
    refuses UPDATE and DELETE on the table (migration ``0009_patient_access``). Rows are
    written by ``resources.access_log`` in one insert per request.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient_accesses"
    )
    # Indexed with ``at`` below, which also serves look-ups by patient alone.
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="accesses", db_index=False
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    route = models.CharField(max_length=120, help_text="The URL name of the page or endpoint.")
    path = models.CharField(max_length=255, help_text="The path read, without its query.")
    method = models.CharField(max_length=10)
    source = models.CharField(max_length=10, choices=AccessSource.choices)

    objects = scoped_queryset("clinic", base=AppendOnlyQuerySet).as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "patient access"
        verbose_name_plural = "patient accesses"
        indexes = [models.Index(fields=["patient", "at"], name="patient_access_patient_at")]

    def __str__(self) -> str:
        return f"{self.user_id} read patient {self.patient_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation("The patient access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("The patient access log is append-only.")
