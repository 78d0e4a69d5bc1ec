"""API tokens: the token, its user and their roles per clinic are read in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.common.scoping import access_of
from backend.scheduling.auth.tokens import TokenAuthentication
from backend.scheduling.resources.models import Membership
from tests.factories import ClinicFactory, MembershipFactory, TokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def authenticate(key: str):
    user, _ = TokenAuthentication().authenticate_credentials(key)
    return user


def test_roles_per_clinic_come_with_the_token_in_one_query():
    first, second = ClinicFactory(), ClinicFactory()
    token = TokenFactory(user=UserFactory(roles=[]))
    MembershipFactory(user=token.user, clinic=first, role=Role.FRONT_DESK)
    MembershipFactory(user=token.user, clinic=second, role=Role.MANAGER)
    MembershipFactory(user=token.user, clinic=second, role=Role.CLINICIAN)
    MembershipFactory(user=token.user, clinic=None, role=Role.CLINICIAN)

    with CaptureQueriesContext(connection) as queries:
        user = authenticate(token.key)
        access = access_of(user)

    assert len(queries) == 1
    assert access.roles_by_clinic == {
        first.id: frozenset({Role.FRONT_DESK}),
        second.id: frozenset({Role.MANAGER, Role.CLINICIAN}),
    }
    assert access.roles_everywhere == frozenset({Role.CLINICIAN})


def test_a_user_without_memberships_has_no_role():
    token = TokenFactory(user=UserFactory(roles=[]))
    Membership.objects.filter(user=token.user).delete()
    assert access_of(authenticate(token.key)).roles == frozenset()


def test_a_superuser_holds_every_role():
    token = TokenFactory(user=UserFactory(roles=[], is_superuser=True))
    assert access_of(authenticate(token.key)).roles == frozenset(Role.ALL)


@pytest.mark.parametrize("case", ["unknown", "inactive"])
def test_an_unknown_token_or_an_inactive_user_is_refused(case):
    token = TokenFactory()
    if case == "inactive":
        token.user.is_active = False
        token.user.save()
    with pytest.raises(AuthenticationFailed):
        authenticate(token.key if case == "inactive" else "0" * 40)


def test_an_api_request_reads_no_membership_on_its_own(world):
    token = TokenFactory(user=UserFactory(roles=[]))
    MembershipFactory(user=token.user, clinic=world.clinic, role=Role.FRONT_DESK)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/clinics/")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [world.clinic.id]
    own = [q["sql"] for q in queries if 'FROM "scheduling_membership"' in q["sql"]]
    assert own == []  # the memberships came joined to the token's row
