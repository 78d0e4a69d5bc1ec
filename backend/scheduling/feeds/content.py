"""What each subscriber sees: appointment facts in, calendar events out.

Pure: plain frozen dataclasses in and out, no ORM, no clock, no settings.

Privacy is decided here. Patient events never name the session type, a drug or a
diagnosis: their title comes from the clinic's generic ``feed_event_title``. Room and staff
events name the patient by initials only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.scheduling.feeds.ical import CANCELLED, CONFIRMED, FeedAlarm, FeedCalendar, FeedEvent

CANCELLED_STATUS = "cancelled"
DASH = " \u2013 "  # an en dash between a patient's initials and the session type
RIDE_REMINDER = timedelta(days=-1)
SOON_REMINDER = timedelta(hours=-2)


@dataclass(frozen=True, slots=True)
class ClinicInfo:
    name: str
    tz: str
    address: str = ""
    phone: str = ""
    feed_event_title: str = "Appointment at {clinic}"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    name: str
    arrive_minutes_before: int = 15
    patient_instructions: str = ""
    escort_required: bool = False
    recovery_in_same_seat: bool = True
    telehealth: bool = False


# Used when an appointment's session type is missing from what was fetched; the feed
# still renders rather than failing for every subscriber.
UNKNOWN_SESSION = SessionInfo(id=0, name="Session")


@dataclass(frozen=True, slots=True)
class AppointmentFacts:
    """One appointment, as the feeds need it. Times are aware (any zone)."""

    id: int
    start: datetime
    end: datetime
    recovery_end: datetime
    status: str
    sequence: int
    updated_at: datetime
    session_type_id: int
    room_id: int | None = None
    seat_id: int | None = None
    staff_id: int | None = None
    video_link: str = ""
    patient_first_name: str = ""
    patient_last_name: str = ""

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED_STATUS


def initials(first_name: str, last_name: str) -> str:
    """The same form as ``Patient.initials``: "J.D."."""
    return f"{first_name[:1]}.{last_name[:1]}.".upper()


def feed_uid(appointment_id: int, domain: str, view: str = "") -> str:
    """A UID that never changes for the appointment and is unique across installs.

    ``view`` tells apart the same appointment seen from different feeds (a room's part, a
    staff member's part) so that one person subscribing to several feeds never holds two
    events with one UID and different times.
    """
    suffix = f".{view}" if view else ""
    return f"appointment-{appointment_id}{suffix}@{domain}"


def group_uid(group_id: int, domain: str, view: str) -> str:
    """A group session's UID in one facilitator's feed (never an appointment's)."""
    return f"group-session-{group_id}.{view}@{domain}"


def clock_time(value: datetime, zone: ZoneInfo) -> str:
    """ "9:05 AM" in the clinic's zone (no leading zero, locale-independent)."""
    local = value.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def one_line(address: str) -> str:
    """A postal address on one line: map links in calendar apps read it better."""
    return ", ".join(part.strip() for part in address.splitlines() if part.strip())


def patient_title(clinic: ClinicInfo) -> str:
    template = clinic.feed_event_title or "Appointment at {clinic}"
    return template.replace("{clinic}", clinic.name)


def _status(facts: AppointmentFacts) -> str:
    return CANCELLED if facts.cancelled else CONFIRMED


def _cancelled_title(title: str, facts: AppointmentFacts) -> str:
    return f"Cancelled: {title}" if facts.cancelled else title


def calendar_name(owner_kind: str, clinic_name: str, owner_name: str = "") -> str:
    """The calendar's display name. A patient's never carries their name: the subscribe
    page shows it to whoever holds the link."""
    if owner_kind == "patient":
        return f"Appointments at {clinic_name}"
    return f"{clinic_name}: {owner_name}"


def patient_calendar(clinic: ClinicInfo, refresh_minutes: int | None) -> FeedCalendar:
    return FeedCalendar(
        name=calendar_name("patient", clinic.name),
        tz=clinic.tz,
        refresh_minutes=refresh_minutes,
        description=f"Your appointments at {clinic.name}. They update when sessions move.",
    )


def patient_event(
    facts: AppointmentFacts, session: SessionInfo, clinic: ClinicInfo, *, uid_domain: str
) -> FeedEvent:
    """Arrival to expected discharge, generic title, practical instructions, reminders."""
    zone = ZoneInfo(clinic.tz)
    arrival = facts.start - timedelta(minutes=session.arrive_minutes_before)
    title = patient_title(clinic)
    call = f"Questions or changes: call {clinic.phone}." if clinic.phone else ""
    if session.telehealth:
        return _video_event(facts, clinic, title=title, call=call, uid_domain=uid_domain)
    if facts.cancelled:
        lines = ["This appointment has been cancelled.", call]
        alarms: tuple[FeedAlarm, ...] = ()
    else:
        if session.arrive_minutes_before:
            arrive = (
                f"Please arrive at {clock_time(arrival, zone)}, "
                f"{session.arrive_minutes_before} minutes before your "
                f"{clock_time(facts.start, zone)} start."
            )
        else:
            arrive = f"Please arrive by {clock_time(facts.start, zone)}."
        lines = [arrive, session.patient_instructions.strip()]
        if session.escort_required:
            lines.append(
                "Do not drive: a ride is required. "
                f"Pickup at {clock_time(facts.recovery_end, zone)}."
            )
        else:
            lines.append(f"Expected to finish by {clock_time(facts.recovery_end, zone)}.")
        lines.append(call)
        if session.escort_required:
            day_before = FeedAlarm(
                RIDE_REMINDER,
                f"Tomorrow: confirm your ride home "
                f"(pickup at {clock_time(facts.recovery_end, zone)}).",
            )
        else:
            day_before = FeedAlarm(
                RIDE_REMINDER, f"Tomorrow: {title}, arrive at {clock_time(arrival, zone)}."
            )
        alarms = (
            day_before,
            FeedAlarm(
                SOON_REMINDER, f"In 2 hours: {title}, arrive at {clock_time(arrival, zone)}."
            ),
        )
    return FeedEvent(
        uid=feed_uid(facts.id, uid_domain),
        start=arrival,
        end=max(facts.recovery_end, arrival),
        sequence=facts.sequence,
        status=_status(facts),
        last_modified=facts.updated_at,
        title=_cancelled_title(title, facts),
        description="\n".join(line for line in lines if line),
        location=one_line(clinic.address),
        alarms=alarms,
    )


VIDEO_VISIT = "Video visit"


def _video_event(
    facts: AppointmentFacts, clinic: ClinicInfo, *, title: str, call: str, uid_domain: str
) -> FeedEvent:
    """A telehealth visit: no arrival margin, no ride, the link instead of the address."""
    zone = ZoneInfo(clinic.tz)
    link = facts.video_link
    if facts.cancelled:
        lines = ["This video visit has been cancelled.", call]
        alarms: tuple[FeedAlarm, ...] = ()
    else:
        lines = [
            f"{VIDEO_VISIT} at {clock_time(facts.start, zone)}: join from home, no travel needed.",
            f"Join: {link}" if link else "The clinic will send the link to join.",
            call,
        ]
        alarms = (FeedAlarm(SOON_REMINDER, f"In 2 hours: {VIDEO_VISIT}. {link}".strip()),)
    return FeedEvent(
        uid=feed_uid(facts.id, uid_domain),
        start=facts.start,
        end=facts.end,
        sequence=facts.sequence,
        status=_status(facts),
        last_modified=facts.updated_at,
        title=_cancelled_title(f"{VIDEO_VISIT}: {title}", facts),
        description="\n".join(line for line in lines if line),
        location=link or VIDEO_VISIT,
        alarms=alarms,
    )


def room_calendar(clinic: ClinicInfo, room_name: str, refresh_minutes: int | None) -> FeedCalendar:
    return FeedCalendar(
        name=calendar_name("room", clinic.name, room_name),
        tz=clinic.tz,
        refresh_minutes=refresh_minutes,
        description=f"Sessions and recovery in {room_name}. Patients by initials only.",
    )


def room_event(
    facts: AppointmentFacts,
    session: SessionInfo,
    *,
    room_id: int,
    seat_name: str,
    recovery_part: bool,
    span: tuple[datetime, datetime] | None = None,
    uid_domain: str,
) -> FeedEvent:
    """The room's share of an appointment, in the room's words.

    In the session room the seat is busy from the start to the end of recovery when the
    patient recovers in the same seat, else to the end of the session; in a recovery room
    it is busy for the recovery (``span`` is the recovery hold's).
    """
    if span is not None:
        start, end = span
    elif session.recovery_in_same_seat:
        start, end = facts.start, facts.recovery_end
    else:
        start, end = facts.start, facts.end
    title = f"{initials(facts.patient_first_name, facts.patient_last_name)}{DASH}{session.name}"
    if recovery_part:
        title += " (recovery)"
    return FeedEvent(
        uid=feed_uid(facts.id, uid_domain, f"room-{room_id}"),
        start=start,
        end=end,
        sequence=facts.sequence,
        status=_status(facts),
        last_modified=facts.updated_at,
        title=_cancelled_title(title, facts),
        description=f"Seat: {seat_name}" if seat_name else "",
    )


def staff_calendar(
    clinic: ClinicInfo, staff_name: str, refresh_minutes: int | None
) -> FeedCalendar:
    return FeedCalendar(
        name=calendar_name("staff", clinic.name, staff_name),
        tz=clinic.tz,
        refresh_minutes=refresh_minutes,
        description=f"Sessions with {staff_name}. Patients by initials only.",
    )


def staff_event(
    facts: AppointmentFacts,
    session: SessionInfo,
    *,
    staff_id: int,
    room_name: str,
    clinic: ClinicInfo,
    uid_domain: str,
) -> FeedEvent:
    """The staff member's part: the in-room session, where it happens."""
    zone = ZoneInfo(clinic.tz)
    title = f"{initials(facts.patient_first_name, facts.patient_last_name)}{DASH}{session.name}"
    description = ""
    if facts.recovery_end > facts.end and not facts.cancelled:
        description = f"Recovery until {clock_time(facts.recovery_end, zone)}."
    return FeedEvent(
        uid=feed_uid(facts.id, uid_domain, f"staff-{staff_id}"),
        start=facts.start,
        end=facts.end,
        sequence=facts.sequence,
        status=_status(facts),
        last_modified=facts.updated_at,
        title=_cancelled_title(title, facts),
        description=description,
        location=room_name,
    )


def staff_group_event(
    facts: AppointmentFacts,
    session: SessionInfo,
    *,
    staff_id: int,
    room_name: str,
    clinic: ClinicInfo,
    uid_domain: str,
) -> FeedEvent:
    """A facilitator's group session: one event for the group, in the room, not one per
    participant (``facts`` are the group's; no patient is named)."""
    zone = ZoneInfo(clinic.tz)
    title = f"Group{DASH}{session.name}"
    description = "Group session you facilitate."
    if facts.recovery_end > facts.end and not facts.cancelled:
        description += f" Recovery until {clock_time(facts.recovery_end, zone)}."
    return FeedEvent(
        uid=group_uid(facts.id, uid_domain, f"staff-{staff_id}"),
        start=facts.start,
        end=facts.end,
        sequence=facts.sequence,
        status=_status(facts),
        last_modified=facts.updated_at,
        title=_cancelled_title(title, facts),
        description=description,
        location=room_name,
    )
