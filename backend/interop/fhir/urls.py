"""Routes under ``/fhir/R4/``: metadata, the schedule export, then each resource type's
search (``Type``) and read (``Type/<id>``); any other path is a 404 OperationOutcome."""

from django.urls import path, re_path

from backend.interop.fhir.views import (
    KINDS,
    CapabilityView,
    ReadView,
    ScheduleExportView,
    SearchView,
    UnknownView,
)

app_name = "fhir"

urlpatterns = [
    path("metadata", CapabilityView.as_view(), name="metadata"),
    path("$export-schedule", ScheduleExportView.as_view(), name="export-schedule"),
    *(
        path(kind.name, SearchView.as_view(kind=kind), name=f"{kind.name}-search")
        for kind in KINDS
        if kind.search is not None
    ),
    *(
        path(f"{kind.name}/<str:ident>", ReadView.as_view(kind=kind), name=f"{kind.name}-read")
        for kind in KINDS
        if kind.read is not None
    ),
    re_path(r"^.*$", UnknownView.as_view(), name="unknown"),
]
