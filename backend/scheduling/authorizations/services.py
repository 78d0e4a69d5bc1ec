"""Authorization operations: record one, count its units, and find the unit a booking uses.

Units are counted from the appointments that name the authorization, by status: a
cancelled session gives its unit back, a no-show keeps it unless the clinic says
otherwise (``Clinic.no_show_uses_authorization``). Booking calls ``authorization_claim``
inside its own transaction after it has locked the patient, seats and staff; the claim
locks the patient's authorization rows too, so two bookings can never both take the last
unit (they queue on the row, and the second one counts the first one's appointment).
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet

from backend.common.errors import Conflict, InvalidInput
from backend.scheduling.authorizations.coverage import Cover, Grant, Need, coverage_allocate
from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.resources.models import Clinic, Patient, SessionType

# Appointment statuses, spelt out here because this topic sits below booking (booking
# names the authorization an appointment uses). A test keeps them in step with booking's.
USED_STATUSES = ("checked_in", "in_session", "recovering", "discharged")
NO_SHOW_STATUS = "no_show"
SCHEDULED_STATUSES = ("booked", "offered")


def with_usage(queryset: QuerySet) -> QuerySet:
    """Annotate ``used`` and ``scheduled`` units (one query, whatever the number of rows)."""
    return queryset.annotate(
        used=Count(
            "appointments",
            filter=Q(appointments__status__in=USED_STATUSES)
            | Q(appointments__status=NO_SHOW_STATUS, clinic__no_show_uses_authorization=True),
            distinct=True,
        ),
        scheduled=Count(
            "appointments",
            filter=Q(appointments__status__in=SCHEDULED_STATUSES),
            distinct=True,
        ),
    )


def remaining_of(authorization: Authorization) -> int:
    return max(authorization.units - authorization.used - authorization.scheduled, 0)


def patient_authorizations(patient_id: int) -> list[Authorization]:
    """The patient's active authorizations with ``remaining`` set (for pages)."""
    rows = list(
        with_usage(Authorization.objects.filter(patient_id=patient_id, active=True)).order_by(
            "end_date", "id"
        )
    )
    for row in rows:
        row.remaining = remaining_of(row)
    return rows


def authorization_create(
    *,
    actor,
    patient: Patient,
    payer: str,
    number: str,
    session_types: Sequence[SessionType],
    units: int,
    start_date: date,
    end_date: date,
    notes: str = "",
) -> Authorization:
    if end_date < start_date:
        raise InvalidInput("end_date", "The end date is before the start date.")
    if not session_types:
        raise InvalidInput("session_types", "Name at least one session type it covers.")
    foreign = [st.name for st in session_types if st.clinic_id not in (None, patient.clinic_id)]
    if foreign:
        raise InvalidInput("session_types", f"Of another clinic: {', '.join(foreign)}.")
    authorization = Authorization.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        payer=payer,
        number=number,
        units=units,
        start_date=start_date,
        end_date=end_date,
        notes=notes,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    authorization.session_types.set(session_types)
    return authorization


def grants_fetch(
    *, patient_id: int, session_type_ids: Iterable[int], lock: bool = False
) -> list[Grant]:
    """The patient's active authorizations for these types, with units left (2-3 queries).

    With ``lock`` the rows are locked first (PostgreSQL), so the count that follows cannot
    be overtaken by another booking's claim before this transaction ends.
    """
    rows = Authorization.objects.filter(
        patient_id=patient_id, active=True, session_types__in=list(session_type_ids)
    ).distinct()
    if lock and connection.features.has_select_for_update:
        ids = list(
            Authorization.objects.select_for_update()
            .filter(id__in=rows.values("id"))
            .order_by("id")
            .values_list("id", flat=True)
        )
        rows = Authorization.objects.filter(id__in=ids)
    counted = list(with_usage(rows).prefetch_related("session_types"))
    return [
        Grant(
            id=a.id,
            session_type_ids=frozenset(st.id for st in a.session_types.all()),
            start_date=a.start_date,
            end_date=a.end_date,
            remaining=remaining_of(a),
        )
        for a in counted
    ]


def authorization_conflict(session_type: SessionType, day: date, *, ordinal=None) -> dict:
    conflict = {
        "kind": "authorization",
        "session_type": session_type.id,
        "date": day.isoformat(),
        "message": f"No active authorization covers {session_type.name} on {day.isoformat()} "
        "with a unit left.",
    }
    if ordinal is not None:
        conflict["ordinal"] = ordinal
    return conflict


def authorization_claim(
    *,
    patient: Patient,
    session_type: SessionType,
    start: datetime,
    clinic: Clinic,
    override: str = "",
) -> int | None:
    """The authorization whose unit this booking uses, or None when none is needed.

    Runs inside the booking's transaction, after its resource locks. A type that requires
    authorization and finds none with a unit left is a 409 with a conflict of kind
    ``authorization``, unless an override reason is given (then it books without one;
    the booking's audit entry records the reason).
    """
    if not session_type.requires_authorization:
        return None
    day = start.astimezone(clinic.zone).date()
    grants = grants_fetch(patient_id=patient.id, session_type_ids=[session_type.id], lock=True)
    cover = coverage_allocate(grants, [Need("this", session_type.id, day, True)])["this"]
    if cover.covered:
        return cover.authorization_id
    if override.strip():
        return None
    raise Conflict(
        f"{session_type.name} needs a payer authorization, and none of "
        f"{patient.full_name}'s covers {day.isoformat()} with a unit left. Record the "
        "authorization, or book with an authorization_override reason.",
        conflicts=[authorization_conflict(session_type, day)],
    )


def coverage_for(
    *, patient_id: int, needs: Sequence[Need], lock: bool = False
) -> dict[object, Cover]:
    """Cover each session of a course (plans' preview and book)."""
    if not any(n.required for n in needs):
        return {n.key: Cover(None, True) for n in needs}
    types = {n.session_type_id for n in needs if n.required}
    grants = grants_fetch(patient_id=patient_id, session_type_ids=types, lock=lock)
    return coverage_allocate(grants, needs)
