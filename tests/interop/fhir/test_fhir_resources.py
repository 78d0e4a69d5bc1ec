"""The pure builders: plain facts in, FHIR resources out that the R4B models accept."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.interop.fhir import resources as r
from tests.interop.fhir.fhir_check import fhir_valid

NEW_YORK = ZoneInfo("America/New_York")
BASE = "https://clinic.example.org/fhir/R4/"
AT = datetime(2030, 1, 7, 10, 0, tzinfo=NEW_YORK)
SPRAVATO = r.ServiceRef(12, "Spravato")


def appointment_facts(**changes) -> r.AppointmentFacts:
    fields = {
        "id": 5,
        "clinic_id": 1,
        "status": "booked",
        "start": AT,
        "end": datetime(2030, 1, 7, 12, 15, tzinfo=NEW_YORK),
        "service": SPRAVATO,
        "patient_id": 7,
        "room_id": 3,
        "room_name": "Spravato Room",
        "seat_label": "Spravato Room / Recliner 1",
        "staff_id": 4,
        "staff_name": "Nurse A",
        "plan_id": 9,
        "created": AT,
        "updated_at": AT,
        **changes,
    }
    return r.AppointmentFacts(**fields)


def phase(**changes) -> r.PhaseFacts:
    fields = {
        "key": "induction",
        "name": "Induction",
        "kind": "induction",
        "kind_display": "Induction",
        "service": SPRAVATO,
        "count": 8,
        "horizon_weeks": None,
        "sessions_per_week": 2,
        "min_gap_days": 2,
        "max_gap_days": 5,
        "offset_min_days": 0,
        "offset_max_days": None,
        "follows": "",
        "follows_min_days": 1,
        "follows_max_days": 3,
        **changes,
    }
    return r.PhaseFacts(**fields)


def test_patient_carries_only_what_is_stored():
    facts = r.PatientFacts(7, 1, "Robin", "Lee", date(1980, 5, 17), "robin@example.org", "", True)

    resource = r.patient(facts)

    fhir_valid(resource)
    assert resource == {
        "resourceType": "Patient",
        "id": "7",
        "active": True,
        "name": [{"family": "Lee", "given": ["Robin"]}],
        "telecom": [{"system": "email", "value": "robin@example.org"}],
        "birthDate": "1980-05-17",
    }


def test_practitioner_location_service_schedule_slot_validate():
    resources = [
        r.practitioner(r.PractitionerFacts(4, "Nurse A", "a@example.org", True)),
        r.location(
            r.LocationFacts(3, "Spravato Room", "dosing", "Dosing", False, "Harbor", "1 Harbor St")
        ),
        r.healthcare_service(r.HealthcareServiceFacts(12, "Spravato", True, 15, 120, False)),
        r.schedule(r.ScheduleFacts(r.ROOM_SCHEDULE, 3, "Spravato Room", True, (SPRAVATO,))),
        r.slot(r.SlotFacts("room-3", SPRAVATO, AT, datetime(2030, 1, 7, 12, 15, tzinfo=NEW_YORK))),
    ]

    for resource in resources:
        fhir_valid(resource)
    assert resources[1]["status"] == "inactive"
    assert resources[3]["actor"] == [{"reference": "Location/3", "display": "Spravato Room"}]
    assert resources[4]["id"] == "room-3.12.20300107T150000Z"
    assert resources[4]["start"] == "2030-01-07T10:00:00-05:00"


@pytest.mark.parametrize(
    ("stored", "fhir_status"),
    [
        ("booked", "booked"),
        ("checked_in", "checked-in"),
        ("in_session", "arrived"),
        ("recovering", "arrived"),
        ("discharged", "fulfilled"),
        ("cancelled", "cancelled"),
        ("no_show", "noshow"),
    ],
)
def test_appointment_status_maps_to_fhir(stored, fhir_status):
    resource = r.appointment(appointment_facts(status=stored))

    fhir_valid(resource)
    assert resource["status"] == fhir_status


def test_appointment_participants_and_plan():
    resource = r.appointment(appointment_facts())

    assert [p["actor"]["reference"] for p in resource["participant"]] == [
        "Patient/7",
        "Practitioner/4",
        "Location/3",
    ]
    assert "display" not in resource["participant"][0]["actor"]
    assert resource["minutesDuration"] == 135
    assert resource["supportingInformation"] == [{"reference": "CarePlan/9"}]


def test_appointment_without_staff_or_plan():
    resource = r.appointment(appointment_facts(staff_id=None, staff_name="", plan_id=None))

    fhir_valid(resource)
    assert len(resource["participant"]) == 2
    assert "supportingInformation" not in resource


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        r.appointment(appointment_facts(start=datetime(2030, 1, 7, 10)))


def test_care_plan_has_an_activity_per_planned_session():
    facts = r.CarePlanFacts(
        id=9,
        clinic_id=1,
        status="booked",
        patient_id=7,
        template_id=2,
        template_name="Spravato TRD",
        start_date=date(2030, 1, 7),
        created=AT,
        updated_at=AT,
        sessions=(
            r.PlannedSessionFacts(1, "Induction", SPRAVATO, 5),
            r.PlannedSessionFacts(2, "Induction", SPRAVATO, None),
        ),
    )

    resource = r.care_plan(facts, BASE)

    fhir_valid(resource)
    assert resource["status"] == "active"
    assert resource["instantiatesCanonical"] == [f"{BASE}PlanDefinition/2"]
    first, second = resource["activity"]
    assert first == {"reference": {"reference": "Appointment/5", "display": "Induction, session 1"}}
    assert second["detail"]["status"] == "not-started"
    assert second["detail"]["code"]["coding"][0]["code"] == "12"


def test_plan_definition_has_an_action_per_phase():
    facts = r.PlanDefinitionFacts(
        id=2,
        slug="spravato-trd",
        name="Spravato TRD",
        description="",
        active=True,
        builtin=True,
        updated_at=None,
        phases=(
            phase(),
            phase(
                key="maintenance",
                name="Maintenance",
                count=None,
                horizon_weeks=12,
                sessions_per_week=None,
                min_gap_days=7,
                max_gap_days=14,
                offset_min_days=5,
                offset_max_days=9,
            ),
            phase(
                key="integration",
                name="Integration",
                count=None,
                follows="induction",
                sessions_per_week=None,
                min_gap_days=0,
                max_gap_days=None,
            ),
        ),
    )

    resource = r.plan_definition(facts, BASE)

    fhir_valid(resource)
    assert resource["name"] == "SpravatoTrd"
    assert resource["url"] == f"{BASE}PlanDefinition/2"
    induction, maintenance, integration = resource["action"]
    assert induction["timingTiming"]["repeat"] == {
        "count": 8,
        "frequency": 2,
        "period": 1,
        "periodUnit": "wk",
    }
    assert "relatedAction" not in induction
    assert maintenance["timingTiming"]["repeat"]["periodMax"] == 14
    assert maintenance["relatedAction"][0]["actionId"] == "induction"
    assert maintenance["relatedAction"][0]["offsetRange"]["high"]["value"] == 9
    assert integration["relatedAction"][0]["actionId"] == "induction"
    assert "after each session of phase 'induction'" in integration["description"]


def test_bundles_and_outcomes_validate():
    patient = r.patient(r.PatientFacts(7, 1, "Robin", "Lee", None, "", "", True))

    searchset = r.searchset(BASE, [patient], total=4, links={"self": f"{BASE}Patient"})
    collection = r.collection(BASE, [patient])
    outcome = r.operation_outcome("invalid", "Bad.", expression=["date"])

    for resource in (searchset, collection, outcome):
        fhir_valid(resource)
    assert searchset["entry"][0]["fullUrl"] == f"{BASE}Patient/7"
    assert "search" not in collection["entry"][0]


def test_computable_name_starts_with_a_letter():
    assert r.computable_name("kap-individual") == "KapIndividual"
    assert r.computable_name("3-step") == "Plan3Step"
