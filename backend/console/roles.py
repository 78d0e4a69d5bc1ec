"""Who may do what in the console: the same role sets as the API (``common.roles``).

The console offers a button only when the user's role in the clinic concerned allows the
action, and its POST handlers refuse (403) the same actions, so a hand-made request gets
no further than a hidden button would.
"""

from backend.common.roles import ACTION_ROLES
from backend.common.scoping import access_of


def can(user, action: str, clinic_id: int | None = None) -> bool:
    """May ``user`` take ``action`` in ``clinic_id`` (in some clinic, if None)?"""
    access = access_of(user)
    roles = ACTION_ROLES[action]
    if clinic_id is None:
        return bool(access.roles & set(roles))
    return access.has_role(clinic_id, roles)


def permissions_of(user, clinic_id: int | None = None) -> dict[str, bool]:
    """Every action as a flag, for templates: ``{% if can.check_in %}``."""
    return {action: can(user, action, clinic_id) for action in ACTION_ROLES}
