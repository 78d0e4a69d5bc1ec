"""Memberships: the roles a user holds per clinic."""

from backend.common.scoping import access_forget, access_of
from backend.scheduling.resources.models import Clinic, Membership


def clinic_membership_grant(*, user, clinic: Clinic, role: str) -> Membership | None:
    """Give ``user`` ``role`` in ``clinic`` unless they hold it there already (a role held
    in every clinic, or a superuser's, covers it): whoever creates a clinic manages it."""
    if access_of(user).has_role(clinic.id, (role,)):
        return None
    membership = Membership.objects.create(user=user, clinic=clinic, role=role)
    access_forget(user)
    return membership
