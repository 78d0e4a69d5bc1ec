"""The booking's and the search's plain parsing, and the booking's prebuilt answer, agree
with the serializers they stand in for: the same values for every input the serializer
accepts, none for any other (the serializer then answers), and the same rendering of the
new appointment."""

import json
from datetime import timedelta

import pytest
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from backend.common.errors import DomainError
from backend.common.roles import Role
from backend.common.serializers import input_validated
from backend.scheduling.booking.inputs import (
    availability_input_of,
    availability_input_parse,
    booking_input_of,
    booking_input_parse,
)
from backend.scheduling.booking.models import Appointment
from backend.scheduling.booking.serializers import (
    AppointmentCreateSerializer,
    AppointmentSerializer,
    AvailabilityQuerySerializer,
)
from backend.scheduling.booking.views import AppointmentViewSet, AvailabilityView
from backend.scheduling.resources.models import SessionType
from tests.factories import ClinicFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def _view_for(user, body):
    request = Request(APIRequestFactory().post(URL, body, format="json"), parsers=[JSONParser()])
    request.user = user
    view = AppointmentViewSet()
    view.action = "create"
    view.request = request
    view.format_kwarg = None
    return view


def _serializer_outcome(view, body):
    try:
        return booking_input_of(input_validated(view, AppointmentCreateSerializer, body))
    except (ValidationError, DomainError, APIException) as exc:
        return type(exc)


def _bodies(world):
    patient, spravato = world.patients[0].id, world.spravato.id
    start = world.at(9).isoformat()
    base = {"patient": patient, "session_type": spravato, "start": start}
    other_clinic_patient = PatientFactory(clinic=ClinicFactory()).id
    return {
        "minimal": base,
        "everything": {
            **base,
            "staff": world.nurses[0].id,
            "room": world.dosing_room.id,
            "seat": world.recliners[1].id,
            "escort": {"name": "  Ann Escort ", "phone": "555-0101"},
            "notes": " first visit ",
            "video_link": "",
            "authorization_override": "Payer called back",
        },
        "nulls": {**base, "staff": None, "room": None, "seat": None},
        "escort-partial": {**base, "escort": {"phone": "555"}},
        "escort-read-only-keys": {**base, "escort": {"name": "A", "required": False}},
        "video-link": {**base, "video_link": "https://video.example.com/r/1"},
        "utc-z": {**base, "start": world.at(9).astimezone(world.clinic.zone).isoformat()},
        "unknown-key-ignored": {**base, "colour": "blue"},
        "not-an-object": [base],
        "missing-patient": {"session_type": spravato, "start": start},
        "missing-start": {"patient": patient, "session_type": spravato},
        "patient-as-text": {**base, "patient": str(patient)},
        "patient-as-bool": {**base, "patient": True},
        "patient-null": {**base, "patient": None},
        "patient-unknown": {**base, "patient": 999999},
        "patient-huge": {**base, "patient": 2**40},
        "patient-of-a-clinic-not-the-callers": {**base, "patient": other_clinic_patient},
        "session-type-unknown": {**base, "session_type": 999999},
        "staff-unknown": {**base, "staff": 999999},
        "seat-as-float": {**base, "seat": 1.0},
        "naive-start": {**base, "start": "2030-01-02T09:00:00"},
        "garbage-start": {**base, "start": "next tuesday"},
        "start-with-seconds": {**base, "start": (world.at(9) + timedelta(seconds=30)).isoformat()},
        "start-padded": {**base, "start": f" {start} "},
        "start-as-number": {**base, "start": 1893456000},
        "start-impossible-date": {**base, "start": "2030-02-30T09:00:00+00:00"},
        "notes-too-long": {**base, "notes": "x" * 2001},
        "notes-long-with-padding": {**base, "notes": "x" * 2000 + "   "},
        "notes-padded-within-the-limit": {**base, "notes": "  " + "x" * 1990 + "  "},
        "notes-as-number": {**base, "notes": 3},
        "notes-null-character": {**base, "notes": "a\x00b"},
        "escort-not-an-object": {**base, "escort": "Ann"},
        "escort-null": {**base, "escort": None},
        "escort-name-too-long": {**base, "escort": {"name": "n" * 161}},
        "video-link-not-a-url": {**base, "video_link": "not a link"},
        "override-as-list": {**base, "authorization_override": ["x"]},
    }


ACCEPTED = {
    "minimal",
    "everything",
    "nulls",
    "escort-partial",
    "escort-read-only-keys",
    "video-link",
    "utc-z",
    "unknown-key-ignored",
    "notes-padded-within-the-limit",
}


def test_plain_parsing_reads_what_the_serializer_accepts_and_nothing_else(world):
    front_desk = UserFactory(memberships=[(world.clinic, Role.FRONT_DESK)])
    for name, body in _bodies(world).items():
        view = _view_for(front_desk, body)

        parsed = booking_input_parse(view.request.data, request=view.request, view=view)
        expected = _serializer_outcome(view, view.request.data)

        if name in ACCEPTED:
            assert parsed == expected, name
            assert parsed.start.isoformat() == expected.start.isoformat(), name
        else:
            # The serializer answers these, so the client gets its exact refusal (or its
            # reading of a body it accepts in a form the plain parsing leaves to it).
            assert parsed is None, name


def test_plain_parsing_refuses_a_staff_member_the_caller_may_not_book_with(world, clinician_user):
    body = {
        "patient": world.patients[0].id,
        "session_type": world.spravato.id,
        "start": world.at(9).isoformat(),
    }
    view = _view_for(clinician_user, body)

    parsed = booking_input_parse(view.request.data, request=view.request, view=view)

    assert parsed is None


def _as_json(data):
    return json.loads(json.dumps(data))


def _booked(client, body):
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _serialized(appointment_id):
    fresh = Appointment.objects.with_details().get(pk=appointment_id)
    return _as_json(AppointmentSerializer(fresh).data)


def test_the_booking_answer_is_the_appointment_serializers(front_desk_api, world):
    spravato = _booked(
        front_desk_api,
        {
            "patient": world.patients[0].id,
            "session_type": world.spravato.id,
            "start": world.at(9).isoformat(),
            "notes": "first dose",
            "escort": {"name": "Ann", "phone": "555"},
        },
    )
    infusion = _booked(
        front_desk_api,
        {
            "patient": world.patients[1].id,
            "session_type": world.infusion.id,
            "start": world.at(10).isoformat(),
        },
    )

    assert spravato == _serialized(spravato["id"])
    assert infusion == _serialized(infusion["id"])
    assert len(infusion["holds"]) == 2


def test_the_booking_answer_of_a_video_visit_is_the_appointment_serializers(front_desk_api, world):
    world.therapist.video_link = "https://video.example.com/room/t"
    world.therapist.save()
    video = SessionType.objects.get(clinic=None, slug="kap-integration-telehealth")

    own_link = _booked(
        front_desk_api,
        {
            "patient": world.patients[2].id,
            "session_type": video.id,
            "start": world.at(11).isoformat(),
            "video_link": "https://video.example.com/room/own",
        },
    )
    staff_link = _booked(
        front_desk_api,
        {
            "patient": world.patients[3].id,
            "session_type": video.id,
            "start": world.at(13).isoformat(),
        },
    )

    assert own_link == _serialized(own_link["id"])
    assert staff_link == _serialized(staff_link["id"])
    assert (own_link["video_link"], own_link["holds"]) == ("https://video.example.com/room/own", [])


# --- availability -----------------------------------------------------------------------


def _search_view_for(user, params):
    request = Request(APIRequestFactory().get("/api/v1/availability/", params))
    request.user = user
    view = AvailabilityView()
    view.request = request
    view.format_kwarg = None
    return view


def _search_outcome(view, query):
    try:
        return availability_input_of(input_validated(view, AvailabilityQuerySerializer, query))
    except (ValidationError, DomainError, APIException) as exc:
        return type(exc)


def _queries(world):
    day = world.day.isoformat()
    later = (world.day + timedelta(days=13)).isoformat()
    base = {"session_type": str(world.spravato.id), "date_from": day, "date_to": later}
    other_clinic = ClinicFactory()
    return {
        "minimal": base,
        "everything": {
            **base,
            "clinic": str(world.clinic.id),
            "staff": str(world.nurses[0].id),
            "patient": str(world.patients[0].id),
            "room": str(world.dosing_room.id),
            "step": "30",
        },
        "one-day": {**base, "date_to": day},
        "step-with-zeros": {**base, "step": "015"},
        "unknown-key-ignored": {**base, "colour": "blue"},
        "missing-session-type": {"date_from": day, "date_to": later},
        "session-type-as-word": {**base, "session_type": "spravato"},
        "session-type-unknown": {**base, "session_type": "999999"},
        "session-type-huge": {**base, "session_type": str(2**40)},
        "session-type-negative": {**base, "session_type": "-3"},
        "patient-of-a-clinic-not-the-callers": {
            **base,
            "patient": str(PatientFactory(clinic=other_clinic).id),
        },
        "clinic-not-the-callers": {**base, "clinic": str(other_clinic.id)},
        "date-compact": {**base, "date_from": day.replace("-", "")},
        "date-impossible": {**base, "date_from": "2030-02-30"},
        "date-to-before-from": {**base, "date_to": (world.day - timedelta(days=1)).isoformat()},
        "too-many-days": {**base, "date_to": (world.day + timedelta(days=62)).isoformat()},
        "step-too-small": {**base, "step": "4"},
        "step-decimal": {**base, "step": "15.0"},
        "time-bounds": {**base, "earliest_time": "09:00", "latest_time": "12:00"},
        "times-reversed": {**base, "earliest_time": "12:00", "latest_time": "09:00"},
    }


SEARCH_ACCEPTED = {"minimal", "everything", "one-day", "step-with-zeros", "unknown-key-ignored"}


def test_plain_query_parsing_reads_what_the_serializer_accepts_and_nothing_else(world):
    front_desk = UserFactory(memberships=[(world.clinic, Role.FRONT_DESK)])
    for name, params in _queries(world).items():
        view = _search_view_for(front_desk, params)
        query = view.request.query_params

        parsed = availability_input_parse(query, request=view.request, view=view)
        expected = _search_outcome(view, query)

        if name in SEARCH_ACCEPTED:
            assert parsed == expected, name
        else:
            assert parsed is None, name


def test_plain_query_parsing_leaves_a_repeated_parameter_to_the_serializer(world):
    front_desk = UserFactory(memberships=[(world.clinic, Role.FRONT_DESK)])
    day = world.day.isoformat()
    view = _search_view_for(
        front_desk,
        {"session_type": [str(world.spravato.id)] * 2, "date_from": day, "date_to": day},
    )

    parsed = availability_input_parse(view.request.query_params, request=view.request, view=view)

    assert parsed is None
