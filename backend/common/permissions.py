"""Role checks. Roles are Django groups: front_desk, clinician, manager."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from backend.common.roles import Role


def user_roles(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_kap_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(Role.ALL)
        else:
            cached = frozenset(user.groups.filter(name__in=Role.ALL).values_list("name", flat=True))
        user._kap_roles = cached
    return cached


def user_has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


class IsClinicStaff(BasePermission):
    """Any of the three roles may read; writes need the roles the view names.

    A view sets ``write_roles`` (default: manager) and may set ``action_roles`` to give a
    custom action its own roles.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        roles = user_roles(request.user)
        if not roles:
            return False
        action = getattr(view, "action", None)
        action_roles = getattr(view, "action_roles", {})
        if action in action_roles:
            return bool(roles & set(action_roles[action]))
        if request.method in SAFE_METHODS:
            return True
        return bool(roles & set(getattr(view, "write_roles", (Role.MANAGER,))))
