"""Fetch for plans: the template as engine rules, and shared boards for its session types."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backend.plans.engine.rules import PhaseRule, Preferences
from backend.plans.models import PlanTemplate, TreatmentPlan
from backend.scheduling.booking.availability import Board
from backend.scheduling.booking.fetch import (
    Resources,
    busy_fetch,
    calendar_of,
    capacity_fetch,
    clinic_fetch,
    local_window,
    patient_busy_fetch,
    resources_fetch,
    spec_of,
)
from backend.scheduling.booking.locks import resources_lock
from backend.scheduling.resources.intervals import Span
from backend.scheduling.resources.models import Clinic, SessionType

# Margin after the last day the template could reach, for make-ups and slack.
WINDOW_MARGIN_DAYS = 21

# What a plan's sessions could use: its clinic, its template, and per session type the
# seats and staff (fetched, and locked by ``plan_resources_lock``, before the calendar).
PlanResources = tuple[Clinic, PlanTemplate, dict[int, Resources]]


def template_fetch(template_id: int) -> PlanTemplate:
    return PlanTemplate.objects.prefetch_related("phases__session_type").get(pk=template_id)


def template_session_types(template: PlanTemplate) -> list[SessionType]:
    unique = {phase.session_type_id: phase.session_type for phase in template.phases.all()}
    return list(unique.values())


def phase_rules_of(
    template: PlanTemplate, resources: dict[int, Resources], *, extra_weeks: int = 0
) -> list[PhaseRule]:
    rules = []
    for phase in template.phases.all():
        open_ended = phase.count is None and not phase.follows
        rules.append(
            PhaseRule(
                key=phase.key,
                name=phase.name,
                session_type_id=phase.session_type_id,
                spec=spec_of(phase.session_type),
                count=phase.count,
                horizon_weeks=(phase.horizon_weeks or 0) + extra_weeks if open_ended else None,
                sessions_per_week=phase.sessions_per_week,
                min_gap_days=phase.min_gap_days,
                max_gap_days=phase.max_gap_days,
                offset_min_days=phase.offset_min_days,
                offset_max_days=phase.offset_max_days,
                follows=phase.follows or None,
                follows_min_days=phase.follows_min_days,
                follows_max_days=phase.follows_max_days,
                seat_noun=resources[phase.session_type_id].seat_noun,
            )
        )
    return rules


def template_span_days(template: PlanTemplate, *, extra_weeks: int = 0) -> int:
    """An upper bound on how many days a course of this template can run."""
    days = 0
    follows_tail = 0
    for phase in template.phases.all():
        if phase.follows:
            follows_tail = max(follows_tail, phase.follows_max_days)
            continue
        gap = phase.max_gap_days or 7
        offset = phase.offset_max_days if phase.offset_max_days is not None else 7
        if phase.count is not None:
            by_gaps = (phase.count - 1) * gap
            by_grid = (
                -(-phase.count // phase.sessions_per_week) * 7 if phase.sessions_per_week else 0
            )
            days += offset + max(by_gaps, by_grid)
        else:
            days += offset + ((phase.horizon_weeks or 0) + extra_weeks) * 7 + gap
    return days + follows_tail + WINDOW_MARGIN_DAYS


def preferences_of(plan: TreatmentPlan) -> Preferences:
    return Preferences(
        weekdays=frozenset(plan.pref_weekdays) if plan.pref_weekdays else None,
        earliest=plan.pref_earliest,
        latest=plan.pref_latest,
        staff_id=plan.pref_staff_id,
    )


@dataclass
class PlanWorld:
    """What the engine needs for one plan, with boards that share their busy state."""

    clinic: Clinic
    template: PlanTemplate
    rules: list[PhaseRule]
    resources: dict[int, Resources]
    boards: dict[int, Board]
    window: Span


def resource_ids(resources: dict[int, Resources]) -> tuple[list[int], list[int]]:
    """Every seat and staff id any of a template's session types could use, ascending."""
    seats = sorted({i for r in resources.values() for i in r.seat_ids})
    staff = sorted({i for r in resources.values() for i in r.staff_ids})
    return seats, staff


def plan_resources_lock(plan: TreatmentPlan) -> PlanResources:
    """Fetch the plan's possible resources and lock them, with the patient, in one order."""
    prefetched = plan_resources_fetch(plan)
    seat_ids, staff_ids = resource_ids(prefetched[2])
    monitored = any(st.recovery_minutes for st in template_session_types(prefetched[1]))
    resources_lock(
        clinic_ids=[plan.clinic_id] if monitored else [],
        patient_ids=[plan.patient_id],
        seat_ids=seat_ids,
        staff_ids=staff_ids,
    )
    return prefetched


def plan_resources_fetch(plan: TreatmentPlan) -> PlanResources:
    clinic = clinic_fetch(plan.clinic_id)
    template = template_fetch(plan.template_id)
    resources = resources_fetch(clinic, template_session_types(template))
    return clinic, template, resources


def plan_world_fetch(
    plan: TreatmentPlan,
    *,
    now: datetime,
    exclude_appointment_ids=(),
    prefetched: PlanResources | None = None,
) -> PlanWorld:
    clinic, template, resources = prefetched or plan_resources_fetch(plan)
    calendar = calendar_of(clinic)
    today = now.astimezone(clinic.zone).date()
    first = min(plan.start_date, today)
    last = max(plan.start_date, today) + timedelta(
        days=template_span_days(template, extra_weeks=plan.extra_horizon_weeks)
    )
    window = local_window(calendar, first, last)
    seat_ids, staff_ids = resource_ids(resources)
    seat_busy, staff_busy = busy_fetch(
        seat_ids=seat_ids,
        staff_ids=staff_ids,
        window=window,
        exclude_appointment_ids=exclude_appointment_ids,
    )
    patient_busy, dosing_days = patient_busy_fetch(
        plan.patient, calendar, window, exclude_appointment_ids=exclude_appointment_ids
    )
    # One capacity state for every board: a course's own recoveries count against the ratio.
    capacity = (
        capacity_fetch(
            clinic=clinic,
            calendar=calendar,
            resources=next(iter(resources.values())),
            window=window,
            exclude_appointment_ids=exclude_appointment_ids,
        )
        if resources
        else None
    )
    boards = {
        st_id: Board(
            calendar=calendar,
            session_seats=r.session_seats,
            recovery_seats=r.recovery_seats,
            staff=r.staff,
            seat_busy=seat_busy,
            staff_busy=staff_busy,
            patient_busy=patient_busy,
            patient_dosing_days=dosing_days,
            capacity=capacity,
        )
        for st_id, r in resources.items()
    }
    rules = phase_rules_of(template, resources, extra_weeks=plan.extra_horizon_weeks)
    return PlanWorld(clinic, template, rules, resources, boards, window)


def local_midnight(day: date, clinic: Clinic) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=clinic.zone)
