"""Two clinics of one group, Aster and Birch, and the people who work there.

``manager_a`` manages Aster only. ``manager_a_clinician_b`` manages Aster and is a clinician
at Birch (so Birch exists for them, but they may not give roles there). ``group_manager``
is a manager in every clinic (a membership without a clinic).
"""

from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.scheduling.resources.models import Membership
from tests.factories import ClinicFactory, MembershipFactory, UserFactory


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def aster(db):
    return ClinicFactory(name="Aster Clinic")


@pytest.fixture
def birch(db):
    return ClinicFactory(name="Birch Clinic")


@pytest.fixture
def manager_a(aster):
    return UserFactory(username="manager_a", memberships=[(aster, Role.MANAGER)])


@pytest.fixture
def api_a(manager_a) -> APIClient:
    return client_for(manager_a)


@pytest.fixture
def manager_a_clinician_b(aster, birch):
    return UserFactory(
        username="manager_a_clinician_b",
        memberships=[(aster, Role.MANAGER), (birch, Role.CLINICIAN)],
    )


@pytest.fixture
def group_manager(db):
    user = UserFactory(username="group_manager")
    MembershipFactory(user=user, clinic=None, role=Role.MANAGER)
    return user


def memberships_of(user) -> set[tuple[int | None, str]]:
    return set(Membership.objects.filter(user=user).values_list("clinic_id", "role"))


def link_in(message) -> str:
    """The set-password link of an invitation email (its path: the test client's host)."""
    for line in message.body.splitlines():
        if "/accounts/reset/" in line:
            return line.strip()
    raise AssertionError(f"no link in {message.body!r}")


def path_of(url: str) -> str:
    return urlsplit(url).path


def set_password(client, link: str, password: str):
    """Follows ``link`` through Django's set-password pages; the last response."""
    first = client.get(path_of(link))
    assert first.status_code == 302, first.status_code  # the token moves into the session
    form_url = first["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})
