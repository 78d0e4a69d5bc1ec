"""The day of treatment on one appointment: check-in, start, recovery, discharge, no-show,
escort changes, and the front-desk board that shows a whole day.

Every step locks the appointment row, lets the pure rules in
``backend.scheduling.day.rules`` decide, then writes the change and its audit
entry (who, when, what changed) in the same transaction. Refusals become a 409 naming the
current state, or a 400 naming the field.

``sequence`` (what calendars see) rises only on a no-show: it turns the event into one that
did not happen. Check-in, start, recovery and discharge leave the time, the place and the
fact of the appointment as calendars show them, and the escort is not in any feed, so those
steps do not make every subscribed calendar refetch through a busy clinic day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NoReturn

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Prefetch, Q

from backend.common.errors import Conflict, DomainError
from backend.common.fields import local_iso
from backend.scheduling.booking.audit import appointment_event_record
from backend.scheduling.booking.capacity import ratio_exceeded_at
from backend.scheduling.booking.fetch import clinic_capacity_fetch
from backend.scheduling.booking.locks import appointment_lock
from backend.scheduling.booking.models import Appointment, AppointmentStatus, Hold, HoldKind
from backend.scheduling.day import rules
from backend.scheduling.day.models import Discharge, ReminderSent
from backend.scheduling.day.rems import rems_form_open
from backend.scheduling.day.rules import BoardSnapshot, DischargeChecks, DischargeContext, Refusal
from backend.scheduling.outbox.models import EventType
from backend.scheduling.outbox.services import appointments_emit
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours, wall_to_utc
from backend.scheduling.resources.intervals import Span
from backend.scheduling.resources.models import Clinic, Seat

# The day's steps that integrators hear about (outbox events, written with the change).
DAY_EVENTS = {
    "checked_in": EventType.APPOINTMENT_CHECKED_IN,
    "discharged": EventType.APPOINTMENT_DISCHARGED,
    "no_show": EventType.APPOINTMENT_NO_SHOW,
}


def refusals_raise(refusals: list[Refusal], *, status: str, extra: dict | None = None) -> NoReturn:
    """Input refusals are a 400 naming every field; otherwise the first refusal is a 409."""
    inputs = [r for r in refusals if r.is_input]
    if inputs:
        errors: dict[str, list[str]] = {}
        for refusal in inputs:
            errors.setdefault(refusal.field, []).append(refusal.message)
        raise DomainError(" ".join(r.message for r in inputs), errors=errors)
    refusal = refusals[0]
    errors = {} if refusal.field == "status" else {refusal.field: [refusal.message]}
    raise Conflict(refusal.message, errors=errors, extra={"status": status, **(extra or {})})


def _transition(
    *,
    appointment: Appointment,
    step: str,
    stamp: str,
    action: str,
    actor,
    now: datetime,
    note: str = "",
) -> Appointment:
    with transaction.atomic():
        current = appointment_lock(appointment.id)
        target = rules.transition_check(current.status, step)
        if isinstance(target, Refusal):
            refusals_raise([target], status=current.status)
        return _apply(current, target, stamp=stamp, action=action, actor=actor, now=now, note=note)


def _apply(
    current: Appointment,
    target: str,
    *,
    stamp: str,
    action: str,
    actor,
    now: datetime,
    note: str = "",
    bump: bool = False,
    changes: dict | None = None,
) -> Appointment:
    before, stamped_before = current.status, getattr(current, stamp)
    current.status = target
    setattr(current, stamp, now)
    fields = ["status", stamp, "updated_at"]
    if bump:
        current.sequence += 1
        fields.append("sequence")
    current.save(update_fields=fields)
    appointment_event_record(
        current,
        action=action,
        actor=actor,
        at=now,
        changes={"status": [before, target], stamp: [stamped_before, now], **(changes or {})},
        note=note,
    )
    if action in DAY_EVENTS:
        appointments_emit([current], type=DAY_EVENTS[action], now=now)
    return current


def appointment_check_in(
    *, actor, appointment: Appointment, now: datetime, note: str = ""
) -> Appointment:
    """The patient has arrived (on the appointment's day)."""
    with transaction.atomic():
        current = appointment_lock(appointment.id)
        target = rules.check_in_check(
            status=current.status, start=current.start, now=now, zone=current.clinic.zone
        )
        if isinstance(target, Refusal):
            refusals_raise([target], status=current.status)
        return _apply(
            current,
            target,
            stamp="checked_in_at",
            action="checked_in",
            actor=actor,
            now=now,
            note=note,
        )


def appointment_start(
    *, actor, appointment: Appointment, now: datetime, note: str = ""
) -> Appointment:
    """The session begins (first dose): monitoring time counts from ``now``."""
    return _transition(
        appointment=appointment,
        step=rules.START,
        stamp="session_started_at",
        action="session_started",
        actor=actor,
        now=now,
        note=note,
    )


def appointment_recover(
    *, actor, appointment: Appointment, now: datetime, note: str = ""
) -> Appointment:
    """The in-room part is over; monitored recovery goes on (same seat or recovery room)."""
    return _transition(
        appointment=appointment,
        step=rules.RECOVER,
        stamp="recovery_started_at",
        action="recovery_started",
        actor=actor,
        now=now,
        note=note,
    )


def appointment_no_show(
    *, actor, appointment: Appointment, now: datetime, note: str = ""
) -> Appointment:
    """The patient did not come: frees the seats and staff, which count as lost capacity."""
    with transaction.atomic():
        current = appointment_lock(appointment.id)
        target = rules.no_show_check(
            status=current.status, start=current.start, now=now, zone=current.clinic.zone
        )
        if isinstance(target, Refusal):
            refusals_raise([target], status=current.status)
        current.holds.update(active=False)
        return _apply(
            current,
            target,
            stamp="no_show_at",
            action="no_show",
            actor=actor,
            now=now,
            note=note,
            bump=True,
        )


def appointment_discharge(
    *, actor, appointment: Appointment, checks: DischargeChecks, now: datetime, notes: str = ""
) -> Appointment:
    """A clinician discharges the patient, recording the checks they confirmed.

    Refused under the clinic's pass mark, with a failed check, or with no escort for a type
    that needs one; refused before the minimum monitoring time unless ``checks`` carries an
    override reason. Opens the REMS form when the session type needs one.
    """
    with transaction.atomic():
        current = appointment_lock(appointment.id)
        clinic = current.clinic
        session_type = current.session_type
        decision = rules.discharge_check(
            DischargeContext(
                status=current.status,
                start=current.start,
                session_started_at=current.session_started_at,
                min_monitoring=timedelta(minutes=session_type.min_monitoring_minutes),
                escort_required=session_type.escort_required,
                escort_name=current.escort_name,
                pass_mark=clinic.discharge_pass_mark,
            ),
            checks,
            now=now,
            zone=clinic.zone,
        )
        if isinstance(decision, list):
            earliest = rules.earliest_discharge(
                current.start,
                current.session_started_at,
                timedelta(minutes=session_type.min_monitoring_minutes),
            )
            refusals_raise(
                decision,
                status=current.status,
                extra={"earliest_discharge": local_iso(earliest, clinic.zone)},
            )
        Discharge.objects.create(
            appointment=current,
            at=now,
            clinician=actor,
            vitals_stable=checks.vitals_stable,
            alert_and_oriented=checks.alert_and_oriented,
            score=checks.score,
            pass_mark=clinic.discharge_pass_mark,
            collected_by=decision.collected_by,
            early_override_reason=decision.override_reason,
            notes=notes,
        )
        if session_type.requires_rems:
            rems_form_open(appointment=current, discharged_at=now)
        note = f"Early discharge: {decision.override_reason}" if decision.early else ""
        released = appointment_holds_release_after(current, now)
        return _apply(
            current,
            rules.DISCHARGED,
            stamp="discharged_at",
            action="discharged",
            actor=actor,
            now=now,
            note=note,
            changes={"holds_end": [current.recovery_end, now]} if released else None,
        )


def appointment_holds_release_after(appointment: Appointment, at: datetime) -> int:
    """End the appointment's active holds at ``at``: the patient has left, so the recovery
    seat, the staff member and the monitors' capacity (which counts recovery holds) are
    free for others from then on. A hold that had not begun by ``at`` is set inactive
    (a hold cannot be empty). Returns how many holds changed.

    Only ever shortens holds, so no exclusion constraint can fire. A discharge after the
    booked recovery end leaves the holds as booked: they have ended already, and the board
    accounts for a patient still recovering past it (``LATE_DISCHARGE_MARGIN``).
    """
    holds = appointment.holds.filter(active=True, end__gt=at)
    unstarted = holds.filter(start__gte=at).update(active=False)
    return unstarted + holds.filter(start__lt=at).update(end=at)


def appointment_escort_update(
    *,
    actor,
    appointment: Appointment,
    now: datetime,
    name: str | None = None,
    phone: str | None = None,
) -> Appointment:
    """Set who collects the patient; ``None`` keeps a value. No calendar sees the escort."""
    with transaction.atomic():
        current = appointment_lock(appointment.id)
        allowed = rules.transition_check(current.status, rules.ESCORT_UPDATE)
        if isinstance(allowed, Refusal):
            refusals_raise([allowed], status=current.status)
        changes = {}
        if name is not None and name.strip() != current.escort_name:
            changes["escort_name"] = [current.escort_name, name.strip()]
            current.escort_name = name.strip()
        if phone is not None and phone.strip() != current.escort_phone:
            changes["escort_phone"] = [current.escort_phone, phone.strip()]
            current.escort_phone = phone.strip()
        if changes:
            current.save(update_fields=["escort_name", "escort_phone", "updated_at"])
            appointment_event_record(
                current, action="escort_updated", actor=actor, at=now, changes=changes
            )
        return current


# --- The front-desk day board ------------------------------------------------------------


def related_or_none(instance, name: str):
    """A reverse one-to-one that may not exist (loaded by select_related: no query)."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def ride_confirmed(appointment: Appointment) -> bool:
    confirmation = related_or_none(appointment, "ride_confirmation")
    return confirmation is not None and confirmation.confirmed_at is not None


def snapshot_of(appointment: Appointment) -> BoardSnapshot:
    session_type = appointment.session_type
    return BoardSnapshot(
        status=appointment.status,
        start=appointment.start,
        end=appointment.end,
        recovery_end=appointment.recovery_end,
        min_monitoring=timedelta(minutes=session_type.min_monitoring_minutes),
        escort_required=session_type.escort_required,
        ride_confirmed=ride_confirmed(appointment),
        session_started_at=appointment.session_started_at,
        discharged_at=appointment.discharged_at,
    )


@dataclass(frozen=True)
class BoardEntry:
    appointment: Appointment
    expected_discharge: datetime | None
    earliest_discharge: datetime | None
    flags: tuple[str, ...]
    recovery_seat: Seat | None  # the recovery-room seat, when recovery moves rooms
    ride_confirmed: bool

    @property
    def clinic(self) -> Clinic:
        return self.appointment.clinic


def board_entry(appointment: Appointment, *, now: datetime) -> BoardEntry:
    snapshot = snapshot_of(appointment)
    recovery_seat = next(
        (
            h.seat
            for h in appointment.holds.all()
            if h.kind == HoldKind.RECOVERY and h.seat_id != appointment.seat_id
        ),
        None,
    )
    started = appointment.status in rules.UNDER_MONITORING or appointment.session_started_at
    return BoardEntry(
        appointment=appointment,
        expected_discharge=rules.expected_discharge(snapshot),
        earliest_discharge=(
            rules.earliest_discharge(
                appointment.start, appointment.session_started_at, snapshot.min_monitoring
            )
            if started
            else None
        ),
        flags=rules.board_flags(snapshot, now),
        recovery_seat=recovery_seat,
        ride_confirmed=snapshot.ride_confirmed,
    )


def local_day_bounds(clinic: Clinic, day: date) -> tuple[datetime, datetime]:
    zone = clinic.zone
    return wall_to_utc(day, time(0), zone), wall_to_utc(day + timedelta(days=1), time(0), zone)


def clinic_today(clinic: Clinic, now: datetime) -> date:
    return now.astimezone(clinic.zone).date()


def day_appointments(clinic: Clinic, day: date):
    low, high = local_day_bounds(clinic, day)
    return (
        Appointment.objects.filter(clinic=clinic, start__gte=low, start__lt=high)
        .exclude(status=AppointmentStatus.OFFERED)
        .select_related(
            "clinic", "patient", "session_type", "room", "seat", "staff", "ride_confirmation"
        )
        .order_by("start", "id")
    )


def day_board_fetch(*, clinic: Clinic, day: date, now: datetime) -> list[BoardEntry]:
    """Every appointment starting on the clinic-local ``day``, with its flags (2 queries)."""
    appointments = day_appointments(clinic, day).prefetch_related(
        Prefetch(
            "holds",
            queryset=Hold.objects.filter(kind=HoldKind.RECOVERY).select_related("seat__room"),
        )
    )
    return [board_entry(a, now=now) for a in appointments]


# A patient still recovering past their planned discharge is reassessed about every 30
# minutes (PADSS practice): the board assumes they stay that much longer.
LATE_DISCHARGE_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class MonitoringAlert:
    start: datetime
    end: datetime
    recovering: int
    monitors: int
    ratio: int

    @property
    def capacity(self) -> int:
        """The most patients the working monitors may watch then."""
        return self.monitors * self.ratio


def board_monitoring_alerts(
    *, clinic: Clinic, day: date, now: datetime, entries: list[BoardEntry]
) -> list[MonitoringAlert]:
    """Moments of ``day`` when recovering patients exceed monitors x ratio, counting every
    patient still recovering past their planned discharge as staying a while longer."""
    low, high = local_day_bounds(clinic, day)
    window = Span(low, high)
    # Only the zone is needed to turn working hours into instants: no opening hours read.
    calendar = ClinicCalendar(tz=clinic.timezone, hours=WeeklyHours())
    capacity = clinic_capacity_fetch(clinic=clinic, calendar=calendar, window=window)
    recovering = list(capacity.recovering)
    for entry in entries:
        a = entry.appointment
        late_until = now + LATE_DISCHARGE_MARGIN
        if a.status == AppointmentStatus.RECOVERING and a.recovery_end < late_until:
            recovering.append(Span(max(a.recovery_end, a.end), late_until))
    ratio = clinic.recovering_per_monitor
    return [
        MonitoringAlert(start, end, r, m, ratio)
        for start, end, r, m in ratio_exceeded_at(
            recovering, list(capacity.monitors), ratio, low, high
        )
    ]


def rides_unconfirmed_fetch(*, clinic: Clinic, day: date) -> list[Appointment]:
    """Appointments of ``day`` still to happen whose escort-required ride is unconfirmed."""
    return list(
        day_appointments(clinic, day)
        .filter(
            status__in=sorted(rules.NOT_YET_LEFT),
            session_type__escort_required=True,
        )
        .filter(Q(ride_confirmation__isnull=True) | Q(ride_confirmation__confirmed_at__isnull=True))
        .prefetch_related(Prefetch("reminders_sent", queryset=ReminderSent.objects.order_by("id")))
    )
