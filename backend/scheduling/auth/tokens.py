"""API token authentication that reads the token, its user and their roles in one query.

DRF's ``TokenAuthentication`` reads the token with its user; the permission checks then
read the user's memberships (roles per clinic) with a second query. Here the memberships
come aggregated into the same row, and the user's ``Access`` is built from them once and
kept on the user object for the rest of the request (``common.scoping.access_of``).
"""

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from backend.common.db import TextList
from backend.common.scoping import access_build, access_remember


def _grants(items: list[str]) -> list[tuple[int | None, str]]:
    """``"<clinic id or empty>:<role>"`` items (one per membership) as pairs."""
    pairs = []
    for item in items:
        clinic, _, role = item.partition(":")
        if role:  # a user with no membership yields one empty item
            pairs.append((int(clinic) if clinic else None, role))
    return pairs


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, with the user's roles in the same query."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        grant = Concat(
            Coalesce(Cast("user__memberships__clinic_id", CharField()), Value("")),
            Value(":"),
            Coalesce("user__memberships__role", Value("")),
            output_field=CharField(),
        )
        token = (
            model.objects.select_related("user")
            .filter(key=key)
            .annotate(grants=TextList(grant))
            .order_by()
            .first()
        )
        if token is None or token.user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        access_remember(
            token.user,
            access_build(is_superuser=token.user.is_superuser, grants=_grants(token.grants)),
        )
        return (token.user, token)
