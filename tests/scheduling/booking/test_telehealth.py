"""Telehealth visits: only the staff member is held; the link travels to feed and reminder."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from backend.plans.models import PlanPhase, PlanTemplate
from backend.plans.services.plans import plan_create, plan_preview
from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from backend.scheduling.day.reminders import Outcome, reminder_send
from backend.scheduling.feeds.services import feed_token_issue
from backend.scheduling.resources.models import SessionType
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"
LINK = "https://video.example.com/room/therapist-x"


@pytest.fixture
def video_world(clinic):
    world = build_clinic_world(clinic, therapy_rooms=1, therapists=1)
    world.therapist.video_link = LINK
    world.therapist.save()
    world.video = SessionType.objects.get(clinic=None, slug="kap-integration-telehealth")
    return world


def book(client, world, patient, start, **extra):
    body = {"patient": patient.id, "session_type": world.video.id, "start": start.isoformat()}
    return client.post(URL, {**body, **extra}, format="json")


def test_a_video_visit_holds_only_its_staff_member(front_desk_api, video_world):
    w = video_world
    # The only therapy room is taken at 10:00: a video visit does not need it.
    w.appointment(w.at(10), session_type=w.therapy, patient=w.patients[1])

    response = book(front_desk_api, w, w.patient, w.at(11))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["room"], body["seat"], body["holds"]) == (None, None, [])
    assert (body["modality"], body["video_link"]) == ("telehealth", LINK)
    kinds = set(Hold.objects.filter(appointment_id=body["id"]).values_list("kind", flat=True))
    assert kinds == {HoldKind.STAFF}


def test_a_video_visit_is_offered_while_every_room_is_taken(front_desk_api, video_world):
    w = video_world
    w.appointment(w.at(10), session_type=w.therapy, patient=w.patients[1])
    day = w.day.isoformat()

    response = front_desk_api.get(
        "/api/v1/availability/",
        {"session_type": w.video.id, "date_from": day, "date_to": day, "patient": w.patient.id},
    )

    starts = {s["start"]: s for s in response.json()["slots"]}
    # The therapist runs the 10:00 in-room session, so 10:00 is out; 11:00 is offered.
    assert w.at(11).isoformat() in starts
    assert starts[w.at(11).isoformat()]["room"] is None


def test_the_link_can_be_set_on_the_appointment(front_desk_api, video_world):
    w = video_world

    response = book(front_desk_api, w, w.patient, w.at(9), video_link="https://meet.example.org/x")

    assert response.json()["video_link"] == "https://meet.example.org/x"


def test_a_room_or_a_link_is_refused_where_it_does_not_belong(front_desk_api, video_world):
    w = video_world

    with_room = book(front_desk_api, w, w.patient, w.at(9), room=w.therapy_rooms[0].id)
    in_person = front_desk_api.post(
        URL,
        {
            "patient": w.patient.id,
            "session_type": w.therapy.id,
            "start": w.at(9).isoformat(),
            "video_link": LINK,
        },
        format="json",
    )

    assert with_room.status_code == 400
    assert list(with_room.json()["errors"]) == ["room"]
    assert in_person.status_code == 400
    assert list(in_person.json()["errors"]) == ["video_link"]
    assert Appointment.objects.count() == 0


def test_the_patient_feed_says_video_visit_with_the_link(front_desk_api, manager_user, video_world):
    w = video_world
    book(front_desk_api, w, w.patient, w.at(9))
    _, raw = feed_token_issue(owner=w.patient, actor=manager_user, now=timezone.now())

    text = Client().get(f"/feeds/{raw}.ics").content.decode().replace("\r\n ", "")

    assert "SUMMARY:Video visit" in text
    assert LINK in text
    assert "ride" not in text.lower()


def test_the_reminder_says_video_visit_and_asks_for_no_ride(front_desk_api, video_world):
    w = video_world
    w.patient.email = "robin@example.com"
    w.patient.save()
    response = book(front_desk_api, w, w.patient, w.at(9))
    appointment = Appointment.objects.with_details().get(pk=response.json()["id"])

    outcome = reminder_send(appointment, now=w.at(9) - timedelta(hours=20))

    assert outcome == Outcome.SENT
    (message,) = mail.outbox
    assert "Video visit" in message.body
    assert LINK in message.body
    assert "no ride needed" in message.body
    assert "A ride is required" not in message.body
    assert "/ride/" not in message.body
    assert "Please arrive" not in message.body


def test_a_kap_template_with_video_integration_places_it_without_a_room(clinic, front_desk_user):
    from tests.worlds import weekday_ahead

    world = build_clinic_world(clinic, day=weekday_ahead(clinic, 0), therapy_rooms=1, therapists=2)
    builtin = PlanTemplate.objects.get(slug="kap-individual", clinic=None)
    # The clinic's own copy switches integration to video (as a manager's edit would).
    video = SessionType.objects.get(clinic=None, slug="kap-integration-telehealth")
    copy = PlanTemplate.objects.create(
        clinic=clinic, slug=builtin.slug, name=builtin.name, description=builtin.description
    )
    for phase in builtin.phases.all():
        phase.pk = None
        phase.template = copy
        if phase.key == "integration":
            phase.session_type = video
        phase.save()
    now = timezone.now()
    plan = plan_create(
        actor=front_desk_user, patient=world.patient, template=copy, start_date=world.day, now=now
    )

    preview = plan_preview(plan=plan, now=now)

    integration = [s for s in preview.slots if s.phase_key == "integration"]
    assert integration and all(s.placement is not None for s in integration)
    assert all(s.placement.seat is None for s in integration)
    assert PlanPhase.objects.filter(template=copy, session_type=video).exists()
