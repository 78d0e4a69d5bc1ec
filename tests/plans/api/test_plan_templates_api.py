"""Plan templates per clinic: built-ins are shared, and a clinic edits its own copy."""

import pytest
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.plans.models import PlanTemplate, TreatmentPlan
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    PlanPhaseFactory,
    PlanTemplateFactory,
    TreatmentPlanFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/plan-templates/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def builtin() -> PlanTemplate:
    return PlanTemplate.objects.get(clinic=None, slug="spravato-trd")


@pytest.fixture
def clinic_a():
    return ClinicFactory(with_hours=True, name="Clinic A")


@pytest.fixture
def manager_a(clinic_a):
    return client_for(UserFactory(memberships=[(clinic_a, Role.MANAGER)]))


def test_editing_a_builtin_makes_the_clinics_own_copy(manager_a, clinic_a, builtin):
    phases = builtin.phases.count()

    response = manager_a.patch(
        f"{URL}{builtin.id}/", {"clinic": clinic_a.id, "name": "Our Spravato"}, format="json"
    )

    assert response.status_code == 201, response.json()
    copy = PlanTemplate.objects.get(pk=response.json()["id"])
    assert (copy.clinic, copy.slug, copy.name) == (clinic_a, "spravato-trd", "Our Spravato")
    assert copy.phases.count() == phases
    builtin.refresh_from_db()
    assert builtin.name != "Our Spravato"
    assert builtin.phases.count() == phases


def test_a_clinics_plans_use_its_copy_and_other_clinics_keep_the_builtin(
    manager_a, clinic_a, builtin
):
    copy_id = manager_a.patch(
        f"{URL}{builtin.id}/", {"clinic": clinic_a.id, "name": "Ours"}, format="json"
    ).json()["id"]
    clinic_b = ClinicFactory(with_hours=True)
    desk = client_for(UserFactory(roles=[Role.FRONT_DESK]))
    body = {"template": "spravato-trd", "start_date": "2030-01-07"}

    in_a = desk.post("/api/v1/plans/", {**body, "patient": PatientFactory(clinic=clinic_a).id})
    in_b = desk.post("/api/v1/plans/", {**body, "patient": PatientFactory(clinic=clinic_b).id})

    assert in_a.status_code == in_b.status_code == 201
    assert TreatmentPlan.objects.get(pk=in_a.json()["id"]).template_id == copy_id
    assert TreatmentPlan.objects.get(pk=in_b.json()["id"]).template_id == builtin.id


def test_a_second_copy_for_the_same_clinic_is_409_naming_the_first(manager_a, clinic_a, builtin):
    first = manager_a.patch(f"{URL}{builtin.id}/", {"clinic": clinic_a.id}, format="json")

    again = manager_a.patch(f"{URL}{builtin.id}/", {"clinic": clinic_a.id}, format="json")

    assert again.status_code == 409
    assert again.json()["conflicts"][0]["id"] == first.json()["id"]
    assert PlanTemplate.objects.filter(clinic=clinic_a).count() == 1


def test_editing_a_builtin_without_a_clinic_is_400_and_copies_nothing(manager_a, builtin):
    response = manager_a.patch(f"{URL}{builtin.id}/", {"name": "Nameless"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]
    assert not PlanTemplate.objects.filter(name="Nameless").exists()


def test_a_bad_edit_of_a_builtin_rolls_its_copy_back(manager_a, clinic_a, builtin):
    response = manager_a.patch(
        f"{URL}{builtin.id}/", {"clinic": clinic_a.id, "phases": []}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phases"]
    assert not PlanTemplate.objects.filter(clinic=clinic_a).exists()


def test_copying_into_a_clinic_the_manager_does_not_manage_is_refused(clinic_a, builtin):
    other_manager = client_for(UserFactory(memberships=[(ClinicFactory(), Role.MANAGER)]))
    desk_of_a = client_for(UserFactory(memberships=[(clinic_a, Role.FRONT_DESK)]))
    body = {"clinic": clinic_a.id, "name": "Theirs"}

    unseen = other_manager.patch(f"{URL}{builtin.id}/", body, format="json")
    not_manager = desk_of_a.patch(f"{URL}{builtin.id}/", body, format="json")

    assert unseen.status_code == 404
    assert not_manager.status_code == 403
    assert not PlanTemplate.objects.filter(clinic=clinic_a).exists()


def test_a_builtin_cannot_be_deleted_by_a_clinic_manager(manager_a, builtin):
    response = manager_a.delete(f"{URL}{builtin.id}/")

    assert response.status_code == 409
    assert "built-in template: it cannot be deleted" in response.json()["detail"]
    assert '"active" false' in response.json()["detail"]
    assert PlanTemplate.objects.filter(pk=builtin.pk).exists()


def test_a_builtin_cannot_be_deleted_by_a_superuser_either(builtin):
    superuser = client_for(UserFactory(is_superuser=True))

    response = superuser.delete(f"{URL}{builtin.id}/")

    assert response.status_code == 409
    assert PlanTemplate.objects.filter(pk=builtin.pk).exists()


def test_deleting_a_template_plans_use_is_a_409_naming_them_and_offering_deactivation(
    manager_a, clinic_a
):
    template = PlanTemplateFactory(clinic=clinic_a)
    patient = PatientFactory(clinic=clinic_a)
    TreatmentPlanFactory.create_batch(2, template=template, patient=patient, clinic=clinic_a)

    response = manager_a.delete(f"{URL}{template.id}/")

    assert response.status_code == 409, response.json()
    body = response.json()
    assert "referenced by 2 treatment plans" in body["detail"]
    assert 'Set "active" to false' in body["detail"]
    assert body["conflicts"] == [{"model": "treatmentplan", "count": 2}]
    assert PlanTemplate.objects.filter(pk=template.pk).exists()


def test_an_unused_template_of_the_clinic_is_deleted(manager_a, clinic_a):
    template = PlanTemplateFactory(clinic=clinic_a)

    response = manager_a.delete(f"{URL}{template.id}/")

    assert response.status_code == 204
    assert not PlanTemplate.objects.filter(pk=template.pk).exists()


def test_put_with_phases_replaces_them(manager_a, clinic_a):
    template = PlanPhaseFactory(template__clinic=clinic_a).template
    body = manager_a.get(f"{URL}{template.id}/").json()
    body["name"] = "Renamed"
    body["phases"] = [{**body["phases"][0], "key": "only", "name": "Only phase", "count": 3}]

    response = manager_a.put(f"{URL}{template.id}/", body, format="json")

    assert response.status_code == 200, response.json()
    template.refresh_from_db()
    assert template.name == "Renamed"
    assert [(p.key, p.count, p.position) for p in template.phases.all()] == [("only", 3, 1)]


def test_errors_in_one_phase_come_back_as_a_list_aligned_with_the_phases(manager_a, clinic_a):
    template = PlanPhaseFactory(template__clinic=clinic_a).template
    body = manager_a.get(f"{URL}{template.id}/").json()
    good = {**body["phases"][0], "key": "first"}
    bad = {**body["phases"][0], "key": "second", "count": "many"}

    response = manager_a.put(f"{URL}{template.id}/", {**body, "phases": [good, bad]}, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]["phases"]
    assert isinstance(errors, list) and len(errors) == 2
    assert errors[0] == {}
    assert list(errors[1]) == ["count"]


def test_a_superuser_edits_a_builtin_in_place(builtin):
    superuser = client_for(UserFactory(is_superuser=True))

    response = superuser.patch(f"{URL}{builtin.id}/", {"name": "Shared"}, format="json")

    assert response.status_code == 200
    builtin.refresh_from_db()
    assert builtin.name == "Shared"


def test_templates_list_the_builtins_and_the_callers_clinics_own(manager_a, clinic_a):
    own = PlanTemplateFactory(clinic=clinic_a)
    theirs = PlanTemplateFactory(clinic=ClinicFactory())

    response = manager_a.get(URL, {"page_size": 100})

    ids = {row["id"] for row in response.json()["results"]}
    assert own.id in ids
    assert theirs.id not in ids
    assert set(PlanTemplate.objects.filter(clinic=None).values_list("id", flat=True)) <= ids
