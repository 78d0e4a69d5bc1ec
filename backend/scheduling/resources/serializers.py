"""Serializers for the clinic's resources: clinics, rooms, seats, staff, patients, session types.

Every serializer runs the model's own validation (``full_clean``: field validators,
``clean()``, unique checks and check constraints) on the object it is about to save, so a
broken rule is a 400 naming the field and never an ``IntegrityError`` (a 500).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from backend.common.serializers import ClockTimeField, ModelCleanMixin
from backend.scheduling.resources.choices import ScreeningStatus, Weekday
from backend.scheduling.resources.config import clinic_config_touch
from backend.scheduling.resources.models import (
    Clinic,
    Closure,
    OpeningHours,
    Patient,
    Room,
    Seat,
    SessionType,
    Staff,
    WorkingHours,
)
from backend.scheduling.resources.phones import phone_e164


def _refuse_overlapping_windows(
    windows: list[dict[str, Any]], start: str, end: str
) -> list[dict[str, Any]]:
    by_weekday: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for window in windows:
        by_weekday[window["weekday"]].append(window)
    for weekday, day_windows in sorted(by_weekday.items()):
        day_windows.sort(key=lambda window: window[start])
        for earlier, later in pairwise(day_windows):
            if later[start] < earlier[end]:
                raise serializers.ValidationError(
                    f"{Weekday(weekday).label}: {earlier[start]:%H:%M}-{earlier[end]:%H:%M} "
                    f"overlaps {later[start]:%H:%M}-{later[end]:%H:%M}. "
                    "Merge them into one window."
                )
    return windows


# --- Clinics ---------------------------------------------------------------------------


class OpeningHoursSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent_field = "clinic"

    opens = ClockTimeField()
    closes = ClockTimeField()

    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class ClosureSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent_field = "clinic"

    class Meta:
        model = Closure
        fields = ["start_date", "end_date", "reason"]


class ClinicSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A clinic with its weekly opening hours and closures.

    ``opening_hours`` and ``closures`` are written as whole lists: sending one replaces
    every existing entry (in the same transaction as the clinic); leaving it out of a
    PATCH keeps the current entries.
    """

    opening_hours = OpeningHoursSerializer(
        many=True,
        required=False,
        help_text="Weekly opening windows (weekday 0 = Monday). Several windows per day "
        "are allowed if they do not overlap. Sending the list replaces all of them.",
    )
    closures = ClosureSerializer(
        many=True,
        required=False,
        help_text="Whole days the clinic is closed, both dates inclusive. Sending the list "
        "replaces all of them.",
    )

    class Meta:
        model = Clinic
        fields = [
            "id",
            "name",
            "slug",
            "timezone",
            "address",
            "phone",
            "email",
            "feed_event_title",
            "discharge_pass_mark",
            "recovering_per_monitor",
            "require_second_factor",
            "waitlist_offer_minutes",
            "no_show_uses_authorization",
            "patient_cancel_cutoff_hours",
            "opening_hours",
            "closures",
        ]

    def validate_opening_hours(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _refuse_overlapping_windows(value, "opens", "closes")

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Clinic:
        hours = validated_data.pop("opening_hours", [])
        closures = validated_data.pop("closures", [])
        clinic = super().create(validated_data)
        self._replace_children(clinic, hours, closures)
        return clinic

    @transaction.atomic
    def update(self, instance: Clinic, validated_data: dict[str, Any]) -> Clinic:
        hours = validated_data.pop("opening_hours", None)
        closures = validated_data.pop("closures", None)
        clinic = super().update(instance, validated_data)
        self._replace_children(clinic, hours, closures)
        return clinic

    @staticmethod
    def _replace_children(
        clinic: Clinic,
        hours: list[dict[str, Any]] | None,
        closures: list[dict[str, Any]] | None,
    ) -> None:
        if hours is not None:
            clinic.opening_hours.all().delete()
            OpeningHours.objects.bulk_create(
                OpeningHours(clinic=clinic, **window) for window in hours
            )
        if closures is not None:
            clinic.closures.all().delete()
            Closure.objects.bulk_create(Closure(clinic=clinic, **closure) for closure in closures)
        # bulk_create sends no signal: the cached setup's stamp changes here, after the rows.
        clinic_config_touch(clinic.id)


# --- Rooms and seats -------------------------------------------------------------------


class RoomSeatSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent_field = "room"

    class Meta:
        model = Seat
        fields = ["id", "name", "kind", "active"]
        # Uniqueness within the new room is checked on the whole list by the room.
        validators = []


class RoomSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A room and its seats.

    Seats can be given with the room when it is created (``seats``: a list of
    ``{"name", "kind", "active"}``). Afterwards the room's ``seats`` list is read-only:
    add, rename or deactivate seats one by one at ``/api/v1/seats/`` so that seats
    referenced by appointments keep their identity.
    """

    immutable_fields = ("clinic",)
    unique_messages = {"name": "This clinic already has a room with this name."}

    seats = RoomSeatSerializer(
        many=True,
        required=False,
        help_text="The room's seats. Writable when the room is created only; afterwards "
        "manage them at /api/v1/seats/.",
    )
    capacity = serializers.SerializerMethodField(help_text="Number of active seats.")

    class Meta:
        model = Room
        fields = ["id", "clinic", "name", "kind", "active", "capacity", "seats"]
        validators = []

    def get_capacity(self, room: Room) -> int:
        # Counted from the (prefetched) seats so that a list costs no query per room.
        return sum(1 for seat in room.seats.all() if seat.active)

    def validate_seats(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.instance is not None:
            raise serializers.ValidationError(
                "Seats are given when the room is created; afterwards add, rename or "
                "deactivate them at /api/v1/seats/."
            )
        names = [seat["name"] for seat in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise serializers.ValidationError(
                "Seat names must be unique within the room: " + ", ".join(duplicates) + "."
            )
        return value

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Room:
        seats = validated_data.pop("seats", [])
        room = super().create(validated_data)
        Seat.objects.bulk_create(Seat(room=room, **seat) for seat in seats)
        clinic_config_touch(room.clinic_id)  # bulk_create sends no signal
        return room


class SeatSerializer(ModelCleanMixin, serializers.ModelSerializer):
    immutable_fields = ("room",)
    unique_messages = {"name": "This room already has a seat with this name."}

    class Meta:
        model = Seat
        fields = ["id", "room", "name", "kind", "active"]
        validators = []


# --- Staff -----------------------------------------------------------------------------


class WorkingHoursSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent_field = "staff"

    starts = ClockTimeField()
    ends = ClockTimeField()

    class Meta:
        model = WorkingHours
        fields = ["weekday", "starts", "ends"]


class StaffSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A staff member and their weekly working hours.

    ``working_hours`` is written as a whole list: sending it replaces every existing
    window; leaving it out of a PATCH keeps them.
    """

    immutable_fields = ("clinic",)

    working_hours = WorkingHoursSerializer(
        many=True,
        required=False,
        help_text="Weekly working windows (weekday 0 = Monday) in the clinic's wall-clock "
        "time. Sending the list replaces all of them.",
    )

    class Meta:
        model = Staff
        fields = [
            "id",
            "clinic",
            "name",
            "role",
            "email",
            "user",
            "video_link",
            "active",
            "working_hours",
        ]
        extra_kwargs = {"user": {"help_text": "Login account of this staff member, if any."}}

    def validate_working_hours(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _refuse_overlapping_windows(value, "starts", "ends")

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Staff:
        hours = validated_data.pop("working_hours", [])
        staff = super().create(validated_data)
        self._replace_hours(staff, hours)
        return staff

    @transaction.atomic
    def update(self, instance: Staff, validated_data: dict[str, Any]) -> Staff:
        hours = validated_data.pop("working_hours", None)
        staff = super().update(instance, validated_data)
        if hours is not None:
            self._replace_hours(staff, hours)
        return staff

    @staticmethod
    def _replace_hours(staff: Staff, hours: list[dict[str, Any]]) -> None:
        staff.working_hours.all().delete()
        WorkingHours.objects.bulk_create(WorkingHours(staff=staff, **window) for window in hours)
        clinic_config_touch(staff.clinic_id)  # bulk_create sends no signal


# --- Patients --------------------------------------------------------------------------


PATIENT_PAST_DATES = ("date_of_birth", "screening_date", "rems_enrolled_on")


def patient_rule_errors(
    *,
    clinic: Clinic,
    screening_status: str,
    screening_date: dt.date | None,
    new_dates: dict[str, dt.date | None],
) -> dict[str, list[str]]:
    """Errors by field for a patient's eligibility facts (shared with the admin form).

    Only ``new_dates`` (the dates being written) are checked against the clinic's local
    today, so editing a phone number never trips over a stored date.
    """
    errors: dict[str, list[str]] = {}
    if screening_status == ScreeningStatus.CLEARED and not screening_date:
        errors["screening_date"] = ["A cleared screening needs the date it was done."]
    today = timezone.now().astimezone(clinic.zone).date()
    for name, day in new_dates.items():
        if day is not None and day > today:
            errors.setdefault(name, []).append(
                f"Cannot be in the future (today is {today.isoformat()} at the clinic)."
            )
    return errors


def _phone_checked(value: str) -> str:
    try:
        return phone_e164(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from exc


class PatientSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A patient: contact details, default escort and the eligibility facts booking checks.

    ``screening_status`` "cleared" needs ``screening_date``. Dates cannot lie in the
    future of the clinic's local today. Phone numbers are validated and stored in E.164.
    """

    immutable_fields = ("clinic",)

    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "clinic",
            "first_name",
            "last_name",
            "full_name",
            "date_of_birth",
            "email",
            "phone",
            "escort_name",
            "escort_phone",
            "preferred_channel",
            "screening_status",
            "screening_date",
            "rems_enrolled_on",
            "email_consent",
            "sms_consent",
            "active",
        ]

    def validate_phone(self, value: str) -> str:
        return _phone_checked(value)

    def validate_escort_phone(self, value: str) -> str:
        return _phone_checked(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name) if self.instance is not None else None

        errors = patient_rule_errors(
            clinic=value("clinic"),
            screening_status=value("screening_status"),
            screening_date=value("screening_date"),
            new_dates={name: attrs[name] for name in PATIENT_PAST_DATES if name in attrs},
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- Session types ---------------------------------------------------------------------


class SessionTypeSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """What one appointment is: durations, recovery, escort and the room and staff it needs.

    A session type without a clinic is built in and shared by every clinic. ``slug`` is
    unique within its clinic (and among the built-in types).
    """

    immutable_fields = ("clinic",)

    is_builtin = serializers.SerializerMethodField(
        help_text="True for the built-in types every clinic shares (no clinic)."
    )

    class Meta:
        model = SessionType
        fields = [
            "id",
            "clinic",
            "is_builtin",
            "slug",
            "name",
            "is_dosing",
            "requires_rems",
            "in_room_minutes",
            "recovery_minutes",
            "recovery_location",
            "min_monitoring_minutes",
            "escort_required",
            "room_kind",
            "rooms",
            "staff_role",
            "arrive_minutes_before",
            "patient_instructions",
            "modality",
            "group_capacity",
            "facilitators_required",
            "requires_prescriber_on_site",
            "requires_authorization",
            "active",
        ]
        validators = []
        extra_kwargs = {"rooms": {"required": False}}

    def validate_rooms(self, rooms: list[Room]) -> list[Room]:
        kind = self.initial_data.get("room_kind", getattr(self.instance, "room_kind", None))
        wrong = [room.name for room in rooms if room.kind != kind]
        if wrong:
            raise serializers.ValidationError(
                f"Not {kind} rooms: {', '.join(wrong)}. List rooms of the session's kind."
            )
        return rooms

    def get_is_builtin(self, session_type: SessionType) -> bool:
        return session_type.clinic_id is None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Checked before the model's constraints: the built-in types' uniqueness is a
        # conditional constraint whose own message names no field.
        instance = self.instance
        clinic = attrs["clinic"] if "clinic" in attrs else getattr(instance, "clinic", None)
        slug = attrs["slug"] if "slug" in attrs else getattr(instance, "slug", None)
        taken = SessionType.objects.filter(clinic=clinic, slug=slug)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if slug and taken.exists():
            where = "among the built-in types" if clinic is None else "in this clinic"
            raise serializers.ValidationError(
                {"slug": [f"A session type with slug '{slug}' already exists {where}."]}
            )
        return super().validate(attrs)
