"""/api/v1/ answers the list of collections, so the browsable API can be walked."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_root_lists_every_collection(front_desk_api):
    response = front_desk_api.get("/api/v1/")

    assert response.status_code == 200
    body = response.json()
    for prefix in ("clinics", "patients", "appointments", "plans", "plan-templates"):
        assert body[prefix].endswith(f"/api/v1/{prefix}/")


def test_the_api_root_needs_credentials(api):
    assert api.get("/api/v1/").status_code == 401
