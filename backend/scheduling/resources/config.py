"""A clinic's configuration stamp: what lets each process cache the clinic's setup.

Availability and booking read a clinic's setup on every request: opening hours, closures,
rooms and seats, staff and their working hours, the rooms each session type may use. It
rarely changes, so each process keeps it in memory (``booking.fetch.clinic_config``),
tagged with the clinic's ``config_version`` as it was when loaded. Every request reads
the clinic row anyway, and with it the current stamp: a different stamp means the cached
copy is stale and is loaded again. So a change made through any process or app server is
seen by every other on its next request, with no time-to-live and no extra query.

The stamp is a random number, not a counter: a rolled-back change, or a clinic id reused
after a rollback (SQLite), can never bring back a stamp some process cached with other
data. Ordinary saves of a clinic never write it (``Clinic.save``), so a stale instance
cannot put back an old stamp.

``CONFIG_MODELS`` below is the one list of what the cached setup is made of: a save or
delete of any of them changes the stamp of the clinic(s) concerned, in the same
transaction. Writers that bypass model signals (``bulk_create``, ``QuerySet.update``) on
these models call ``clinic_config_touch`` themselves. Anything that changes per booking or
per date (appointments, holds, staff absences) is NOT part of it and must not be cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models.signals import m2m_changed, post_delete, post_save

from backend.scheduling.resources.models import (
    Clinic,
    Closure,
    OpeningHours,
    Room,
    Seat,
    SessionType,
    Staff,
    WorkingHours,
    config_stamp_new,
)

# The models the cached clinic setup is built from, and how to find an instance's clinic
# (None: a built-in row shared by every clinic, so every clinic's stamp changes).
CONFIG_MODELS: dict[type, Callable[[object], int | None]] = {
    Clinic: lambda clinic: clinic.pk,
    OpeningHours: lambda hours: hours.clinic_id,
    Closure: lambda closure: closure.clinic_id,
    Room: lambda room: room.clinic_id,
    Seat: lambda seat: Room.objects.filter(pk=seat.room_id).values_list("clinic_id").first(),
    Staff: lambda staff: staff.clinic_id,
    WorkingHours: lambda hours: (
        Staff.objects.filter(pk=hours.staff_id).values_list("clinic_id").first()
    ),
    SessionType: lambda session_type: session_type.clinic_id,
}


# This process's caches of clinic setups (``config_cache_register``): a change made here
# drops their copies at once, so that even a clinic instance loaded before the change (and
# so carrying the old stamp) is not served the old setup by this process.
_local_forgets: list[Callable[[list[int] | None], None]] = []


def config_cache_register(forget: Callable[[list[int] | None], None]) -> None:
    """Register a cache's ``forget(clinic_ids or None for all)``."""
    _local_forgets.append(forget)


def clinic_config_touch(clinic_ids: int | Iterable[int] | None) -> None:
    """Give the clinic(s) a new configuration stamp (None: every clinic).

    Call it in the transaction of the change, after the change: every process's cached
    copy of these clinics' setup is then reloaded on its next request.
    """
    queryset = Clinic.objects.all()
    ids = None
    if clinic_ids is not None:
        ids = [clinic_ids] if isinstance(clinic_ids, int) else list(clinic_ids)
        if not ids:
            return
        queryset = queryset.filter(pk__in=ids)
    queryset.update(config_version=config_stamp_new())
    for forget in _local_forgets:
        forget(ids)


def _clinic_of(model: type, instance) -> int | None:
    found = CONFIG_MODELS[model](instance)
    if isinstance(found, tuple):  # values_list(...).first()
        found = found[0]
    return found


def _changed(sender, instance, raw=False, **kwargs) -> None:
    clinic_id = _clinic_of(sender, instance)
    if clinic_id is None and sender is not SessionType:
        return  # a row whose clinic is already gone (a cascade): nothing left to refresh
    if sender is Clinic and (kwargs.get("created") or kwargs.get("signal") is post_delete):
        return  # a new clinic has a fresh stamp; a deleted one needs none
    clinic_config_touch(clinic_id)


def _rooms_changed(sender, instance, action, pk_set, reverse, **kwargs) -> None:
    """The rooms a session type may use (either side of the relation) changed."""
    if not action.startswith("post_"):
        return
    if reverse:  # room.session_types changed: that room's clinic
        clinic_config_touch(instance.clinic_id)
        return
    rooms = Room.objects.filter(pk__in=pk_set) if pk_set else Room.objects.none()
    clinics = set(rooms.values_list("clinic_id", flat=True))
    if instance.clinic_id is not None:
        clinics.add(instance.clinic_id)
    clinic_config_touch(clinics if clinics or pk_set else None)


for _model in CONFIG_MODELS:
    post_save.connect(_changed, sender=_model, dispatch_uid=f"clinic-config-save-{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"clinic-config-delete-{_model.__name__}"
    )
m2m_changed.connect(
    _rooms_changed, sender=SessionType.rooms.through, dispatch_uid="clinic-config-type-rooms"
)
