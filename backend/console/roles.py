"""Who may do what in the console: the same role sets as the API (``common.roles``).

The console offers a button only when the user's role allows the action, and its POST
handlers refuse (403) the same actions, so a hand-made request gets no further than a
hidden button would.
"""

from backend.common.permissions import user_has_role
from backend.common.roles import ACTION_ROLES


def can(user, action: str) -> bool:
    return user_has_role(user, *ACTION_ROLES[action])


def permissions_of(user) -> dict[str, bool]:
    """Every action as a flag, for templates: ``{% if can.check_in %}``."""
    return {action: can(user, action) for action in ACTION_ROLES}
