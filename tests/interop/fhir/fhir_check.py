"""Checks the FHIR tests share: every answer validated by the R4B models of the
``fhir.resources`` package (the R4 resources served here have the same shape in R4B)."""

from collections.abc import Iterable
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

BASE = "/fhir/R4/"
FHIR_JSON = "application/fhir+json"


def fhir_valid(resource: dict[str, Any]) -> Any:
    """The resource parsed by its R4B model (raises on any field out of shape)."""
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource)


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries' resources of a valid Bundle, each validated on its own too."""
    fhir_valid(bundle)
    resources = [entry["resource"] for entry in bundle.get("entry", [])]
    for resource in resources:
        fhir_valid(resource)
    return resources


def ids_of(resources: Iterable[dict[str, Any]]) -> list[str]:
    return [resource["id"] for resource in resources]
