"""The FHIR API over HTTP: every resource type read and searched, validated with the R4B
models; clinic scoping; paging; OperationOutcome errors; query counts that do not grow."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.plans.models import PlanStatus, TreatmentPlan
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.models import PatientAccess
from tests.factories import (
    PlannedSessionFactory,
    PlanPhaseFactory,
    PlanTemplateFactory,
    TokenFactory,
    TreatmentPlanFactory,
    UserFactory,
)
from tests.interop.fhir.fhir_check import BASE, FHIR_JSON, bundle_resources, fhir_valid, ids_of

pytestmark = pytest.mark.django_db


@dataclass
class Course:
    plan: TreatmentPlan
    appointments: list[Appointment]


@pytest.fixture
def course(world) -> Course:
    """A booked plan of the world's patient: session 1 filled, session 2 still planned."""
    template = PlanTemplateFactory(clinic=world.clinic, slug="spravato-course", name="Course")
    PlanPhaseFactory(template=template, key="induction", session_type=world.spravato)
    plan = TreatmentPlanFactory(
        clinic=world.clinic,
        patient=world.patient,
        template=template,
        start_date=world.day,
        status=PlanStatus.BOOKED,
    )
    first = world.appointment(world.at(9), plan_id=plan.id, ordinal=1)
    PlannedSessionFactory(plan=plan, ordinal=1, session_type=world.spravato, appointment=first)
    PlannedSessionFactory(plan=plan, ordinal=2, session_type=world.spravato)
    return Course(plan, [first])


def get(client: APIClient, path: str, query: dict | None = None, **headers):
    return client.get(BASE + path, query or {}, headers=headers)


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    return response.json()


def outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    fhir_valid(body)
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]


# --- metadata ---------------------------------------------------------------------------


def test_metadata_is_a_capability_statement_without_login(api):
    statement = ok(get(api, "metadata"))

    fhir_valid(statement)
    assert statement["fhirVersion"] == "4.0.1"
    kinds = {res["type"]: res for res in statement["rest"][0]["resource"]}
    assert set(kinds) == {
        "Patient",
        "Practitioner",
        "Location",
        "HealthcareService",
        "Schedule",
        "Slot",
        "Appointment",
        "CarePlan",
        "PlanDefinition",
    }
    assert [i["code"] for i in kinds["Patient"]["interaction"]] == ["read"]
    assert [i["code"] for i in kinds["Slot"]["interaction"]] == ["read", "search-type"]
    assert {p["name"] for p in kinds["Appointment"]["searchParam"]} >= {"patient", "date", "status"}


# --- reads ------------------------------------------------------------------------------


def test_patient_read_is_minimal(fhir, world):
    patient = ok(get(fhir, f"Patient/{world.patient.id}"))

    fhir_valid(patient)
    assert patient["name"] == [{"family": "Lee0", "given": ["Robin0"]}]
    assert patient["birthDate"] == world.patient.date_of_birth.isoformat()
    assert set(patient) <= {"resourceType", "id", "meta", "active", "name", "telecom", "birthDate"}
    assert "Escort" not in str(patient)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (lambda w: f"Practitioner/{w.nurse.id}", {"name": [{"text": "Nurse A"}]}),
        (lambda w: f"Location/{w.dosing_room.id}", {"name": "Spravato Room", "status": "active"}),
        (lambda w: f"HealthcareService/{w.spravato.id}", {"name": "Spravato"}),
        (
            lambda w: f"Schedule/room-{w.dosing_room.id}",
            {"actor": [{"reference": "Location/{room}", "display": "Spravato Room"}]},
        ),
        (
            lambda w: f"Schedule/staff-{w.therapist.id}",
            {"actor": [{"reference": "Practitioner/{therapist}", "display": "Therapist X"}]},
        ),
    ],
    ids=["practitioner", "location", "healthcare-service", "room-schedule", "staff-schedule"],
)
def test_directory_reads(fhir, world, path, expected):
    resource = ok(get(fhir, path(world)))

    fhir_valid(resource)
    ids = {"room": world.dosing_room.id, "therapist": world.therapist.id}
    for key, value in expected.items():
        if key == "actor":
            value = [{**value[0], "reference": value[0]["reference"].format(**ids)}]
        assert resource[key] == value


def test_schedules_list_the_session_types_they_host(fhir, world):
    room = ok(get(fhir, f"Schedule/room-{world.dosing_room.id}"))
    therapist = ok(get(fhir, f"Schedule/staff-{world.therapist.id}"))

    hosted = {c["coding"][0]["code"] for c in room["serviceType"]}
    assert {str(world.spravato.id), str(world.infusion.id)} <= hosted
    assert str(world.therapy.id) not in hosted
    # The clinic's own therapy type and the built-in ones a therapist runs, no dosing type.
    staffed = {c["coding"][0]["code"] for c in therapist["serviceType"]}
    assert str(world.therapy.id) in staffed
    assert str(world.spravato.id) not in staffed


def test_appointment_read(fhir, world, course):
    appointment = course.appointments[0]

    resource = ok(get(fhir, f"Appointment/{appointment.id}"))

    fhir_valid(resource)
    assert resource["status"] == "booked"
    assert resource["start"] == world.at(9).isoformat()
    assert resource["end"] == appointment.recovery_end.astimezone(world.zone).isoformat()
    assert [p["actor"]["reference"] for p in resource["participant"]] == [
        f"Patient/{world.patient.id}",
        f"Practitioner/{world.nurse.id}",
        f"Location/{world.dosing_room.id}",
    ]
    assert resource["serviceType"][0]["coding"][0]["code"] == str(world.spravato.id)
    assert resource["supportingInformation"] == [{"reference": f"CarePlan/{course.plan.id}"}]


@pytest.mark.parametrize(
    ("stored", "fhir_status"),
    [
        (AppointmentStatus.CHECKED_IN, "checked-in"),
        (AppointmentStatus.IN_SESSION, "arrived"),
        (AppointmentStatus.DISCHARGED, "fulfilled"),
        (AppointmentStatus.CANCELLED, "cancelled"),
        (AppointmentStatus.NO_SHOW, "noshow"),
    ],
)
def test_appointment_status_is_mapped(fhir, world, stored, fhir_status):
    appointment = world.appointment(world.at(9), status=stored)

    resource = ok(get(fhir, f"Appointment/{appointment.id}"))

    assert resource["status"] == fhir_status


def test_care_plan_read_has_an_activity_per_planned_session(fhir, world, course):
    resource = ok(get(fhir, f"CarePlan/{course.plan.id}"))

    fhir_valid(resource)
    assert resource["status"] == "active"
    assert resource["subject"] == {"reference": f"Patient/{world.patient.id}"}
    assert resource["instantiatesCanonical"] == [
        f"http://testserver{BASE}PlanDefinition/{course.plan.template_id}"
    ]
    booked, planned = resource["activity"]
    assert booked["reference"]["reference"] == f"Appointment/{course.appointments[0].id}"
    assert planned["detail"]["status"] == "not-started"


def test_plan_definition_read_of_a_builtin_template(fhir):
    bundle = ok(get(fhir, "PlanDefinition", {"name": "spravato-trd"}))
    [template] = bundle_resources(bundle)

    resource = ok(get(fhir, f"PlanDefinition/{template['id']}"))

    fhir_valid(resource)
    assert resource["name"] == "SpravatoTrd"
    assert resource["url"] == f"http://testserver{BASE}PlanDefinition/{template['id']}"
    assert len(resource["action"]) >= 2
    assert all(action["title"] and action["description"] for action in resource["action"])


# --- searches ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("Practitioner", lambda w: [str(s.id) for s in [*w.nurses, *w.prescribers, *w.therapists]]),
        (
            "Location",
            lambda w: [str(x.id) for x in [w.dosing_room, w.lounge, *w.therapy_rooms]],
        ),
        (
            "Schedule",
            lambda w: (
                [f"room-{w.dosing_room.id}"]
                + [f"room-{x.id}" for x in w.therapy_rooms]
                + [f"staff-{s.id}" for s in [*w.nurses, *w.prescribers, *w.therapists]]
            ),
        ),
    ],
)
def test_directory_searches_list_the_clinic(fhir, world, kind, expected):
    bundle = ok(get(fhir, kind))

    resources = bundle_resources(bundle)
    assert bundle["type"] == "searchset"
    assert sorted(ids_of(resources)) == sorted(expected(world))
    assert bundle["total"] == len(resources)


def test_healthcare_services_include_the_builtin_types(fhir, world):
    resources = bundle_resources(ok(get(fhir, "HealthcareService")))

    names = {r["name"] for r in resources}
    assert {"Spravato", "IV infusion", "Integration"} <= names
    assert any("built in" in r["comment"] for r in resources)


def test_appointment_search_by_patient_date_and_status(fhir, world, course):
    wednesday = world.day.isoformat()
    thursday = (world.day + timedelta(days=1)).isoformat()
    later = world.appointment(world.at(9, day=world.day + timedelta(days=1)))
    cancelled = world.appointment(world.at(13), status=AppointmentStatus.CANCELLED)
    world.appointment(world.at(11), patient=world.other_patient)

    def found(query):
        return ids_of(bundle_resources(ok(get(fhir, "Appointment", query))))

    mine = {"patient": f"Patient/{world.patient.id}"}
    first = str(course.appointments[0].id)
    assert found(mine) == [first, str(cancelled.id), str(later.id)]
    assert found({**mine, "date": [f"ge{wednesday}", f"le{wednesday}"]}) == [
        first,
        str(cancelled.id),
    ]
    assert found({**mine, "date": thursday}) == [str(later.id)]
    assert found({**mine, "status": "booked"}) == [first, str(later.id)]
    assert found({**mine, "status": "cancelled,noshow"}) == [str(cancelled.id)]
    assert found({**mine, "date": f"lt{world.at(9).isoformat()}"}) == []


def test_appointment_search_plain_dates_are_clinic_local(fhir, world):
    # 21:30 in New York is the next day in UTC: it still belongs to the local day.
    late = world.appointment(world.at(21, 30), session_type=world.therapy)

    found = bundle_resources(ok(get(fhir, "Appointment", {"date": world.day.isoformat()})))

    assert ids_of(found) == [str(late.id)]


def test_care_plan_search_by_patient(fhir, world, course):
    TreatmentPlanFactory(clinic=world.clinic, patient=world.other_patient)

    mine = bundle_resources(ok(get(fhir, "CarePlan", {"patient": world.patient.id})))
    active = bundle_resources(ok(get(fhir, "CarePlan", {"status": "active"})))

    assert ids_of(mine) == [str(course.plan.id)]
    assert ids_of(active) == [str(course.plan.id)]


def test_plan_definition_search_includes_the_clinics_and_the_builtin_templates(fhir, course):
    resources = bundle_resources(ok(get(fhir, "PlanDefinition")))

    names = {r["name"] for r in resources}
    assert {"SpravatoTrd", "IvKetamine", "KapIndividual", "SpravatoCourse"} <= names


# --- paging -----------------------------------------------------------------------------


def test_paging_follows_next_links_to_the_end(fhir, world):
    made = [world.appointment(world.at(8 + 2 * i), patient=world.patients[i]) for i in range(3)]

    first = ok(get(fhir, "Appointment", {"_count": 2}))
    links = {link["relation"]: link["url"] for link in first["link"]}
    second = ok(fhir.get(links["next"]))

    assert first["total"] == 3
    assert ids_of(bundle_resources(first)) == [str(a.id) for a in made[:2]]
    assert ids_of(bundle_resources(second)) == [str(made[2].id)]
    second_links = {link["relation"] for link in second["link"]}
    assert "next" not in second_links
    assert {"self", "first", "previous", "last"} <= second_links


def test_count_zero_answers_the_total_only(fhir, world):
    world.appointment(world.at(9))

    bundle = ok(get(fhir, "Appointment", {"_count": 0}))

    assert (bundle["total"], bundle_resources(bundle)) == (1, [])


# --- scoping ----------------------------------------------------------------------------


def test_another_clinics_user_gets_404_for_every_read(outsider_fhir, world, course):
    paths = [
        f"Patient/{world.patient.id}",
        f"Practitioner/{world.nurse.id}",
        f"Location/{world.dosing_room.id}",
        f"HealthcareService/{world.spravato.id}",
        f"Schedule/room-{world.dosing_room.id}",
        f"Schedule/staff-{world.nurse.id}",
        f"Appointment/{course.appointments[0].id}",
        f"CarePlan/{course.plan.id}",
        f"PlanDefinition/{course.plan.template_id}",
    ]

    for path in paths:
        issue = outcome(get(outsider_fhir, path), 404)
        missing = outcome(get(outsider_fhir, path.rsplit("/", 1)[0] + "/999999"), 404)
        assert issue["code"] == missing["code"] == "not-found", path


def test_another_clinics_user_gets_empty_searchsets(outsider_fhir, world, course):
    searches = [
        ("Appointment", {"patient": world.patient.id}),
        ("Appointment", {}),
        ("CarePlan", {"patient": world.patient.id}),
        ("Schedule", {"actor": f"Location/{world.dosing_room.id}"}),
        ("Slot", {"schedule": f"room-{world.dosing_room.id}"}),
        ("Practitioner", {"_id": world.nurse.id}),
        ("Location", {"_id": world.dosing_room.id}),
        ("HealthcareService", {"_id": world.spravato.id}),
        ("PlanDefinition", {"_id": course.plan.template_id}),
    ]

    for kind, query in searches:
        bundle = ok(get(outsider_fhir, kind, query))
        assert (bundle["total"], bundle_resources(bundle)) == (0, []), kind


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "param", "code"),
    [
        ("Appointment", {"date": "tomorrow"}, "date", "invalid"),
        ("Appointment", {"date": "ge2030-01-07T10:00:00"}, "date", "invalid"),
        ("Appointment", {"status": "bogus"}, "status", "invalid"),
        ("Appointment", {"patient": "Practitioner/1"}, "patient", "invalid"),
        ("Appointment", {"_sort": "date"}, "_sort", "not-supported"),
        ("Appointment", {"status:not": "booked"}, "status:not", "not-supported"),
        ("CarePlan", {"_count": "-1"}, "_count", "invalid"),
        ("Slot", {}, "schedule", "invalid"),
        ("Practitioner", {"active": "yes"}, "active", "invalid"),
    ],
    ids=[
        "bad-date",
        "naive-time",
        "bad-status",
        "wrong-reference-type",
        "unknown-param",
        "modifier",
        "bad-count",
        "slot-without-schedule",
        "bad-boolean",
    ],
)
def test_bad_search_parameters_are_400(fhir, world, path, query, param, code):
    issue = outcome(get(fhir, path, query), 400)

    assert issue["code"] == code
    assert issue["expression"] == [param]


def test_lenient_handling_ignores_unknown_parameters(fhir, world):
    world.appointment(world.at(9))

    bundle = ok(get(fhir, "Appointment", {"_sort": "date"}, Prefer="handling=lenient"))

    assert bundle["total"] == 1


def test_unauthenticated_is_401_with_a_challenge(api, world):
    response = get(api, f"Patient/{world.patient.id}")

    assert outcome(response, 401)["code"] == "login"
    assert response["WWW-Authenticate"] == "Token"


def test_a_user_without_a_role_is_403(world):
    client = APIClient()
    client.force_authenticate(UserFactory())

    assert outcome(get(client, "Appointment"), 403)["code"] == "forbidden"


def test_token_authentication_works(world):
    token = TokenFactory(user=UserFactory(memberships=[(world.clinic, Role.CLINICIAN)]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert ok(get(client, f"Patient/{world.patient.id}"))["id"] == str(world.patient.id)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_405(fhir, world, method):
    response = getattr(fhir, method)(f"{BASE}Patient/{world.patient.id}", {}, format="json")

    assert outcome(response, 405)["code"] == "not-supported"
    assert outcome(getattr(fhir, method)(f"{BASE}Appointment", {}, format="json"), 405)


@pytest.mark.parametrize(
    "path",
    [
        "Observation",
        "Observation/1",
        "Patient",
        "Slot/room-999999.1.20300107T150000Z",
        "Patient/1/x",
    ],
)
def test_unknown_paths_are_404(fhir, path):
    assert outcome(get(fhir, path), 404)["code"] == "not-found"


@pytest.mark.parametrize("ident", ["abc", "-1", "room-x", "99999999999999999999999"])
def test_ids_no_row_has_are_404(fhir, world, ident):
    for kind in ("Patient", "Appointment", "Schedule"):
        assert outcome(get(fhir, f"{kind}/{ident}"), 404)["code"] == "not-found"


def test_answers_are_fhir_json_whatever_the_accept_header(fhir, world):
    response = get(fhir, f"Patient/{world.patient.id}", HTTP_ACCEPT="text/html")

    assert ok(response)["resourceType"] == "Patient"


# --- patient access log -----------------------------------------------------------------


def test_reads_of_patient_data_are_logged(fhir, staff_user, world, course):
    ok(get(fhir, f"Patient/{world.patient.id}"))
    ok(get(fhir, "Appointment", {"patient": world.patient.id}))
    ok(get(fhir, f"CarePlan/{course.plan.id}"))
    ok(get(fhir, "Practitioner"))

    rows = PatientAccess.objects.filter(user=staff_user).order_by("id")
    assert [(r.patient_id, r.route, r.source) for r in rows] == [
        (world.patient.id, "fhir:Patient-read", "api"),
        (world.patient.id, "fhir:Appointment-search", "api"),
        (world.patient.id, "fhir:CarePlan-read", "api"),
    ]


# --- query counts -----------------------------------------------------------------------


@pytest.fixture(params=[1, 3], ids=["1-row", "3-rows"])
def rows(request, world):
    """``count`` appointments, each of another patient and with a plan of two sessions."""
    count = request.param
    template = PlanTemplateFactory(clinic=world.clinic)
    PlanPhaseFactory(template=template, session_type=world.spravato)
    PlanPhaseFactory(template=template, session_type=world.spravato)
    for i in range(count):
        patient = world.patients[i]
        plan = TreatmentPlanFactory(clinic=world.clinic, patient=patient, template=template)
        appointment = world.appointment(world.at(8 + 2 * i), patient=patient, plan_id=plan.id)
        PlannedSessionFactory(plan=plan, session_type=world.spravato, appointment=appointment)
        PlannedSessionFactory(plan=plan, session_type=world.spravato)
    return count


# Queries after the user's roles are cached (one warm-up request): the count, the page,
# the prefetch where a resource has children, the hosting rules of Schedules, and the
# patient access log's one insert.
@pytest.mark.parametrize(
    ("kind", "query", "queries"),
    [
        ("Appointment", {}, 3),
        ("CarePlan", {}, 4),
        ("PlanDefinition", {"_id": "{template}"}, 3),
        ("Practitioner", {"_count": "{rows}"}, 2),
        ("Location", {"_count": "{rows}"}, 2),
        ("HealthcareService", {"_count": "{rows}"}, 2),
        # Rooms first, then staff: a page that holds both (2 treatment rooms, ``rows`` staff).
        ("Schedule", {"_count": "{rooms_and_rows}"}, 6),
    ],
)
def test_search_query_count_does_not_grow(
    fhir, world, rows, kind, query, queries, django_assert_num_queries
):
    template = TreatmentPlan.objects.filter(clinic=world.clinic).values("template_id")[:1]
    values = {"rows": rows, "rooms_and_rows": rows + 2, "template": template[0]["template_id"]}
    query = {name: value.format(**values) for name, value in query.items()}
    get(fhir, "Practitioner", {"_count": 0})

    with django_assert_num_queries(queries):
        bundle = ok(get(fhir, kind, query))

    expected = {"PlanDefinition": 1, "Schedule": rows + 2}.get(kind, rows)
    assert len(bundle["entry"]) == expected
