"""Role checks, per clinic. A user's roles come from their memberships (``scoping``)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from backend.common.roles import Role
from backend.common.scoping import access_of, clinic_id_of


def user_roles(user) -> frozenset[str]:
    """Every role the user holds in at least one clinic."""
    return access_of(user).roles


def user_has_role(user, *roles: str) -> bool:
    """Whether the user holds one of ``roles`` in at least one clinic."""
    return bool(user_roles(user) & set(roles))


def view_roles(request, view) -> tuple[str, ...] | None:
    """The roles this request needs; None means any role (a read).

    A view names ``write_roles`` (default: manager) and may give a custom action its own
    ``action_roles``.
    """
    action = getattr(view, "action", None)
    action_roles = getattr(view, "action_roles", {})
    if action in action_roles:
        return tuple(action_roles[action])
    if request.method in SAFE_METHODS:
        return None
    return tuple(getattr(view, "write_roles", (Role.MANAGER,)))


class IsClinicStaff(BasePermission):
    """Any role may read; writes need the roles the view names, in the object's clinic.

    The view-level check asks for the role in at least one clinic; the object-level check
    (and the scoped related fields of the request body, ``ScopedRelatedFieldsMixin``) ask
    for it in the clinic the object belongs to. Objects of clinics where the user holds no
    role never get this far: the scoped querysets answer 404 for them.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        roles = user_roles(request.user)
        if not roles:
            return False
        needed = view_roles(request, view)
        return needed is None or bool(roles & set(needed))

    def has_object_permission(self, request, view, obj) -> bool:
        access = access_of(request.user)
        clinic_id = clinic_id_of(obj)
        if clinic_id is None:
            # A built-in row shared by every clinic: readable by all, changed by no clinic
            # (a view with ``builtin_edits_copy`` turns an edit into the clinic's own copy).
            if request.method in SAFE_METHODS or access.is_superuser:
                return True
            return getattr(view, "builtin_edits_copy", False) and view.action in (
                "update",
                "partial_update",
            )
        return access.has_role(clinic_id, view_roles(request, view))
