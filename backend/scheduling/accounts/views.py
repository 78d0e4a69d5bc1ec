"""The caller's own account (``me/``) and staff accounts for managers (``accounts/``).

Thin views over ``accounts.services``: a manager sees the accounts that work in a clinic
they manage, creates accounts in those clinics (the owner is emailed a one-time link to
set a password), changes their roles there, deactivates accounts wholly theirs to manage,
and sends the link again. Any other account answers 404.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.permissions import user_has_role
from backend.common.roles import ACCOUNT_ROLES
from backend.common.serializers import ErrorSerializer
from backend.scheduling.accounts.links import invitation_base_url
from backend.scheduling.accounts.serializers import (
    AccountCreatedSerializer,
    AccountCreateSerializer,
    AccountSerializer,
    AccountUpdateSerializer,
    InvitationSentSerializer,
    MeSerializer,
    grants_of,
)
from backend.scheduling.accounts.services import (
    account_create,
    account_deactivate,
    account_get,
    account_invite_send,
    account_list,
    account_update,
    authority_of,
    me_memberships,
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_LOGGED_IN = _error("Not logged in.")
NOT_A_MANAGER = _error("Not a manager in any clinic.")
NOT_YOURS = _error("No such account among those working in the clinics you manage.")
BAD_INPUT = _error("Invalid input, naming the field.")


class IsAccountManager(BasePermission):
    """A manager somewhere; each clinic named then asks for the role in that clinic."""

    message = "Staff accounts are managed by managers."

    def has_permission(self, request, view) -> bool:
        return user_has_role(request.user, *ACCOUNT_ROLES)


class MeView(APIView):
    """Who the caller is and their roles per clinic. Any logged-in user, with or without a
    role, may ask."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        summary="The caller's account and roles per clinic",
        responses={200: MeSerializer, 401: NOT_LOGGED_IN},
    )
    def get(self, request):
        user = request.user
        data = {
            "id": user.id,
            "username": user.get_username(),
            "email": user.email,
            "is_superuser": user.is_superuser,
            "memberships": me_memberships(user),
        }
        return Response(MeSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="List the staff accounts of the clinics you manage",
        description="Accounts holding a role in a clinic you manage (a group-wide role "
        "counts). Each shows its roles in the clinics you see only.",
        responses={200: AccountSerializer(many=True), 401: NOT_LOGGED_IN, 403: NOT_A_MANAGER},
    ),
    retrieve=extend_schema(
        summary="Get one staff account",
        responses={
            200: AccountSerializer,
            401: NOT_LOGGED_IN,
            403: NOT_A_MANAGER,
            404: NOT_YOURS,
        },
    ),
)
class AccountViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAccountManager]
    serializer_class = AccountSerializer
    filter_backends: list = []

    def get_queryset(self):
        return account_list(actor=self.request.user)

    def get_object(self):
        return account_get(actor=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "authority": authority_of(self.request.user)}

    def _answer(self, account, serializer_class=AccountSerializer, **kwargs) -> Response:
        return Response(
            serializer_class(account, context=self.get_serializer_context()).data, **kwargs
        )

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._answer(self.get_object())

    @extend_schema(
        summary="Create a staff account and email its owner a set-password link",
        description="You must manage every clinic named; a role in every clinic (clinic "
        "null) is granted only by a superuser or a group-wide manager. Otherwise nothing is "
        "written: 404 for a clinic you do not see, 403 for one you do not manage. No "
        "password is sent or accepted: the owner chooses it through a one-time link "
        "emailed to them.",
        request=AccountCreateSerializer,
        responses={
            201: AccountCreatedSerializer,
            400: BAD_INPUT,
            401: NOT_LOGGED_IN,
            403: _error("Not a manager of a clinic named (or of every clinic, for null)."),
            404: _error("A clinic named is not one of yours."),
        },
    )
    def create(self, request):
        form = AccountCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        created = account_create(
            actor=request.user,
            username=data["username"],
            email=data["email"],
            memberships=grants_of(data["memberships"]),
            base_url=invitation_base_url(request),
        )
        created.account.invitation_sent = created.invitation_sent
        return self._answer(
            created.account, AccountCreatedSerializer, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a staff account's roles in your clinics (or its email)",
        description="`memberships` replaces the account's roles in the clinics you manage "
        "and leaves every other clinic's alone. You cannot remove your own manager role "
        "(409). Changing `email` needs authority over the whole account (403 otherwise).",
        request=AccountUpdateSerializer,
        responses={
            200: AccountSerializer,
            400: BAD_INPUT,
            401: NOT_LOGGED_IN,
            403: _error(
                "A clinic named is not one you manage, or (email) the account "
                "works in clinics you do not manage."
            ),
            404: _error("No such account among yours, or a clinic named is not one of yours."),
            409: _error("You would remove your own manager role."),
        },
    )
    def partial_update(self, request, pk=None):
        account = self.get_object()
        form = AccountUpdateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        memberships = data.get("memberships")
        account = account_update(
            actor=request.user,
            account=account,
            email=data.get("email"),
            memberships=grants_of(memberships) if memberships is not None else None,
        )
        return self._answer(account)

    @extend_schema(
        summary="Deactivate a staff account",
        description="The account can no longer log in, and its API token is deleted; its "
        "roles stay on record. Only for an account that works only in clinics you manage "
        "(a superuser's only by a superuser). Deactivating an inactive account changes "
        "nothing.",
        request=None,
        responses={
            200: AccountSerializer,
            401: NOT_LOGGED_IN,
            403: _error("The account also works in clinics you do not manage, or is a superuser."),
            404: NOT_YOURS,
            409: _error("This is your own account."),
        },
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        account = account_deactivate(actor=request.user, account=self.get_object())
        return self._answer(account)

    @extend_schema(
        summary="Email the account's owner a new set-password link",
        description="Links sent before stop working while no password is set. An account "
        "that has a password keeps it until its owner uses the link.",
        request=None,
        responses={
            200: InvitationSentSerializer,
            401: NOT_LOGGED_IN,
            403: NOT_A_MANAGER,
            404: NOT_YOURS,
            409: _error("The account is deactivated or has no email address."),
            503: _error("The mail server did not accept the message; nothing was sent."),
        },
    )
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        account = self.get_object()
        account_invite_send(
            actor=request.user, account=account, base_url=invitation_base_url(request)
        )
        data = {"detail": "A new set-password link was emailed.", "sent_to": account.email}
        return Response(InvitationSentSerializer(data).data)
