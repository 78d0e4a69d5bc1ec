"""`manage.py apitoken USERNAME` prints the user's API token, creating it if needed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from backend.common.roles import Role
from tests.factories import TokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def apitoken(*args) -> str:
    out = StringIO()
    call_command("apitoken", *args, stdout=out)
    return out.getvalue().strip()


def test_apitoken_creates_a_token_for_a_user_without_one():
    user = UserFactory(username="frontdesk")

    key = apitoken("frontdesk")

    assert key == Token.objects.get(user=user).key
    assert len(key) == 40


def test_apitoken_prints_the_existing_token_again():
    token = TokenFactory(user=UserFactory(username="manager"))

    key = apitoken("manager")

    assert key == token.key
    assert Token.objects.count() == 1


def test_apitoken_rotate_replaces_the_token():
    old = TokenFactory(user=UserFactory(username="manager"))

    key = apitoken("manager", "--rotate")

    assert key != old.key
    assert list(Token.objects.values_list("key", flat=True)) == [key]


def test_apitoken_unknown_user_is_an_error():
    with pytest.raises(CommandError) as error:
        apitoken("nobody")

    assert str(error.value) == (
        "No user named 'nobody'. Create one first, e.g. with 'manage.py createsuperuser' "
        "or in the admin."
    )
    assert Token.objects.count() == 0


def test_apitoken_inactive_user_is_an_error():
    UserFactory(username="gone", is_active=False)

    with pytest.raises(CommandError):
        apitoken("gone")

    assert Token.objects.count() == 0


def test_apitoken_key_authenticates_api_requests(api):
    UserFactory(username="clinician", roles=[Role.CLINICIAN])
    key = apitoken("clinician")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.get("/api/v1/clinics/")

    assert response.status_code == 200
