"""POST /api/v1/auth/token/: the API's login, with the console's lockout and second factor."""

from datetime import timedelta

import pytest
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.scheduling.auth.views import BAD_CREDENTIALS
from tests.factories import ClinicFactory, UserFactory
from tests.security.conftest import (
    PASSWORD,
    TOKEN,
    add_device,
    code_for,
    log_in,
    wrong_code,
)

LIMIT = 5
REFUSED = {"detail": BAD_CREDENTIALS, "errors": {}}


def ask(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(TOKEN, {"username": username, "password": password, **extra})


def test_the_right_password_gets_the_users_token(api, member):
    response = ask(api, "desk")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=member).key}
    # The token works, and asking again gives the same one.
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/clinics/").status_code == 200
    assert ask(APIClient(), "desk").json() == response.json()


@pytest.mark.parametrize(
    ("username", "password"),
    [("desk", "wrong-password"), ("nobody", PASSWORD), ("nobody", "wrong-password")],
)
def test_bad_credentials_answer_400_naming_no_field(api, member, username, password):
    response = ask(api, username, password)

    assert response.status_code == 400
    assert response.json() == REFUSED
    assert not Token.objects.exists()


def test_an_inactive_account_is_refused_like_a_wrong_password(api, member):
    member.is_active = False
    member.save()

    assert ask(api, "desk").json() == REFUSED


def test_missing_fields_are_named(api, db):
    response = api.post(TOKEN, {"username": "desk"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password"}


def test_five_failures_lock_out_and_the_right_password_gets_429(api, member, clock):
    statuses = [ask(api, "desk", "wrong-password").status_code for _ in range(LIMIT)]

    assert statuses == [400, 400, 400, 400, 429]
    response = ask(api, "desk")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many failed login attempts")
    assert response.json()["errors"] == {}
    assert response["Retry-After"] == "900"
    assert not Token.objects.exists()

    clock.shift(timedelta(minutes=16))
    assert ask(api, "desk").status_code == 200


def test_console_and_token_failures_count_together(api, member, browser, clock):
    for _ in range(3):
        log_in(browser, "desk", "wrong-password")
    ask(api, "desk", "wrong-password")

    assert ask(api, "desk", "wrong-password").status_code == 429
    assert log_in(browser, "desk").status_code == 429


def test_with_an_authenticator_the_code_is_required(api, member, clock):
    device = add_device(member)

    assert ask(api, "desk").json() == REFUSED
    assert ask(api, "desk", otp="").json() == REFUSED
    clock.shift(timedelta(seconds=5))  # django-otp slows down repeated wrong codes
    assert ask(api, "desk", otp=wrong_code(device)).json() == REFUSED
    clock.shift(timedelta(seconds=5))
    response = ask(api, "desk", otp=code_for(device))
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=member).key}


def test_a_wrong_password_with_the_right_code_is_refused_alike(api, member, clock):
    device = add_device(member)

    assert ask(api, "desk", "wrong-password", otp=code_for(device)).json() == REFUSED


def test_a_code_is_good_for_one_login_only(api, member, clock):
    device = add_device(member)
    code = code_for(device)
    assert ask(api, "desk", otp=code).status_code == 200

    assert ask(api, "desk", otp=code).json() == REFUSED


def test_wrong_codes_lock_out_too(api, member, clock):
    device = add_device(member)
    statuses = []
    for _ in range(LIMIT):
        clock.shift(timedelta(seconds=20))
        statuses.append(ask(api, "desk", otp=wrong_code(device)).status_code)

    assert statuses == [400, 400, 400, 400, 429]
    clock.shift(timedelta(seconds=40))
    assert ask(api, "desk", otp=code_for(device)).status_code == 429


def test_a_clinic_that_requires_a_second_factor_gets_no_token_without_one(api, db, clock):
    strict = ClinicFactory(require_second_factor=True)
    user = UserFactory(username="strict", memberships=[(strict, Role.CLINICIAN)])

    response = ask(api, "strict")

    assert response.status_code == 403
    assert "second login factor" in response.json()["detail"]
    assert not Token.objects.exists()

    device = add_device(user)
    assert ask(api, "strict", otp=code_for(device)).status_code == 200


def test_superusers_follow_the_same_rules(api, db, clock):
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    device = add_device(boss)

    assert ask(api, "boss").json() == REFUSED
    assert ask(api, "boss", otp=code_for(device)).status_code == 200


def test_the_schema_documents_every_answer():
    patterns = [path("api/v1/", include("backend.scheduling.auth.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert {"200", "400", "403", "429"} <= set(operation["responses"])
    assert operation["security"] == [{}]  # no credentials needed to ask
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    request = schema["components"]["schemas"]["TokenRequestRequest"]
    assert set(request["required"]) == {"username", "password"}
    assert "otp" in request["properties"]
