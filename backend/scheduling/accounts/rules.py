"""Who may grant, change and deactivate which staff accounts, as pure rules.

Plain values in, decisions out: no Django, no ORM, no settings. A membership is a pair
``(clinic_id, role)``; a clinic id of ``None`` is a group-wide membership (the role in every
clinic of the group, present and future). Each check returns a ``Refusal`` (or None), never
an HTTP error: the services decide how a refusal is reported.

The rules:

* A manager acts in the clinics they manage. A superuser or a group-wide manager manages
  every clinic, and only they may grant, change or remove group-wide memberships.
* Changing an account's memberships replaces those in the clinics the caller manages and
  leaves every other membership alone.
* Nobody removes their own manager role (another manager can), nor deactivates their own
  account.
* Deactivating an account, or changing its email, needs authority over all of it: every
  clinic it works in must be one the caller manages, and only a superuser acts on a
  superuser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

MANAGER = "manager"

Pair = tuple[int | None, str]


class RefusalKind(StrEnum):
    UNSEEN = "unseen"  # a clinic the caller holds no role in: as if it did not exist
    FORBIDDEN = "forbidden"  # seen, but the caller's role does not allow this
    CONFLICT = "conflict"  # allowed in general, not in this account's state


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    field: str
    message: str


@dataclass(frozen=True)
class Authority:
    """What the caller may see and manage.

    ``seen``: clinics where the caller holds any role; ``managed``: clinics where they are a
    manager. None means every clinic (a superuser, or a group-wide role).
    """

    seen: frozenset[int] | None
    managed: frozenset[int] | None
    is_superuser: bool = False

    @property
    def manages_everything(self) -> bool:
        return self.managed is None

    def sees(self, clinic_id: int | None) -> bool:
        """Group-wide memberships concern every clinic, so whoever sees a clinic sees them."""
        return clinic_id is None or self.seen is None or clinic_id in self.seen

    def manages(self, clinic_id: int | None) -> bool:
        if self.managed is None:
            return True
        return clinic_id is not None and clinic_id in self.managed


@dataclass(frozen=True)
class MembershipChange:
    add: frozenset[Pair]
    remove: frozenset[Pair]

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove


def grant_refusal(authority: Authority, clinic_id: int | None) -> Refusal | None:
    """Why the caller may not grant (or change) memberships in ``clinic_id``, if they may not."""
    if clinic_id is None:
        if authority.manages_everything:
            return None
        return Refusal(
            RefusalKind.FORBIDDEN,
            "clinic",
            "Only a superuser or a group-wide manager may grant roles in every clinic.",
        )
    if not authority.sees(clinic_id):
        return Refusal(
            RefusalKind.UNSEEN, "clinic", f"No clinic with id {clinic_id} in your clinics."
        )
    if not authority.manages(clinic_id):
        return Refusal(
            RefusalKind.FORBIDDEN,
            "clinic",
            "Only a manager of this clinic may give or change roles in it.",
        )
    return None


def memberships_replace(
    authority: Authority, *, current: Iterable[Pair], desired: Iterable[Pair]
) -> MembershipChange:
    """The change that makes the caller's share of ``current`` equal ``desired``.

    Memberships in clinics the caller does not manage are neither added nor removed: the
    caller's ``desired`` set is checked with ``grant_refusal`` beforehand, and their absence
    from it means nothing.
    """
    mine_now = {pair for pair in current if authority.manages(pair[0])}
    wanted = {pair for pair in desired if authority.manages(pair[0])}
    return MembershipChange(add=frozenset(wanted - mine_now), remove=frozenset(mine_now - wanted))


def self_demotion_refusal(
    authority: Authority, *, is_self: bool, change: MembershipChange
) -> Refusal | None:
    """A manager may not take their own manager role away (a superuser is not demoted by it)."""
    if not is_self or authority.is_superuser:
        return None
    if any(role == MANAGER for _, role in change.remove):
        return Refusal(
            RefusalKind.CONFLICT,
            "memberships",
            "You cannot remove your own manager role; another manager can.",
        )
    return None


def whole_account_refusal(
    authority: Authority,
    *,
    clinics: Iterable[int | None],
    target_is_superuser: bool,
    what: str,
) -> Refusal | None:
    """Why the caller lacks authority over every clinic the account works in, if they do.

    ``what`` is the action with a ``{}`` for its object: ``"deactivate {}"``.
    """
    if target_is_superuser and not authority.is_superuser:
        return Refusal(
            RefusalKind.FORBIDDEN,
            "account",
            f"Only a superuser may {what.format('a superuser')}.",
        )
    if any(not authority.manages(clinic_id) for clinic_id in clinics):
        return Refusal(
            RefusalKind.FORBIDDEN,
            "account",
            "This account also works in clinics you do not manage; only a manager of every "
            f"clinic it works in may {what.format('this account')}.",
        )
    return None


def deactivate_refusal(
    authority: Authority,
    *,
    is_self: bool,
    clinics: Iterable[int | None],
    target_is_superuser: bool,
) -> Refusal | None:
    if is_self:
        return Refusal(RefusalKind.CONFLICT, "account", "You cannot deactivate your own account.")
    return whole_account_refusal(
        authority, clinics=clinics, target_is_superuser=target_is_superuser, what="deactivate {}"
    )
