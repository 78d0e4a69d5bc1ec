"""Fixtures shared by every test: role users, API clients, a clinic that is open, and that
clinic laid out with rooms, staff, session types and patients (``world``)."""

import pytest
from rest_framework.test import APIClient

from backend.common.roles import Role
from tests.factories import ClinicFactory, UserFactory
from tests.worlds import ClinicWorld, build_clinic_world


@pytest.fixture
def front_desk_user(db):
    return UserFactory(username="frontdesk", roles=[Role.FRONT_DESK])


@pytest.fixture
def clinician_user(db):
    return UserFactory(username="clinician", roles=[Role.CLINICIAN])


@pytest.fixture
def manager_user(db):
    return UserFactory(username="manager", roles=[Role.MANAGER])


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api():
    """An API client that has not logged in."""
    return APIClient()


@pytest.fixture
def front_desk_api(front_desk_user):
    return _client_for(front_desk_user)


@pytest.fixture
def clinician_api(clinician_user):
    return _client_for(clinician_user)


@pytest.fixture
def manager_api(manager_user):
    return _client_for(manager_user)


@pytest.fixture
def clinic(db):
    """A clinic in America/New_York, open Monday to Friday 08:00-18:00."""
    return ClinicFactory(with_hours=True)


@pytest.fixture
def world(clinic) -> ClinicWorld:
    """The clinic with 2 recliners, a 2-chair recovery lounge, a therapy room, 2 nurses, a
    therapist, its own session types and 4 cleared, REMS-enrolled patients; its day is a
    Wednesday at least two weeks ahead, so that API tests (on the real clock) can book it.

    Test directories that need another layout override ``world`` or add a named variant.
    """
    return build_clinic_world(clinic)


@pytest.fixture
def builtins_restored(transactional_db):
    """The built-in session types and plan templates, for transactional tests.

    Those rows come from data migrations, and every transactional test before this one
    flushed every table; the same (idempotent) migration functions put them back.
    """
    from importlib import import_module

    from django.apps import apps

    for module in (
        "backend.scheduling.migrations.0002_roles_and_builtin_session_types",
        "backend.scheduling.migrations.0019_builtin_clinical_capacity",
        "backend.plans.migrations.0002_builtin_templates",
        "backend.plans.migrations.0005_builtin_group_template",
    ):
        import_module(module).create(apps, None)
