"""What the account endpoints read and answer. No password field exists in either
direction: a new account's owner sets it through the emailed one-time link."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.errors import Forbidden
from backend.common.roles import MANAGER_ONLY, Role
from backend.common.serializers import ScopedPrimaryKeyRelatedField
from backend.scheduling.accounts.services import (
    EVERY_CLINIC,
    MembershipGrant,
    authority_of,
    membership_groups,
)
from backend.scheduling.resources.models import Clinic

ROLES_HELP = "Roles in this clinic: front_desk, clinician, manager."


class ManagedClinicField(ScopedPrimaryKeyRelatedField):
    """A clinic the caller manages: 404 for one they do not see, 403 for one where they are
    not a manager (naming the field either way, before anything is written)."""

    def __init__(self, **kwargs):
        super().__init__(roles=MANAGER_ONLY, queryset=Clinic.objects.all(), **kwargs)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except Forbidden:
            message = "Only a manager of this clinic may give or change roles in it."
            raise Forbidden(message, errors={self.field_name: [message]}) from None


class MembershipInputSerializer(serializers.Serializer):
    clinic = ManagedClinicField(
        allow_null=True,
        help_text="A clinic you manage; null: every clinic of the group (a superuser or a "
        "group-wide manager only).",
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.CHOICES), help_text=ROLES_HELP
    )


def grants_of(memberships: list[dict]) -> list[MembershipGrant]:
    return [MembershipGrant(clinic=m["clinic"], roles=frozenset(m["roles"])) for m in memberships]


class MembershipSerializer(serializers.Serializer):
    clinic = serializers.IntegerField(
        allow_null=True, help_text="The clinic's id; null: every clinic of the group."
    )
    clinic_name = serializers.CharField(help_text=f'"{EVERY_CLINIC}" when clinic is null.')
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.CHOICES), help_text=ROLES_HELP
    )


class AccountMembershipSerializer(MembershipSerializer):
    editable = serializers.BooleanField(
        help_text="You manage this clinic: PATCH replaces these roles. Roles in other clinics "
        "are shown (for clinics you see) but never changed by you."
    )


class AccountSerializer(serializers.Serializer):
    """An account as the caller sees it: its roles in the clinics the caller sees only."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    is_active = serializers.BooleanField(
        read_only=True, help_text="False once deactivated: no login, no API token."
    )
    is_superuser = serializers.BooleanField(read_only=True)
    password_set = serializers.SerializerMethodField(
        help_text="False until the owner sets a password through the emailed link."
    )
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)
    memberships = serializers.SerializerMethodField()

    def get_password_set(self, account) -> bool:
        return account.has_usable_password()

    @extend_schema_field(AccountMembershipSerializer(many=True))
    def get_memberships(self, account) -> list[dict]:
        authority = self.context.get("authority")
        if authority is None:
            authority = self.context["authority"] = authority_of(self.context["request"].user)
        return membership_groups(account.visible_memberships, authority)


class AccountCreatedSerializer(AccountSerializer):
    invitation_sent = serializers.BooleanField(
        read_only=True,
        help_text="Whether the set-password email went out; if not, the account exists and "
        "POST accounts/{id}/invite/ sends it again.",
    )


class AccountCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(help_text="The one-time set-password link is sent here.")
    memberships = MembershipInputSerializer(
        many=True,
        allow_empty=False,
        help_text="Roles per clinic; you must manage every clinic named.",
    )


class AccountUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(
        required=False,
        help_text="Needs authority over the whole account (every clinic it works in). Links "
        "sent before stop working.",
    )
    memberships = MembershipInputSerializer(
        many=True,
        required=False,
        help_text="The account's roles in the clinics you manage, replacing those it has "
        "there now (a clinic you manage left out loses its roles). Roles in other clinics "
        "are untouched.",
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"memberships": ["Send memberships (or email) to change."]}
            )
        return attrs


class InvitationSentSerializer(serializers.Serializer):
    detail = serializers.CharField()
    sent_to = serializers.EmailField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    is_superuser = serializers.BooleanField(
        help_text="A superuser holds every role in every clinic, memberships or not."
    )
    memberships = MembershipSerializer(many=True)
