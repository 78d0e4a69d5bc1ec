from datetime import timedelta

import pytest

from backend.scheduling.authorizations.services import authorization_create


@pytest.fixture
def authorized_world(world):
    """The world whose Spravato sessions need a payer authorization."""
    world.spravato.requires_authorization = True
    world.spravato.save(update_fields=["requires_authorization"])
    return world


def authorize(world, *, units=2, patient=None, start=None, end=None, session_types=None):
    return authorization_create(
        actor=None,
        patient=patient or world.patient,
        payer="Acme Health",
        number=f"PA-{units}",
        session_types=session_types or [world.spravato],
        units=units,
        start_date=start or world.day - timedelta(days=7),
        end_date=end or world.day + timedelta(days=60),
    )
