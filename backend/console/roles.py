"""Who may do what in the console: the API's own role rules, read from where they live.

The console offers a button only when the user's role allows the action, and its POST
handlers refuse (403) the same actions, so a hand-made request gets no further than a
hidden button would. The role sets are imported from the API views that define them, so
the two front ends can never disagree.
"""

from backend.common.permissions import user_has_role
from backend.scheduling.api.appointment_views import BOOKING_ROLES
from backend.scheduling.api.day_views import DAY_ACTION_ROLES
from backend.scheduling.api.feed_views import PatientFeedActions
from backend.scheduling.models import Role

# Action name -> the roles that may take it.
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "book": tuple(BOOKING_ROLES),
    "reschedule": tuple(BOOKING_ROLES),
    "cancel": tuple(BOOKING_ROLES),
    "patient_feed": tuple(PatientFeedActions.feed_roles),
    "utilization": (Role.MANAGER,),
    **{name: tuple(roles) for name, roles in DAY_ACTION_ROLES.items()},
}


def can(user, action: str) -> bool:
    return user_has_role(user, *ACTION_ROLES[action])


def permissions_of(user) -> dict[str, bool]:
    """Every action as a flag, for templates: ``{% if can.check_in %}``."""
    return {action: can(user, action) for action in ACTION_ROLES}
