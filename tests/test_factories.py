"""Every factory builds a row that passes its model's own validation."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = sorted(
    (name, value)
    for name, value in vars(factories).items()
    if name.endswith("Factory") and hasattr(value, "_meta") and name != "DjangoModelFactory"
)


@pytest.mark.parametrize(("name", "factory"), FACTORIES, ids=[name for name, _ in FACTORIES])
def test_factory_builds_a_valid_row(name, factory):
    row = factory()

    row.full_clean()

    assert type(row).objects.filter(pk=row.pk).exists()


def test_every_model_has_a_factory():
    from django.apps import apps

    ours = {
        model for model in apps.get_models() if model._meta.app_label in {"scheduling", "plans"}
    }

    covered = {factory._meta.model for _, factory in FACTORIES}

    assert ours - covered == set()
