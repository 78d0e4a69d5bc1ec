"""API token authentication that reads the token, its user and their roles in one query.

DRF's ``TokenAuthentication`` reads the token with its user; the permission checks then
read the user's memberships (roles per clinic) with a second query. Here the memberships
come aggregated into the same row, and the user's ``Access`` is built from them once and
kept on the user object for the rest of the request (``common.scoping.access_of``).
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from backend.common.db import PreparedQuery, TextList
from backend.common.scoping import access_build, access_remember

User = get_user_model()


def _grants(items: list[str]) -> list[tuple[int | None, str]]:
    """``"<clinic id or empty>:<role>"`` items (one per membership) as pairs."""
    pairs = []
    for item in items:
        clinic, _, role = item.partition(":")
        if role:  # a user with no membership yields one empty item
            pairs.append((int(clinic) if clinic else None, role))
    return pairs


# What a request needs of its user; the rest (password, dates) is left deferred.
_USER_FIELDS = ("id", "username", "first_name", "last_name", "email")
_USER_FLAGS = ("is_active", "is_staff", "is_superuser")


def _token_row(key: str):
    grant = Concat(
        Coalesce(Cast("user__memberships__clinic_id", CharField()), Value("")),
        Value(":"),
        Coalesce("user__memberships__role", Value("")),
        output_field=CharField(),
    )
    return (
        Token.objects.filter(key=key)
        .values_list(*(f"user__{name}" for name in _USER_FIELDS + _USER_FLAGS))
        .annotate(grants=TextList(grant))
        .order_by()
    )


# Every API request runs it: compiled once per process (and prepared on PostgreSQL), where
# building it through the ORM cost about as much as the rest of a token check.
_TOKEN_ROW = PreparedQuery(_token_row, key=str)


def _user_from_db(values: dict):
    """A user instance from some of its columns, the others deferred (``from_db`` takes
    the values in the model's own field order)."""
    names = [f.attname for f in User._meta.concrete_fields if f.attname in values]
    return User.from_db(connection.alias, names, [values[name] for name in names])


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, with the user's roles in the same query."""

    def authenticate_credentials(self, key):
        rows = _TOKEN_ROW.rows(key=key)
        if not rows or rows[0][0] is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = rows[0]
        named = len(_USER_FIELDS)
        values = dict(zip(_USER_FIELDS, row[:named], strict=True))
        values.update((flag, bool(v)) for flag, v in zip(_USER_FLAGS, row[named:-1], strict=True))
        user = _user_from_db(values)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The raw row: a list on PostgreSQL, text joined by a separator on SQLite.
        grants = TextList().convert_value(row[-1], None, connection)
        access_remember(user, access_build(is_superuser=user.is_superuser, grants=_grants(grants)))
        token = Token.from_db(connection.alias, ("key", "user_id"), (key, user.id))
        return (user, token)
