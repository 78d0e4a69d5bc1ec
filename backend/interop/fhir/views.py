"""The FHIR R4 endpoints: thin read-only views over ``services`` and ``resources``.

The same authentication (token or session) and the same clinic scoping as the REST API;
answers are ``application/fhir+json`` whatever the Accept header, and every error is an
OperationOutcome. The views stay out of the OpenAPI schema: the CapabilityStatement at
``metadata`` describes them. Reads and searches that show a patient's data (Patient,
Appointment, CarePlan) are recorded in the patient access log, like the REST API's.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from backend.common.errors import DomainError
from backend.common.permissions import user_roles
from backend.interop.fhir import params as p
from backend.interop.fhir import resources as r
from backend.interop.fhir import services
from backend.interop.fhir.export import NDJSON_MEDIA_TYPE, schedule_ndjson
from backend.scheduling.resources.access_log import patient_access_record, request_access_record
from backend.scheduling.resources.access_log import route_name as access_route_name
from backend.scheduling.resources.models import AccessSource

# --- Rendering and errors ---------------------------------------------------------------


class FhirJSONRenderer(BaseRenderer):
    media_type = r.MEDIA_TYPE
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class FhirNegotiation(BaseContentNegotiation):
    """Always FHIR JSON: ``Accept: application/json`` (or none, or ``_format``) gets it too."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    415: "not-supported",
    429: "throttled",
}


def fhir_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """Every error as an OperationOutcome, with the status the REST API would answer."""
    headers: dict[str, str] = {}
    expression: Sequence[str] = ()
    if isinstance(exc, p.SearchError):
        status, code, diagnostics, expression = 400, exc.code, exc.message, [exc.param]
    elif isinstance(exc, DomainError):
        status, diagnostics, expression = exc.status_code, exc.detail, list(exc.errors)
        code = ISSUE_CODES.get(status, "processing")
    elif isinstance(exc, Http404):
        status, code, diagnostics = 404, "not-found", "Not found."
    elif isinstance(exc, DjangoPermissionDenied):
        status, code, diagnostics = 403, "forbidden", "Your role does not allow this."
    elif isinstance(exc, exceptions.APIException):
        status = exc.status_code
        code = ISSUE_CODES.get(status, "exception")
        diagnostics = str(exc.detail) if isinstance(exc.detail, str) else str(exc.get_codes())
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None
    set_rollback()
    outcome = r.operation_outcome(code, diagnostics, expression=expression)
    return Response(outcome, status=status, headers=headers)


def base_url(request) -> str:
    """The absolute FHIR base, ending in a slash: ``https://host/fhir/R4/``."""
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def query_params(request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name) for name in request.query_params}


def lenient(request) -> bool:
    """``Prefer: handling=lenient`` asks to ignore unknown parameters; strict is the default."""
    prefer = request.headers.get("Prefer", "")
    return "handling=lenient" in prefer.replace(" ", "")


class AnyClinicRole(BasePermission):
    """Read-only endpoints: any role in some clinic; the scoped querysets do the rest.

    Unlike ``IsClinicStaff`` it asks no write role of a POST, so a write is refused as a
    405 (the FHIR view has none) rather than a 403.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        return bool(user_roles(request.user))


class FhirView(APIView):
    permission_classes = [AnyClinicRole]
    renderer_classes = [FhirJSONRenderer]
    parser_classes: list = []
    content_negotiation_class = FhirNegotiation
    # Out of the OpenAPI schema: the CapabilityStatement describes these endpoints.
    schema = None

    def get_exception_handler(self):
        return fhir_exception_handler


# --- Resource types ---------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    documentation: str


@dataclass(frozen=True)
class Kind:
    """One resource type: how to read it, search it and build it, and what it logs."""

    name: str
    build: Callable[[Any, str], r.Resource]
    read: Callable[..., Any] | None = None
    search: Callable[..., services.Found] | None = None
    params: tuple[Param, ...] = ()
    # (patient id, clinic id) of the facts, for the patient access log; None: no patient.
    patient_of: Callable[[Any], tuple[int, int]] | None = None
    documentation: str = ""

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(param.name for param in self.params)


ID_PARAM = Param("_id", "token", "Logical ids, comma-separated.")


def _slot_search(**kwargs) -> services.Found:
    return services.slot_search(now=timezone.now(), **kwargs)


def _slot_read(**kwargs):
    return services.slot_read(now=timezone.now(), **kwargs)


KINDS: tuple[Kind, ...] = (
    Kind(
        "Patient",
        lambda facts, base: r.patient(facts),
        read=services.patient_read,
        patient_of=lambda facts: (facts.id, facts.clinic_id),
        documentation="Read only: name, birth date and telecom as stored; nothing clinical.",
    ),
    Kind(
        "Practitioner",
        lambda facts, base: r.practitioner(facts),
        read=services.practitioner_read,
        search=services.practitioner_search,
        params=(
            ID_PARAM,
            Param("name", "string", "Starts the name or one of its words."),
            Param("active", "token", "true or false."),
        ),
        documentation="Staff members.",
    ),
    Kind(
        "Location",
        lambda facts, base: r.location(facts),
        read=services.location_read,
        search=services.location_search,
        params=(
            ID_PARAM,
            Param("name", "string", "Starts the name or one of its words."),
            Param("status", "token", "active or inactive."),
        ),
        documentation="Rooms.",
    ),
    Kind(
        "HealthcareService",
        lambda facts, base: r.healthcare_service(facts),
        read=services.healthcare_service_read,
        search=services.healthcare_service_search,
        params=(
            ID_PARAM,
            Param("name", "string", "Starts the name or one of its words."),
            Param("active", "token", "true or false."),
        ),
        documentation="Session types, the clinics' own and the built-in ones.",
    ),
    Kind(
        "Schedule",
        lambda facts, base: r.schedule(facts),
        read=services.schedule_read,
        search=services.schedule_search,
        params=(
            ID_PARAM,
            Param("actor", "reference", "Location/<id> or Practitioner/<id>."),
            Param("active", "token", "true or false."),
        ),
        documentation=(
            "One per treatment room (room-<id>) and one per staff member (staff-<id>); "
            "its serviceType lists the session types it can host."
        ),
    ),
    Kind(
        "Slot",
        lambda facts, base: r.slot(facts),
        read=_slot_read,
        search=_slot_search,
        params=(
            Param("schedule", "reference", "Required: one Schedule."),
            Param(
                "start",
                "date",
                "ge/gt/le/lt/eq; from now and 7 days on by default, at most 31 days.",
            ),
            Param("status", "token", "free (the only status published)."),
            Param("service-type", "token", "HealthcareService ids (codes of the slot's type)."),
        ),
        documentation=(
            "Free starts of each session type a schedule hosts, from availability; "
            "a Slot read answers 404 once its start is taken or past."
        ),
    ),
    Kind(
        "Appointment",
        lambda facts, base: r.appointment(facts),
        read=services.appointment_read,
        search=services.appointment_search,
        params=(
            ID_PARAM,
            Param("patient", "reference", "Patient/<id>."),
            Param("date", "date", "Start; ge/gt/le/lt/eq. Plain dates are clinic-local."),
            Param("status", "token", "FHIR appointment status codes."),
            Param("practitioner", "reference", "Practitioner/<id>."),
            Param("location", "reference", "Location/<id> (the room)."),
        ),
        patient_of=lambda facts: (facts.patient_id, facts.clinic_id),
        documentation="Start to the end of monitored recovery.",
    ),
    Kind(
        "CarePlan",
        r.care_plan,
        read=services.care_plan_read,
        search=services.care_plan_search,
        params=(
            ID_PARAM,
            Param("patient", "reference", "Patient/<id>."),
            Param("status", "token", "FHIR request status codes."),
        ),
        patient_of=lambda facts: (facts.patient_id, facts.clinic_id),
        documentation="Treatment plans: one activity per planned session.",
    ),
    Kind(
        "PlanDefinition",
        r.plan_definition,
        read=services.plan_definition_read,
        search=services.plan_definition_search,
        params=(
            ID_PARAM,
            Param("name", "string", "Starts the title or slug, or one of its words."),
            Param("status", "token", "active or retired."),
        ),
        documentation="Plan templates: one action per phase.",
    ),
)


class _KindView(FhirView):
    kind: Kind | None = None

    def log_patients(self, request, response, found: Sequence[Any]) -> None:
        if self.kind.patient_of is not None:
            patients = dict(self.kind.patient_of(facts) for facts in found)
            request_access_record(request, response, patients, source=AccessSource.API)


class ReadView(_KindView):
    def get(self, request, ident: str):
        facts = self.kind.read(user=request.user, ident=ident)
        response = Response(self.kind.build(facts, base_url(request)))
        self.log_patients(request, response, [facts])
        return response


class SearchView(_KindView):
    def get(self, request):
        params = query_params(request)
        if lenient(request):
            allowed = self.kind.param_names | p.RESULT_PARAMS
            params = {name: values for name, values in params.items() if name in allowed}
        params.pop("_format", None)
        paging = p.paging_of(params)
        found = self.kind.search(user=request.user, params=params, paging=paging)
        base = base_url(request)
        bundle = r.searchset(
            base,
            [self.kind.build(facts, base) for facts in found.items],
            total=found.total,
            links=page_links(request, params, paging, found.total),
        )
        response = Response(bundle)
        self.log_patients(request, response, found.items)
        return response


def page_links(
    request, params: Mapping[str, Sequence[str]], paging: p.Paging, total: int
) -> dict[str, str]:
    """self, first, previous, next and last links of a searchset page."""
    path = request.build_absolute_uri(request.path)
    query = {name: values for name, values in params.items() if name not in ("_count", "_page")}

    def url(page: int) -> str:
        return f"{path}?{urlencode({**query, '_count': paging.count, '_page': page}, doseq=True)}"

    links = {"self": url(paging.page)}
    if not paging.count:
        return links
    last = max(1, -(-total // paging.count))
    links["first"] = url(1)
    if paging.page > 1:
        links["previous"] = url(min(paging.page - 1, last))
    if paging.page < last:
        links["next"] = url(paging.page + 1)
    links["last"] = url(last)
    return links


# --- metadata, export, unknown paths ------------------------------------------------------


def _software_version() -> str:
    try:
        return version("kap-scheduler")
    except PackageNotFoundError:
        return "unknown"


class CapabilityView(FhirView):
    """The CapabilityStatement: public, as FHIR clients read it before they log in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        docs = [
            r.ResourceDoc(
                type=kind.name,
                read=kind.read is not None,
                search=kind.search is not None,
                params=tuple(
                    r.SearchParamDoc(x.name, x.type, x.documentation) for x in kind.params
                ),
                documentation=kind.documentation,
            )
            for kind in KINDS
        ]
        statement = r.capability_statement(
            base=base_url(request),
            date_text=timezone.now().date().isoformat(),
            software_version=_software_version(),
            resources=docs,
        )
        return Response(statement)


EXPORT_PARAMS = frozenset({"clinic", "start", "end"})


def _export_date(params: Mapping[str, Sequence[str]], name: str) -> date:
    values = params.get(name) or []
    if len(values) != 1:
        raise p.SearchError(name, f"'{name}' is required: one date, YYYY-MM-DD.")
    try:
        return date.fromisoformat(values[0])
    except ValueError as exc:
        raise p.SearchError(name, f"'{name}' is a date, YYYY-MM-DD.") from exc


class ScheduleExportView(FhirView):
    """``$export-schedule?clinic=&start=&end=``: a manager's ndjson of a clinic's schedule."""

    def get(self, request):
        params = query_params(request)
        params.pop("_format", None)
        unknown = sorted(set(params) - EXPORT_PARAMS)
        if unknown:
            raise p.SearchError(unknown[0], f"'{unknown[0]}' is not a parameter of the export.")
        clinic = params.get("clinic") or []
        if len(clinic) != 1 or not p.is_key(clinic[0]):
            raise p.SearchError("clinic", "'clinic' is required: one clinic id.")
        start, end = _export_date(params, "start"), _export_date(params, "end")
        if end < start:
            raise p.SearchError("end", "'end' is not before 'start'.")
        if (end - start).days >= services.EXPORT_DAYS_MAX:
            raise p.SearchError("end", f"An export spans at most {services.EXPORT_DAYS_MAX} days.")
        export = services.schedule_export(
            user=request.user, clinic_id=int(clinic[0]), date_from=start, date_to=end
        )
        user, route, path = request.user, access_route_name(request), request.path

        def patients_read(patient_ids: Mapping[int, int]) -> None:
            patient_access_record(
                user=user,
                patient_ids=patient_ids,
                route=route,
                path=path,
                method="GET",
                source=AccessSource.API,
                now=timezone.now(),
            )

        response = StreamingHttpResponse(
            schedule_ndjson(export, base=base_url(request), patients_read=patients_read),
            content_type=NDJSON_MEDIA_TYPE,
        )
        filename = f"schedule-{export.clinic.slug}-{start}-{end}.ndjson"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class UnknownView(FhirView):
    """Any other path under the base: a 404 OperationOutcome."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound(f"No FHIR resource or interaction at {request.path}.")

    post = put = patch = delete = get
