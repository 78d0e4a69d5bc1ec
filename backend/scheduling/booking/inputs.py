"""A booking's body and a search's query read with plain typed parsing: the hot paths of
``POST appointments/`` and ``GET availability/``.

``AppointmentCreateSerializer`` stays the definition of the body (the schema documents it)
and the only author of its refusals. ``booking_input_parse`` accepts only bodies that
serializer accepts, reads them to the same values without building a serializer, and
answers None for anything else: the view then lets the serializer answer, so every 400,
403 and 404 keeps the serializer's exact body. A test holds the two equal on valid and
invalid bodies alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backend.common.db import PreparedGet
from backend.common.permissions import view_roles
from backend.common.scoping import access_of, clinic_id_of
from backend.scheduling.booking.fetch import clinic_config
from backend.scheduling.booking.serializers import (
    AppointmentCreateSerializer,
    AvailabilityQuerySerializer,
)
from backend.scheduling.resources.models import (
    Clinic,
    Patient,
    Room,
    Seat,
    SessionType,
    Staff,
)

# The serializers' own limits, read from their fields so that the two never drift apart.
_BODY = AppointmentCreateSerializer().fields
NOTES_MAX = _BODY["notes"].max_length
VIDEO_LINK_MAX = _BODY["video_link"].max_length
OVERRIDE_MAX = _BODY["authorization_override"].max_length
ESCORT_NAME_MAX = _BODY["escort"].fields["name"].max_length
ESCORT_PHONE_MAX = _BODY["escort"].fields["phone"].max_length
# Ids beyond a database integer go to the serializer, which refuses them in its own words.
ID_MAX = 2**31 - 1

_url_valid = URLValidator()


@dataclass(frozen=True)
class BookingInput:
    patient: Patient
    session_type: SessionType
    start: datetime
    staff: Staff | None = None
    room: Room | None = None
    seat: Seat | None = None
    escort: tuple[str, str] | None = None  # (name, phone) when the body gave an escort
    notes: str = ""
    video_link: str = ""
    authorization_override: str = ""


class _Refer(Exception):
    """The body is not one the fast path can read: the serializer answers it."""


def _text(value: Any, max_length: int) -> str:
    """A ``CharField(allow_blank=True)`` value as the API reads JSON text (strict: strings
    only; the length limit counts what was sent, as ``common.strict`` has every field do;
    surrounding whitespace trimmed)."""
    if type(value) is not str or len(value) > max_length:
        raise _Refer
    text = value.strip()
    if "\x00" in text:
        raise _Refer
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise _Refer
    return text


def _optional_text(data: dict, key: str, max_length: int) -> str:
    return _text(data[key], max_length) if key in data else ""


def _start(value: Any) -> datetime:
    """An ``AwareDateTimeField(whole_minutes=True)`` value: ISO 8601 with a UTC offset."""
    if type(value) is not str or value != value.strip():
        raise _Refer
    try:
        parsed = parse_datetime(value)
    except ValueError:
        raise _Refer from None
    if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _Refer
    try:
        result = parsed.astimezone(timezone.get_current_timezone())
    except OverflowError:
        raise _Refer from None
    if result.second or result.microsecond:
        raise _Refer
    return result


def _scoped(queryset: QuerySet | PreparedGet, value: Any, *, access, roles, known=None) -> Any:
    """A ``ScopedPrimaryKeyRelatedField`` reference that the field would accept; taken
    from ``known`` (rows already loaded, by id) when it is there."""
    if type(value) is not int or not 0 < value <= ID_MAX:
        raise _Refer
    obj = known.get(value) if known is not None else None
    if obj is None:
        try:
            obj = queryset.get(pk=value)
        except queryset.model.DoesNotExist:
            raise _Refer from None
    clinic_id = clinic_id_of(obj)
    if clinic_id is not None and not access.has_role(clinic_id, roles):
        raise _Refer
    return obj


# Every booking and search reads its patient with the clinic first (compiled once).
_PATIENT = PreparedGet(Patient, "clinic")


def _optional_scoped(data: dict, key: str, queryset: QuerySet, **kwargs) -> Any:
    value = data.get(key)
    return None if value is None else _scoped(queryset, value, **kwargs)


def _escort(data: dict) -> tuple[str, str] | None:
    if "escort" not in data:
        return None
    escort = data["escort"]
    if type(escort) is not dict:
        raise _Refer
    return (
        _optional_text(escort, "name", ESCORT_NAME_MAX),
        _optional_text(escort, "phone", ESCORT_PHONE_MAX),
    )


def _video_link(data: dict) -> str:
    link = _optional_text(data, "video_link", VIDEO_LINK_MAX)
    if link:
        try:
            _url_valid(link)
        except ValidationError:
            raise _Refer from None
    return link


def booking_input_parse(data: Any, *, request, view) -> BookingInput | None:
    """The booking body read as the serializer would read it, or None to let it answer.

    Reads the patient with its clinic (one query); the session type comes from the
    clinic's cached setup (``clinic_config``, current by the stamp on the clinic row just
    read) when it is the clinic's own or a built-in one. Any named staff member, room or
    seat is one query each, as the serializer's references read them.
    """
    if type(data) is not dict:
        return None
    access = access_of(request.user)
    scope = {"access": access, "roles": view_roles(request, view)}
    try:
        # Scalars first: a body the serializer refuses costs no query here.
        start = _start(data.get("start"))
        escort = _escort(data)
        notes = _optional_text(data, "notes", NOTES_MAX)
        video_link = _video_link(data)
        override = _optional_text(data, "authorization_override", OVERRIDE_MAX)
        patient = _scoped(_PATIENT, data.get("patient"), **scope)
        return BookingInput(
            patient=patient,
            session_type=_scoped(
                SessionType.objects.all(),
                data.get("session_type"),
                known=clinic_config(patient.clinic).session_types,
                **scope,
            ),
            start=start,
            staff=_optional_scoped(data, "staff", Staff.objects.all(), **scope),
            room=_optional_scoped(data, "room", Room.objects.all(), **scope),
            seat=_optional_scoped(data, "seat", Seat.objects.select_related("room"), **scope),
            escort=escort,
            notes=notes,
            video_link=video_link,
            authorization_override=override,
        )
    except _Refer:
        return None


def booking_input_of(data: dict) -> BookingInput:
    """The serializer's validated data as a ``BookingInput``."""
    escort = data.get("escort")
    return BookingInput(
        patient=data["patient"],
        session_type=data["session_type"],
        start=data["start"],
        staff=data.get("staff"),
        room=data.get("room"),
        seat=data.get("seat"),
        escort=(escort.get("name", ""), escort.get("phone", "")) if escort is not None else None,
        notes=data.get("notes", ""),
        video_link=data["video_link"],
        authorization_override=data["authorization_override"],
    )


# --- availability ---------------------------------------------------------------------------

_STEP = AvailabilityQuerySerializer().fields["step"]
STEP_DEFAULT, STEP_MIN, STEP_MAX = _STEP.default, _STEP.min_value, _STEP.max_value
MAX_SEARCH_DAYS = AvailabilityQuerySerializer.MAX_DAYS
_QUERY_KEYS = (
    "session_type",
    "date_from",
    "date_to",
    "clinic",
    "staff",
    "patient",
    "room",
    "step",
    "earliest_time",
    "latest_time",
)


@dataclass(frozen=True)
class AvailabilityInput:
    session_type: SessionType
    date_from: date
    date_to: date
    clinic: Clinic | None = None
    staff: Staff | None = None
    patient: Patient | None = None
    room: Room | None = None
    step: int = STEP_DEFAULT
    earliest_time: time | None = None
    latest_time: time | None = None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _query_id(value: str) -> int:
    """An id given as query text, read as the scoped reference reads it."""
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= ID_MAX:
        raise _Refer
    return int(value)


def _query_date(value: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise _Refer
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Refer from None


def availability_input_parse(query: Any, *, request, view) -> AvailabilityInput | None:
    """The availability query read as ``AvailabilityQuerySerializer`` would read it, or
    None to let the serializer answer (any other form of a value, a value given twice, a
    time bound, anything it refuses)."""
    if not isinstance(query, QueryDict):
        return None
    scope = {"access": access_of(request.user), "roles": view_roles(request, view)}
    try:
        given = {}
        for key in _QUERY_KEYS:
            values = query.getlist(key)
            if len(values) > 1:
                raise _Refer
            if values:
                given[key] = values[0]
        if "earliest_time" in given or "latest_time" in given:
            raise _Refer
        date_from = _query_date(given.get("date_from", ""))
        date_to = _query_date(given.get("date_to", ""))
        if date_to < date_from or (date_to - date_from).days >= MAX_SEARCH_DAYS:
            raise _Refer
        step = STEP_DEFAULT
        if "step" in given:
            step = _query_id(given["step"])
            if not STEP_MIN <= step <= STEP_MAX:
                raise _Refer

        def reference(key: str, queryset: QuerySet | PreparedGet, known=None) -> Any:
            if key not in given:
                return None
            return _scoped(queryset, _query_id(given[key]), known=known, **scope)

        # The patient with its clinic (the search reads the clinic row anyway); the session
        # type then from that clinic's cached setup, if it is the clinic's own or built-in.
        patient = reference("patient", _PATIENT)
        known = clinic_config(patient.clinic).session_types if patient is not None else None
        session_type = _scoped(
            SessionType.objects.all(),
            _query_id(given.get("session_type", "")),
            known=known,
            **scope,
        )
        return AvailabilityInput(
            session_type=session_type,
            date_from=date_from,
            date_to=date_to,
            clinic=reference("clinic", Clinic.objects.all()),
            staff=reference("staff", Staff.objects.all()),
            patient=patient,
            room=reference("room", Room.objects.all()),
            step=step,
        )
    except _Refer:
        return None


def availability_input_of(data: dict) -> AvailabilityInput:
    """The serializer's validated data as an ``AvailabilityInput``."""
    return AvailabilityInput(
        session_type=data["session_type"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        clinic=data.get("clinic"),
        staff=data.get("staff"),
        patient=data.get("patient"),
        room=data.get("room"),
        step=data["step"],
        earliest_time=data.get("earliest_time"),
        latest_time=data.get("latest_time"),
    )
