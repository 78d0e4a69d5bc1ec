"""Clinic scoping: every read of clinic data goes through one mechanism.

A user holds roles per clinic (memberships); a superuser holds every role everywhere.
Each clinic-owned model's QuerySet derives from ``ClinicScopedQuerySet`` and names, once,
the path from a row to its clinic (``clinic_path``). ``for_user(user)`` then answers only
the rows of the user's clinics, and ``for_user(user, roles)`` only those of clinics where
the user holds one of ``roles``. Views, forms and services look objects up through it, so
an object of another clinic does not exist for them: its detail answers 404, and naming it
in a request is refused before anything is written.

This module imports no app: it reads a user's memberships through the reverse relation
``user.memberships`` that the membership model declares.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q

from backend.common.roles import Role


@dataclass(frozen=True)
class Access:
    """What one user may see and do: their roles per clinic."""

    is_superuser: bool = False
    roles_by_clinic: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # Roles held in every clinic (memberships without a clinic).
    roles_everywhere: frozenset[str] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        """Every role the user holds somewhere (all of them for a superuser)."""
        if self.is_superuser:
            return frozenset(Role.ALL)
        return self.roles_everywhere.union(*self.roles_by_clinic.values())

    def clinic_ids(self, roles: Iterable[str] | None = None) -> frozenset[int] | None:
        """Clinics where the user holds one of ``roles`` (any role if None); None = all."""
        wanted = set(Role.ALL if roles is None else roles)
        if self.is_superuser or self.roles_everywhere & wanted:
            return None
        return frozenset(cid for cid, held in self.roles_by_clinic.items() if held & wanted)

    def has_role(self, clinic_id: int | None, roles: Iterable[str] | None = None) -> bool:
        """Whether the user holds one of ``roles`` (any role if None) in ``clinic_id``."""
        held = self.roles_in(clinic_id) if clinic_id else frozenset()
        return bool(held & set(Role.ALL if roles is None else roles))

    def roles_in(self, clinic_id: int) -> frozenset[str]:
        if self.is_superuser:
            return frozenset(Role.ALL)
        return self.roles_everywhere | self.roles_by_clinic.get(clinic_id, frozenset())


NO_ACCESS = Access()


def access_build(*, is_superuser: bool, grants: Iterable[tuple[int | None, str]]) -> Access:
    """An ``Access`` from the user's memberships as ``(clinic_id or None, role)`` pairs."""
    if is_superuser:
        return Access(is_superuser=True)
    roles: dict[int | None, set[str]] = {}
    for clinic_id, role in grants:
        roles.setdefault(clinic_id, set()).add(role)
    everywhere = frozenset(roles.pop(None, ()))
    return Access(
        roles_by_clinic={cid: frozenset(r) for cid, r in roles.items()},
        roles_everywhere=everywhere,
    )


def access_remember(user: Any, access: Access) -> None:
    """Keep ``access`` on the user object for the rest of the request (an authentication
    that read the memberships together with the user, in one query, hands them over)."""
    user._kap_access = access


def access_of(user: Any) -> Access:
    """The user's roles per clinic, read once per request and kept on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_kap_access", None)
    if cached is None:
        grants = () if user.is_superuser else user.memberships.values_list("clinic_id", "role")
        cached = access_build(is_superuser=user.is_superuser, grants=grants)
        access_remember(user, cached)
    return cached


def access_forget(user: Any) -> None:
    """Drop the cached access, after the user's memberships changed in this request."""
    if hasattr(user, "_kap_access"):
        del user._kap_access


class ClinicScopedQuerySet(models.QuerySet):
    """A QuerySet of rows that belong to a clinic, reachable through ``clinic_path``.

    ``shared_when_unowned``: rows without a clinic (the built-in session types and plan
    templates) are shared defaults that every clinic sees.
    """

    clinic_path: ClassVar[str] = "clinic"
    shared_when_unowned: ClassVar[bool] = False

    def for_user(self, user: Any, roles: Iterable[str] | None = None) -> "ClinicScopedQuerySet":
        return self.for_access(access_of(user), roles)

    def for_access(
        self, access: Access, roles: Iterable[str] | None = None
    ) -> "ClinicScopedQuerySet":
        clinic_ids = access.clinic_ids(roles)
        if clinic_ids is None:
            return self
        visible = Q(**{f"{self.clinic_path}__in": clinic_ids})
        if self.shared_when_unowned:
            visible |= Q(**{f"{self.clinic_path}__isnull": True})
        return self.filter(visible)


def clinic_id_of(obj: models.Model) -> int | None:
    """The id of the clinic ``obj`` belongs to (None for a shared built-in row).

    Follows the model's ``clinic_path``; the views that check it load the related rows
    with their object (``select_related``), so this costs no query.
    """
    queryset_class = type(obj)._default_manager.get_queryset().__class__
    path = getattr(queryset_class, "clinic_path", None)
    if path is None:
        raise TypeError(f"{type(obj).__name__} is not clinic-scoped")
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    current = obj
    for hop in hops:
        current = getattr(current, hop)
        if current is None:
            return None
    return getattr(current, f"{last}_id")


def scoped_queryset(
    clinic_path: str = "clinic",
    *,
    shared_when_unowned: bool = False,
    base: type = ClinicScopedQuerySet,
) -> type[ClinicScopedQuerySet]:
    """A ``ClinicScopedQuerySet`` class for a model whose clinic is at ``clinic_path``.

    ``objects = scoped_queryset("room__clinic").as_manager()`` on the model is the one
    place that says how its rows are scoped.
    """
    return type(
        f"ScopedBy_{clinic_path}",
        (base,),
        {
            "clinic_path": clinic_path,
            "shared_when_unowned": shared_when_unowned,
            "__module__": __name__,
        },
    )


class ClinicScopedViewMixin:
    """A view whose queryset answers only the requesting user's clinics.

    Every list, detail and action goes through ``get_queryset``, so an object of another
    clinic is a 404 wherever it is named in the URL. A view that needs a queryset of its
    own defines ``base_queryset()``; overriding ``get_queryset`` is refused at import, so
    the scoping cannot be bypassed by accident.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: define base_queryset(), not get_queryset()")

    def base_queryset(self):
        return super().get_queryset()

    def get_queryset(self):
        queryset = self.base_queryset()
        if not hasattr(queryset, "for_user"):
            raise TypeError(f"{type(self).__name__}: {queryset.model.__name__} is not scoped")
        return queryset.for_user(self.request.user)
