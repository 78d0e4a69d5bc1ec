"""FHIR tests: clients of the world's clinic (a front-desk user, a manager) and of another
clinic (``outsider``)."""

import pytest
from rest_framework.test import APIClient

from backend.common.roles import Role
from tests.factories import ClinicFactory, UserFactory
from tests.worlds import ClinicWorld, build_clinic_world


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def staff_user(world: ClinicWorld):
    """A front-desk user of the world's clinic only."""
    return UserFactory(memberships=[(world.clinic, Role.FRONT_DESK)])


@pytest.fixture
def fhir(staff_user) -> APIClient:
    return _client(staff_user)


@pytest.fixture
def manager(world: ClinicWorld):
    return UserFactory(memberships=[(world.clinic, Role.MANAGER)])


@pytest.fixture
def manager_fhir(manager) -> APIClient:
    return _client(manager)


@pytest.fixture
def other_world(db) -> ClinicWorld:
    return build_clinic_world(ClinicFactory(with_hours=True, name="Other Clinic"))


@pytest.fixture
def outsider(other_world: ClinicWorld):
    """A manager of another clinic: every role there, nothing in the world's clinic."""
    return UserFactory(memberships=[(other_world.clinic, Role.MANAGER)])


@pytest.fixture
def outsider_fhir(outsider) -> APIClient:
    return _client(outsider)
