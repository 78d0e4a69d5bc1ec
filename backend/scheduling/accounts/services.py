"""Staff accounts: create one with an invitation, change its memberships or email,
deactivate it, send the set-password link again.

Who may do what is decided by ``rules`` from the caller's access (``common.scoping``): a
manager acts in the clinics they manage; only a superuser or a group-wide manager grants
group-wide memberships. An account the caller cannot see (it works in none of the clinics
they manage) does not exist for them.

No password travels through here. A new account gets an unusable password and an email
with a one-time link to Django's own set-password page (``password_reset_confirm``); the
link's token (``default_token_generator``) stops working once the password is set, the
email changes, a newer invitation is sent, or ``PASSWORD_RESET_TIMEOUT`` passes.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from backend.common.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from backend.common.roles import Role
from backend.common.scoping import access_forget, access_of
from backend.scheduling.accounts import rules
from backend.scheduling.resources.models import Clinic, Membership

logger = logging.getLogger(__name__)

User = get_user_model()

EVERY_CLINIC = "Every clinic"
ROLE_NAMES = dict(Role.CHOICES)
TEMPLATES = "accounts/email/"
CHANGE_EMAIL = "change the email of {}"


class InvitationNotSent(DomainError):
    """The mail server refused or could not be reached: nothing was sent. 503."""

    status_code = 503


@dataclass(frozen=True)
class MembershipGrant:
    """The roles an account should hold in one clinic (``None``: in every clinic)."""

    clinic: Clinic | None
    roles: frozenset[str]

    @property
    def clinic_id(self) -> int | None:
        return self.clinic.id if self.clinic is not None else None


@dataclass(frozen=True)
class AccountCreated:
    account: Any
    invitation_sent: bool


# --- Reading ----------------------------------------------------------------------------


def authority_of(user) -> rules.Authority:
    """The caller's clinics as the rules see them: those seen, those managed."""
    access = access_of(user)
    return rules.Authority(
        seen=access.clinic_ids(),
        managed=access.clinic_ids((Role.MANAGER,)),
        is_superuser=access.is_superuser,
    )


def _in_clinics(clinic_ids: frozenset[int] | None) -> Q:
    """Memberships in ``clinic_ids`` (every one if None), group-wide ones included."""
    if clinic_ids is None:
        return Q()
    return Q(clinic_id__in=clinic_ids) | Q(clinic__isnull=True)


def _with_memberships_shown(authority: rules.Authority) -> QuerySet:
    """Accounts, each with ``visible_memberships``: those in the clinics the caller sees,
    group-wide ones included, with their clinic (one query for all the accounts)."""
    shown = (
        Membership.objects.filter(_in_clinics(authority.seen))
        .select_related("clinic")
        .order_by("clinic__name", "clinic_id", "role")
    )
    return User.objects.prefetch_related(
        Prefetch("memberships", queryset=shown, to_attr="visible_memberships")
    )


def account_list(*, actor) -> QuerySet:
    """The accounts ``actor`` manages: those with a membership in a clinic they manage (a
    group-wide one too: it covers that clinic).

    Each carries ``visible_memberships`` (see ``membership_groups``); two queries however
    many accounts. A superuser or a group-wide manager sees every account, those without a
    role too.
    """
    authority = authority_of(actor)
    accounts = _with_memberships_shown(authority)
    if authority.managed is not None:
        managed = Membership.objects.filter(user=OuterRef("pk")).filter(
            _in_clinics(authority.managed)
        )
        accounts = accounts.filter(Exists(managed))
    return accounts.order_by("username", "id")


def account_get(*, actor, pk: Any):
    """One account ``actor`` manages, else ``NotFound`` (the same for one that exists nowhere)."""
    try:
        return account_list(actor=actor).get(pk=pk)
    except (User.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such account in your clinics.") from None


def membership_groups(
    memberships: Iterable[Membership], authority: rules.Authority
) -> list[dict[str, Any]]:
    """Memberships by clinic: group-wide first, then by clinic name.

    ``editable``: the caller manages the clinic, so changing memberships replaces these.
    """
    by_clinic: dict[int | None, dict[str, Any]] = {}
    for membership in memberships:
        group = by_clinic.get(membership.clinic_id)
        if group is None:
            group = by_clinic[membership.clinic_id] = {
                "clinic": membership.clinic_id,
                "clinic_name": membership.clinic.name if membership.clinic else EVERY_CLINIC,
                "roles": [],
                "editable": authority.manages(membership.clinic_id),
            }
        group["roles"].append(membership.role)
    for group in by_clinic.values():
        group["roles"].sort(key=Role.ALL.index)
    return sorted(
        by_clinic.values(), key=lambda g: (g["clinic"] is not None, g["clinic_name"], g["clinic"])
    )


def me_memberships(user) -> list[dict[str, Any]]:
    """The caller's own roles per clinic (one query), as ``me/`` shows them."""
    memberships = Membership.objects.filter(user=user).select_related("clinic")
    everything = rules.Authority(seen=None, managed=frozenset())
    return [
        {key: value for key, value in group.items() if key != "editable"}
        for group in membership_groups(memberships, everything)
    ]


# --- Checks ------------------------------------------------------------------------------


def _raise(refusal: rules.Refusal | None) -> None:
    if refusal is None:
        return
    errors = {refusal.field: [refusal.message]}
    if refusal.kind is rules.RefusalKind.UNSEEN:
        raise NotFound(refusal.message, errors=errors)
    if refusal.kind is rules.RefusalKind.FORBIDDEN:
        raise Forbidden(refusal.message, errors=errors)
    raise Conflict(refusal.message, errors=errors)


def _grants_check(authority: rules.Authority, grants: Sequence[MembershipGrant]) -> None:
    """Every clinic named may be managed by the caller (404 unseen, 403 not a manager
    there); no clinic twice; known roles only."""
    for grant in grants:
        _raise(rules.grant_refusal(authority, grant.clinic_id))
    clinic_ids = [grant.clinic_id for grant in grants]
    if len(set(clinic_ids)) != len(clinic_ids):
        raise InvalidInput("memberships", "Name each clinic once, with all its roles.")
    unknown = sorted({role for grant in grants for role in grant.roles} - set(Role.ALL))
    if unknown:
        raise InvalidInput(
            "memberships",
            f"Unknown role {unknown[0]!r}: choose from {', '.join(Role.ALL)}.",
        )


def _pairs(grants: Iterable[MembershipGrant]) -> set[rules.Pair]:
    return {(grant.clinic_id, role) for grant in grants for role in grant.roles}


def _username_clean(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise InvalidInput("username", "Enter a username.")
    try:
        User._meta.get_field(User.USERNAME_FIELD).run_validators(username)
    except DjangoValidationError as exc:
        raise InvalidInput("username", " ".join(exc.messages)) from None
    if len(username) > User._meta.get_field(User.USERNAME_FIELD).max_length:
        raise InvalidInput("username", "This username is too long.")
    if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
        raise InvalidInput("username", "This username is taken: choose another.")
    return username


def _email_clean(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip())
    if not email:
        raise InvalidInput("email", "Enter the email address the invitation goes to.")
    try:
        validate_email(email)
    except DjangoValidationError:
        raise InvalidInput("email", "Enter a valid email address.") from None
    return email


def _account_clinics(account) -> set[int | None]:
    """Every clinic the account works in (``None`` for group-wide), seen or not."""
    return set(Membership.objects.filter(user=account).values_list("clinic_id", flat=True))


def _lock(account):
    """The account's row, locked until the transaction ends (concurrent edits queue)."""
    return User.objects.select_for_update().get(pk=account.pk)


def _refreshed(actor, account):
    """The account as ``actor`` sees it now, its memberships reloaded; still found when the
    change took away its last membership in the caller's clinics."""
    access_forget(account)
    if actor.pk == account.pk:
        access_forget(actor)
    return _with_memberships_shown(authority_of(actor)).get(pk=account.pk)


@dataclass(frozen=True)
class AccountRefusals:
    """Why the caller may not take each whole-account action on an account (None: may)."""

    deactivate: rules.Refusal | None
    change_email: rules.Refusal | None


def account_refusals(*, actor, account) -> AccountRefusals:
    """What stands in the way of deactivating ``account`` or changing its email (one query),
    for pages that offer those actions only where they would succeed."""
    authority = authority_of(actor)
    clinics = _account_clinics(account)
    return AccountRefusals(
        deactivate=rules.deactivate_refusal(
            authority,
            is_self=actor.pk == account.pk,
            clinics=clinics,
            target_is_superuser=account.is_superuser,
        ),
        change_email=rules.whole_account_refusal(
            authority,
            clinics=clinics,
            target_is_superuser=account.is_superuser,
            what=CHANGE_EMAIL,
        ),
    )


# --- Writing ------------------------------------------------------------------------------


def account_create(
    *,
    actor,
    username: str,
    email: str,
    memberships: Sequence[MembershipGrant],
    base_url: str,
) -> AccountCreated:
    """A new account with the roles given, and an email inviting its owner to set a password.

    The caller must manage every clinic named; nothing is written otherwise. The account is
    created even if the email cannot be sent (``invitation_sent`` says so): the invitation
    can be sent again (``account_invite_send``).
    """
    authority = authority_of(actor)
    _grants_check(authority, memberships)
    pairs = _pairs(memberships)
    username = _username_clean(username)
    email = _email_clean(email)
    if not pairs:
        raise InvalidInput("memberships", "Give the account at least one role.")
    try:
        with transaction.atomic():
            account = User.objects.create_user(username=username, email=email, password=None)
            Membership.objects.bulk_create(
                Membership(user=account, clinic_id=clinic_id, role=role)
                for clinic_id, role in sorted(pairs, key=lambda p: (p[0] or 0, p[1]))
            )
    except IntegrityError:
        # Another request took the username between the check and the insert.
        raise InvalidInput("username", "This username is taken: choose another.") from None
    logger.info("Account %s created by %s with %s", account.pk, actor.pk, sorted(pairs, key=str))
    account = _with_memberships_shown(authority).get(pk=account.pk)
    try:
        _invitation_send(actor=actor, account=account, base_url=base_url, authority=authority)
    except InvitationNotSent:
        return AccountCreated(account=account, invitation_sent=False)
    return AccountCreated(account=account, invitation_sent=True)


def account_memberships_update(*, actor, account, memberships: Sequence[MembershipGrant]):
    """Replace ``account``'s memberships in the clinics ``actor`` manages with ``memberships``.

    Memberships in other clinics stay as they are. A clinic the caller manages but leaves
    out loses its roles. Returns the account as the caller sees it afterwards.
    """
    authority = authority_of(actor)
    _grants_check(authority, memberships)
    with transaction.atomic():
        _memberships_replace(actor=actor, account=_lock(account), grants=memberships)
    return _refreshed(actor, account)


def _memberships_replace(*, actor, account, grants: Sequence[MembershipGrant]) -> None:
    authority = authority_of(actor)
    current = set(Membership.objects.filter(user=account).values_list("clinic_id", "role"))
    change = rules.memberships_replace(authority, current=current, desired=_pairs(grants))
    _raise(rules.self_demotion_refusal(authority, is_self=actor.pk == account.pk, change=change))
    if not change.empty:
        logger.info(
            "Account %s memberships changed by %s: added %s, removed %s",
            account.pk,
            actor.pk,
            sorted(change.add, key=str),
            sorted(change.remove, key=str),
        )
    for clinic_id, role in change.remove:
        Membership.objects.filter(user=account, clinic_id=clinic_id, role=role).delete()
    Membership.objects.bulk_create(
        Membership(user=account, clinic_id=clinic_id, role=role)
        for clinic_id, role in sorted(change.add, key=lambda p: (p[0] or 0, p[1]))
    )


def account_email_update(*, actor, account, email: str):
    """A new email address for ``account``; the caller needs authority over all of it.

    Every set-password link sent before stops working (the token covers the email): send
    the invitation again to reach the new address.
    """
    authority = authority_of(actor)
    email = _email_clean(email)
    with transaction.atomic():
        _email_replace(authority=authority, account=_lock(account), email=email)
    return _refreshed(actor, account)


def _email_replace(*, authority: rules.Authority, account, email: str) -> None:
    if email == account.email:
        return
    _raise(
        rules.whole_account_refusal(
            authority,
            clinics=_account_clinics(account),
            target_is_superuser=account.is_superuser,
            what=CHANGE_EMAIL,
        )
    )
    account.email = email
    account.save(update_fields=["email"])
    logger.info("Account %s email changed", account.pk)


def account_update(
    *,
    actor,
    account,
    email: str | None = None,
    memberships: Sequence[MembershipGrant] | None = None,
):
    """``account_email_update`` and ``account_memberships_update`` together, all or nothing
    (each only when given)."""
    authority = authority_of(actor)
    if memberships is not None:
        _grants_check(authority, memberships)
    if email is not None:
        email = _email_clean(email)
    with transaction.atomic():
        locked = _lock(account)
        if email is not None:
            _email_replace(authority=authority, account=locked, email=email)
        if memberships is not None:
            _memberships_replace(actor=actor, account=locked, grants=memberships)
    return _refreshed(actor, account)


def account_deactivate(*, actor, account):
    """``account`` can no longer log in or use its API token (the token is deleted).

    Refused for the caller's own account (409) and for an account that also works in
    clinics the caller does not manage (403). Memberships stay, for the record. Deactivating
    an inactive account changes nothing.
    """
    authority = authority_of(actor)
    with transaction.atomic():
        locked = _lock(account)
        _raise(
            rules.deactivate_refusal(
                authority,
                is_self=actor.pk == account.pk,
                clinics=_account_clinics(locked),
                target_is_superuser=locked.is_superuser,
            )
        )
        if locked.is_active:
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            logger.info("Account %s deactivated by %s", locked.pk, actor.pk)
        Token.objects.filter(user=locked).delete()
    return _refreshed(actor, account)


def account_invite_send(*, actor, account, base_url: str) -> None:
    """Email ``account`` a new one-time link to set its password.

    Links sent before stop working while the account has no password yet. An account with
    a password keeps it until its owner follows the link. Refused for a deactivated account
    or one without an email address (409); 503 when the mail cannot be sent.
    """
    # The row as it is now: the link's token covers the email and the password field.
    account = User.objects.get(pk=account.pk)
    if not account.is_active:
        raise Conflict(
            "This account is deactivated: it cannot set a password.",
            errors={"account": ["This account is deactivated."]},
        )
    if not account.email:
        raise Conflict(
            "This account has no email address to send the link to.",
            errors={"email": ["Add an email address first."]},
        )
    _invitation_send(actor=actor, account=account, base_url=base_url, authority=authority_of(actor))


def set_password_url(base_url: str, account) -> str:
    """A one-time link to Django's set-password page for ``account``."""
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def _memberships_shown(account, authority: rules.Authority) -> list[Membership]:
    shown = getattr(account, "visible_memberships", None)
    if shown is None:
        shown = list(
            Membership.objects.filter(user=account)
            .filter(_in_clinics(authority.seen))
            .select_related("clinic")
        )
    return shown


def _invitation_send(*, actor, account, base_url: str, authority: rules.Authority) -> None:
    if not account.has_usable_password():
        # A fresh unusable password: every earlier link (their token hashes the password
        # field) stops working, so only the newest invitation can set the password.
        account.set_unusable_password()
        account.save(update_fields=["password"])
    link = set_password_url(base_url, account)
    context = {
        "username": account.get_username(),
        "inviter": actor.get_full_name() or actor.get_username(),
        "link": link,
        "has_password": account.has_usable_password(),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "memberships": [
            {
                "clinic_name": group["clinic_name"],
                "roles": [ROLE_NAMES[role] for role in group["roles"]],
            }
            for group in membership_groups(_memberships_shown(account, authority), authority)
        ],
    }
    subject = " ".join(render_to_string(TEMPLATES + "invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(TEMPLATES + "invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[account.email],
    )
    message.attach_alternative(
        render_to_string(TEMPLATES + "invitation.html", context), "text/html"
    )
    try:
        message.send()
    except Exception as exc:
        logger.exception("The set-password link for account %s could not be sent", account.pk)
        raise InvitationNotSent(
            "The email could not be sent; nothing reached the account's owner. Try again later.",
            errors={"email": ["The mail server did not accept the message."]},
        ) from exc
