"""Calendar feeds: the tokens that unlock them, and what a feed holds.

A feed URL carries a random token; only its SHA-256 is stored, and each owner (patient,
room or staff member) has at most one live token. Answering a feed request is split so
that polling stays cheap:

1. ``feed_lookup``: the live token and what it is about, as plain data (one query);
2. ``feed_version``: the ETag and Last-Modified from the owner's feed stamp, one indexed
   row that database triggers raise on every write to the feed's appointments (one
   query, whatever the number of events), so a 304 never renders or scans anything;
3. ``feed_render``: the small reference tables the wording uses and the rows, then the
   pure ``feeds.content`` and ``feeds.ical`` modules turn them into bytes.

The queries of steps 1 and 2 run on every poll and are compiled once per process (see
``PreparedQuery``): compiling a query costs more than running these ones, and a 304 has a
3 ms budget.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, IntegerField, Max, Q, QuerySet, Sum, Value

from backend.common.db import PreparedQuery, raw_datetime
from backend.scheduling.booking.models import Appointment, AppointmentStatus, Hold, HoldKind
from backend.scheduling.feeds.content import (
    UNKNOWN_SESSION,
    AppointmentFacts,
    ClinicInfo,
    SessionInfo,
    calendar_name,
    patient_calendar,
    patient_event,
    room_calendar,
    room_event,
    staff_calendar,
    staff_event,
    staff_group_event,
)
from backend.scheduling.feeds.ical import FeedCalendar, FeedEvent, calendar_bytes
from backend.scheduling.feeds.models import FeedOwnerKind, FeedStamp, FeedToken
from backend.scheduling.resources.choices import Modality, RecoveryLocation, RoomKind
from backend.scheduling.resources.models import Clinic, Patient, Room, Seat, SessionType, Staff

# Raise when the feed's bytes change for the same data (wording, layout), so that
# calendars holding the old ETag download the new text.
FEED_FORMAT = "1"
# What a feed holds: the last 90 days (cancellations among them stay visible as
# CANCELLED), the next year, and every cancellation of the last 30 days whatever its date.
PAST = timedelta(days=90)
FUTURE = timedelta(days=366)
CANCELLED_KEPT = timedelta(days=30)
# A cancellation before the window is listed only if the appointment was at most this far
# before it (so up to 455 days back in all): the bound keeps the (owner, start) index scan
# from reading an owner's whole history, so a feed's cost grows with its own window, not
# with the years behind it. Cancelling an appointment months after its date is rare.
CANCELLED_LOOKBACK = timedelta(days=365)
TOKEN_BYTES = 32  # 256 bits

Owner = Patient | Room | Staff

_FACT_FIELDS = (
    "id",
    "start",
    "end",
    "recovery_end",
    "status",
    "sequence",
    "updated_at",
    "session_type_id",
    "room_id",
    "seat_id",
    "staff_id",
    "video_link",
)
_NAME_FIELDS = ("patient__first_name", "patient__last_name")


def feed_uid_domain() -> str:
    return settings.FEED_UID_DOMAIN


def feed_refresh_minutes() -> int:
    return settings.FEED_REFRESH_MINUTES


def feed_token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


# --- tokens -------------------------------------------------------------------------------


def _owner_field(owner: Owner) -> tuple[str, str]:
    if isinstance(owner, Patient):
        return FeedOwnerKind.PATIENT, "patient"
    if isinstance(owner, Room):
        return FeedOwnerKind.ROOM, "room"
    if isinstance(owner, Staff):
        return FeedOwnerKind.STAFF, "staff"
    raise TypeError(f"A feed belongs to a patient, room or staff member, not {owner!r}.")


def feed_token_issue(*, owner: Owner, actor, now: datetime) -> tuple[FeedToken, str]:
    """A new feed token for ``owner``; the previous live one is revoked in the same commit.

    Returns the stored token and the raw value, which exists only in this response: the
    database keeps its hash.
    """
    kind, name = _owner_field(owner)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        # Serializes two issues for one owner, which would otherwise both pass the revoke
        # and collide on the one-live-token constraint.
        list(type(owner).objects.select_for_update().filter(pk=owner.pk).values_list("pk"))
        FeedToken.objects.filter(**{name: owner}, revoked_at__isnull=True).update(revoked_at=now)
        token = FeedToken.objects.create(
            clinic_id=owner.clinic_id,
            owner_kind=kind,
            token_hash=feed_token_hash(raw),
            created_at=now,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            **{name: owner},
        )
    return token, raw


def feed_token_revoke(*, owner: Owner, actor, now: datetime) -> int:
    """Revokes the owner's live token (its URL answers 404 from now on); 0 if none."""
    _, name = _owner_field(owner)
    with transaction.atomic():
        return FeedToken.objects.filter(**{name: owner}, revoked_at__isnull=True).update(
            revoked_at=now
        )


@dataclass(frozen=True)
class FeedSubject:
    """A live token and what its feed is about, as plain data."""

    token_id: int
    created_at: datetime
    owner_kind: str
    owner_id: int
    owner_name: str  # the room's or staff member's name; empty for a patient
    room_kind: str
    clinic_id: int
    clinic: ClinicInfo
    clinic_updated_at: datetime
    # Changes with any session type, room, seat or staff member the wording names
    # (resources.config), so the ETag covers the reference tables without reading them.
    clinic_config_version: int = 0

    @property
    def name(self) -> str:
        return calendar_name(self.owner_kind, self.clinic.name, self.owner_name)


_SUBJECT_FIELDS = (
    "id",
    "created_at",
    "owner_kind",
    "patient_id",
    "room_id",
    "staff_id",
    "room__name",
    "room__kind",
    "staff__name",
    "clinic_id",
    "clinic__name",
    "clinic__timezone",
    "clinic__address",
    "clinic__phone",
    "clinic__feed_event_title",
    "clinic__updated_at",
    "clinic__config_version",
)


_LOOKUP = PreparedQuery(
    lambda token_hash: FeedToken.objects.filter(
        token_hash=token_hash, revoked_at__isnull=True
    ).values_list(*_SUBJECT_FIELDS)[:1],
    token_hash=str,
)


def feed_lookup(token_hash: str) -> FeedSubject | None:
    """The live token with this hash and what it is about (one query); None if unknown or
    revoked."""
    found = _LOOKUP.rows(token_hash=token_hash)
    if not found:
        return None
    (
        token_id,
        created_at,
        kind,
        patient_id,
        room_id,
        staff_id,
        room_name,
        room_kind,
        staff_name,
        clinic_id,
        *clinic,
        clinic_updated_at,
        clinic_config_version,
    ) = found[0]
    owner_id, owner_name = {
        FeedOwnerKind.PATIENT: (patient_id, ""),
        FeedOwnerKind.ROOM: (room_id, room_name),
        FeedOwnerKind.STAFF: (staff_id, staff_name),
    }[kind]
    return FeedSubject(
        token_id=token_id,
        created_at=raw_datetime(created_at),
        owner_kind=kind,
        owner_id=owner_id,
        owner_name=owner_name,
        room_kind=room_kind or "",
        clinic_id=clinic_id,
        clinic=ClinicInfo(*clinic),
        clinic_updated_at=raw_datetime(clinic_updated_at),
        clinic_config_version=clinic_config_version,
    )


def feed_name(owner: Owner) -> str:
    """The display name of ``owner``'s calendar."""
    kind, _ = _owner_field(owner)
    owner_name = "" if kind == FeedOwnerKind.PATIENT else owner.name
    return calendar_name(kind, owner.clinic.name, owner_name)


# --- what a feed holds --------------------------------------------------------------------


@dataclass(frozen=True)
class FeedWindow:
    """The span of appointments a feed lists, moved once a day (UTC) so ETags stay put."""

    day: date
    start: datetime
    end: datetime
    cancelled_since: datetime
    reach: datetime  # the earliest start a listed (cancelled) appointment may have

    @classmethod
    def around(cls, now: datetime) -> FeedWindow:
        day = now.astimezone(UTC).date()
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        return cls(
            day=day,
            start=midnight - PAST,
            end=midnight + FUTURE,
            cancelled_since=midnight - CANCELLED_KEPT,
            reach=midnight - PAST - CANCELLED_LOOKBACK,
        )


@dataclass(frozen=True)
class FeedReferences:
    """The small tables the wording reads: session types, and seat or room names."""

    sessions: dict[int, SessionInfo] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: datetime
    window: FeedWindow
    # Read only to render (a 304 needs none of it); None until then.
    references: FeedReferences | None = None


def _is_recovery_room(subject: FeedSubject) -> bool:
    return subject.owner_kind == FeedOwnerKind.ROOM and subject.room_kind == RoomKind.RECOVERY


def _source(
    kind: str,
    recovery_room: bool,
    owner: int,
    start: datetime,
    end: datetime,
    cancelled_since: datetime,
    reach: datetime,
) -> tuple[QuerySet, str]:
    """The feed's source rows and the prefix that reaches the appointment's fields.

    A recovery room's events are the recovery holds on its seats (the appointment itself
    belongs to the session room); every other feed reads appointments directly.
    """
    if recovery_room:
        prefix = "appointment__"
        rows = Hold.objects.filter(kind=HoldKind.RECOVERY, seat__room_id=owner)
    else:
        prefix = ""
        rows = Appointment.objects.filter(**{f"{kind}_id": owner})
        if kind == FeedOwnerKind.STAFF:
            # A facilitator sees a group once, as the group (``_group_rows``), not once per
            # participant named with them.
            rows = rows.filter(group_session__isnull=True)
    # One start range for the index to walk; inside it, the rows before the window count
    # only as recent cancellations.
    # (``reach`` is passed in, not computed here: prepared queries substitute only the
    # values they are given.)
    reach_range = Q(**{f"{prefix}start__gte": reach, f"{prefix}start__lt": end})
    in_window = Q(**{f"{prefix}start__gte": start})
    recently_cancelled = Q(
        **{
            f"{prefix}status": AppointmentStatus.CANCELLED,
            f"{prefix}cancelled_at__gte": cancelled_since,
        }
    )
    # A waitlist offer is not the patient's appointment (nor the room's) until accepted.
    offered = Q(**{f"{prefix}status": "offered"})
    return rows.filter(reach_range, in_window | recently_cancelled).exclude(offered), prefix


def _rows(subject: FeedSubject, window: FeedWindow) -> tuple[QuerySet, str]:
    return _source(
        subject.owner_kind,
        _is_recovery_room(subject),
        subject.owner_id,
        window.start,
        window.end,
        window.cancelled_since,
        window.reach,
    )


# A group's own columns are the appointment's facts but its place, staff and link, which
# belong to each participant.
_GROUP_FIELDS = tuple(
    f"group_session__{name}"
    for name in _FACT_FIELDS
    if name not in ("seat_id", "staff_id", "video_link")
)


def _group_rows(staff_id: int, window: FeedWindow) -> QuerySet:
    """The group sessions a staff member facilitates, through their own holds on them: the
    current ones (active), and the recently cancelled (their holds went inactive). A
    facilitator replaced on a group has no hold on it left, so it leaves their feed."""
    holds = Hold.objects.filter(
        kind=HoldKind.STAFF,
        staff_id=staff_id,
        group_session__isnull=False,
        start__gte=window.reach,
        start__lt=window.end,
    )
    current = Q(active=True, start__gte=window.start)
    cancelled = Q(
        group_session__status="cancelled",  # a group's status (groups sits beside feeds)
        group_session__cancelled_at__gte=window.cancelled_since,
    )
    return (
        holds.filter(current | cancelled)
        .order_by("group_session__start", "group_session_id")
        .values_list(*_GROUP_FIELDS)
        .distinct()
    )


def _state(kind: str, recovery_room: bool, **values: Any) -> QuerySet:
    """One row: count, last change, sequences and ids summed."""
    rows, prefix = _source(kind, recovery_room, **values)
    aggregates = {
        "count": Count("pk"),
        "modified": Max(f"{prefix}updated_at"),
        "sequences": Sum(f"{prefix}sequence"),
        "ids": Sum(f"{prefix}id"),
    }
    # A patient's rename shows in room and staff feeds (initials); Patient.save touches
    # their appointments' updated_at, so "modified" covers it without joining patients.
    # Grouping by a constant aggregates the whole set in one row (no GROUP BY emitted).
    return (
        rows.order_by()
        .annotate(whole=Value(1, output_field=IntegerField()))
        .values("whole")
        .annotate(**aggregates)
        .values_list(*aggregates)
    )


_STATES = {
    (kind, recovery_room): PreparedQuery(
        functools.partial(_state, kind, recovery_room),
        owner=int,
        start=datetime,
        end=datetime,
        cancelled_since=datetime,
        reach=datetime,
    )
    for kind, recovery_room in (
        (FeedOwnerKind.PATIENT, False),
        (FeedOwnerKind.ROOM, False),
        (FeedOwnerKind.ROOM, True),
        (FeedOwnerKind.STAFF, False),
    )
}
_SESSIONS = PreparedQuery(
    lambda clinic: SessionType.objects.filter(
        Q(clinic_id=clinic) | Q(clinic__isnull=True)
    ).values_list(
        "id",
        "name",
        "arrive_minutes_before",
        "patient_instructions",
        "escort_required",
        "recovery_location",
        "modality",
    ),
    clinic=int,
)
_SEAT_NAMES = PreparedQuery(
    lambda room: Seat.objects.filter(room_id=room).values_list("id", "name"), room=int
)
_ROOM_NAMES = PreparedQuery(
    lambda clinic: Room.objects.filter(clinic_id=clinic).values_list("id", "name"),
    clinic=int,
)


def _references(subject: FeedSubject) -> FeedReferences:
    sessions = {
        row[0]: SessionInfo(
            id=row[0],
            name=row[1],
            arrive_minutes_before=row[2],
            patient_instructions=row[3],
            escort_required=bool(row[4]),
            recovery_in_same_seat=row[5] == RecoveryLocation.SAME_SEAT,
            telehealth=row[6] == Modality.TELEHEALTH,
        )
        for row in _SESSIONS.rows(clinic=subject.clinic_id)
    }
    names: dict[int, str] = {}
    if subject.owner_kind == FeedOwnerKind.ROOM:
        names = dict(_SEAT_NAMES.rows(room=subject.owner_id))
    elif subject.owner_kind == FeedOwnerKind.STAFF:
        names = dict(_ROOM_NAMES.rows(clinic=subject.clinic_id))
    return FeedReferences(sessions=sessions, names=names)


def _clinic_info(clinic: Clinic) -> ClinicInfo:
    return ClinicInfo(
        name=clinic.name,
        tz=clinic.timezone,
        address=clinic.address,
        phone=clinic.phone,
        feed_event_title=clinic.feed_event_title,
    )


_STAMP = PreparedQuery(
    lambda kind, owner: FeedStamp.objects.filter(owner_kind=kind, owner_id=owner).values_list(
        "version", "changed_at"
    ),
    kind=str,
    owner=int,
)


def feed_version(subject: FeedSubject, *, now: datetime) -> FeedVersion:
    """ETag and Last-Modified of the feed as it stands, without rendering it (one query
    of one indexed row, whatever the feed's size).

    The ETag covers everything the bytes are made of: the window's day, the owner's feed
    stamp (raised by database triggers on every write to the appointments and recovery
    holds the feed lists, see ``FeedStamp``), the clinic's wording and its configuration
    stamp (session types, rooms, seats and staff named in the events), and the format.
    """
    window = FeedWindow.around(now)
    found = _STAMP.rows(kind=subject.owner_kind, owner=subject.owner_id)
    stamp, changed_at = found[0] if found else (0, None)
    changed_at = raw_datetime(changed_at)
    parts = (
        FEED_FORMAT,
        subject,
        window.day.isoformat(),
        stamp,
        changed_at,
        feed_uid_domain(),
        feed_refresh_minutes(),
    )
    etag = '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:40] + '"'
    stamps = [subject.clinic_updated_at, subject.created_at, changed_at]
    last_modified = max(s for s in stamps if s is not None).replace(microsecond=0)
    return FeedVersion(etag=etag, last_modified=last_modified, window=window)


def feed_content(
    subject: FeedSubject, version: FeedVersion
) -> tuple[FeedCalendar, list[FeedEvent]]:
    """The calendar and its events, from one query over the feed's rows."""
    rows, prefix = _rows(subject, version.window)
    fields = [prefix + name for name in _FACT_FIELDS]
    if subject.owner_kind != FeedOwnerKind.PATIENT:
        fields += [prefix + name for name in _NAME_FIELDS]
    recovery_room = _is_recovery_room(subject)
    if recovery_room:
        fields += ["start", "end", "seat_id"]
    values = rows.order_by(f"{prefix}start", f"{prefix}id").values_list(*fields)

    clinic = subject.clinic
    references = version.references or _references(subject)
    sessions = references.sessions
    names = references.names
    domain = feed_uid_domain()
    refresh = feed_refresh_minutes()
    n = len(_FACT_FIELDS)
    events: list[FeedEvent] = []

    if subject.owner_kind == FeedOwnerKind.PATIENT:
        calendar = patient_calendar(clinic, refresh)
        for row in values:
            facts = AppointmentFacts(*row)
            session = sessions.get(facts.session_type_id, UNKNOWN_SESSION)
            events.append(patient_event(facts, session, clinic, uid_domain=domain))
    elif subject.owner_kind == FeedOwnerKind.STAFF:
        calendar = staff_calendar(clinic, subject.owner_name, refresh)
        # Their own appointments, then the groups they facilitate (one event a group).
        parts = (
            (values, staff_event),
            (_group_rows(subject.owner_id, version.window), staff_group_event),
        )
        for rows, event_of in parts:
            for row in rows:
                facts = AppointmentFacts(*row)
                events.append(
                    event_of(
                        facts,
                        sessions.get(facts.session_type_id, UNKNOWN_SESSION),
                        staff_id=subject.owner_id,
                        room_name=names.get(facts.room_id, ""),
                        clinic=clinic,
                        uid_domain=domain,
                    )
                )
        events.sort(key=lambda event: (event.start, event.uid))
    else:
        calendar = room_calendar(clinic, subject.owner_name, refresh)
        for row in values:
            facts = AppointmentFacts(*row[: n + 2])
            session = sessions.get(facts.session_type_id, UNKNOWN_SESSION)
            if recovery_room:
                hold_start, hold_end, seat_id = row[n + 2 :]
                span = (hold_start, hold_end)
            else:
                span, seat_id = None, facts.seat_id
            events.append(
                room_event(
                    facts,
                    session,
                    room_id=subject.owner_id,
                    seat_name=names.get(seat_id, ""),
                    recovery_part=recovery_room,
                    span=span,
                    uid_domain=domain,
                )
            )
    return calendar, events


def feed_render(subject: FeedSubject, version: FeedVersion) -> bytes:
    """The feed's bytes. DTSTAMP is the version's Last-Modified, so equal ETags mean equal
    bytes (a strong validator)."""
    calendar, events = feed_content(subject, version)
    return calendar_bytes(calendar, events, stamp=version.last_modified)


def appointment_ics(appointment: Appointment, *, now: datetime) -> bytes:
    """One appointment as the patient sees it in their feed (same UID), for an email."""
    session_type = appointment.session_type
    session = SessionInfo(
        id=session_type.id,
        name=session_type.name,
        arrive_minutes_before=session_type.arrive_minutes_before,
        patient_instructions=session_type.patient_instructions,
        escort_required=session_type.escort_required,
        recovery_in_same_seat=session_type.recovery_in_same_seat,
        telehealth=session_type.is_telehealth,
    )
    clinic = _clinic_info(appointment.clinic)
    facts = AppointmentFacts(*(getattr(appointment, name) for name in _FACT_FIELDS))
    event = patient_event(facts, session, clinic, uid_domain=feed_uid_domain())
    calendar = FeedCalendar(name=event.title, tz=clinic.tz, refresh_minutes=None)
    return calendar_bytes(calendar, [event], stamp=now)
