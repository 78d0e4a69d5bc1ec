"""Model rules of clinics and their resources, and factories that build valid rows."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from backend.scheduling.resources.models import OpeningHours, Seat, validate_timezone
from tests.factories import (
    AppointmentEventFactory,
    AppointmentFactory,
    ClinicFactory,
    ClosureFactory,
    HoldFactory,
    IdempotencyKeyFactory,
    OpeningHoursFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    TokenFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = [
    ClinicFactory,
    OpeningHoursFactory,
    ClosureFactory,
    RoomFactory,
    SeatFactory,
    StaffFactory,
    WorkingHoursFactory,
    PatientFactory,
    SessionTypeFactory,
    AppointmentFactory,
    HoldFactory,
    AppointmentEventFactory,
    IdempotencyKeyFactory,
    UserFactory,
    TokenFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_models_factory_builds_a_valid_row(factory):
    obj = factory()

    obj.full_clean()


def test_models_clinic_factory_adds_hours_only_when_asked():
    plain = ClinicFactory()
    open_clinic = ClinicFactory(with_hours=True)

    assert plain.opening_hours.count() == 0
    assert [(h.weekday, h.opens, h.closes) for h in open_clinic.opening_hours.all()] == [
        (day, dt.time(8), dt.time(18)) for day in range(5)
    ]


def test_models_clinic_fixture_is_open_on_weekdays(clinic):
    assert clinic.timezone == "America/New_York"
    assert sorted(clinic.opening_hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]


def test_models_room_factory_adds_seats_only_when_asked():
    assert RoomFactory().seats.count() == 0
    assert list(RoomFactory(seats=2).seats.values_list("name", flat=True)) == [
        "Seat 1",
        "Seat 2",
    ]


def test_models_user_factory_roles_become_groups():
    user = UserFactory(roles=["front_desk", "manager"])

    assert sorted(user.groups.values_list("name", flat=True)) == ["front_desk", "manager"]


def test_models_role_fixtures_have_their_groups(front_desk_user, clinician_user, manager_user):
    assert [
        list(u.groups.values_list("name", flat=True))
        for u in (front_desk_user, clinician_user, manager_user)
    ] == [["front_desk"], ["clinician"], ["manager"]]


def test_models_appointment_factory_keeps_everything_in_one_clinic():
    appointment = AppointmentFactory()

    assert {
        appointment.patient.clinic_id,
        appointment.session_type.clinic_id,
        appointment.room.clinic_id,
    } == {appointment.clinic_id}
    assert appointment.seat.room_id == appointment.room_id
    assert appointment.end - appointment.start == dt.timedelta(minutes=60)
    assert appointment.recovery_end - appointment.end == dt.timedelta(minutes=60)


def test_models_patient_cleared_trait():
    patient = PatientFactory(cleared=True)

    assert (patient.screening_status, patient.screening_date) == ("cleared", dt.date(2026, 1, 5))


@pytest.mark.parametrize("name", ["America/New_York", "Europe/Berlin", "UTC"])
def test_models_known_timezone_is_accepted(name):
    validate_timezone(name)


@pytest.mark.parametrize("name", ["Mars/Base", "", "../etc/passwd", "America/"])
def test_models_unknown_timezone_is_refused(name):
    with pytest.raises(ValidationError):
        validate_timezone(name)


def test_models_clinic_zone():
    assert ClinicFactory.build(timezone="Europe/Berlin").zone == zoneinfo.ZoneInfo("Europe/Berlin")


def test_models_opening_hours_must_close_after_opening():
    hours = OpeningHoursFactory.build(opens=dt.time(12), closes=dt.time(12))

    with pytest.raises(ValidationError) as error:
        hours.clean()

    assert error.value.message_dict == {"closes": ["Closing time must be after opening time."]}


def test_models_opening_hours_constraint_holds_in_the_database():
    clinic = ClinicFactory()

    with pytest.raises(IntegrityError):
        OpeningHours.objects.create(clinic=clinic, weekday=0, opens=dt.time(12), closes=dt.time(9))


def test_models_closure_must_not_end_before_it_starts():
    closure = ClosureFactory.build(start_date=dt.date(2026, 5, 2), end_date=dt.date(2026, 5, 1))

    with pytest.raises(ValidationError) as error:
        closure.clean()

    assert list(error.value.message_dict) == ["end_date"]


def test_models_working_hours_must_end_after_they_start():
    hours = WorkingHoursFactory.build(starts=dt.time(17), ends=dt.time(9))

    with pytest.raises(ValidationError) as error:
        hours.clean()

    assert list(error.value.message_dict) == ["ends"]


def test_models_session_type_not_in_a_recovery_room():
    session_type = SessionTypeFactory.build(room_kind="recovery")

    with pytest.raises(ValidationError) as error:
        session_type.clean()

    assert list(error.value.message_dict) == ["room_kind"]


def test_models_session_type_monitoring_within_session_and_recovery():
    session_type = SessionTypeFactory.build(
        in_room_minutes=15, recovery_minutes=60, min_monitoring_minutes=76
    )

    with pytest.raises(ValidationError) as error:
        session_type.clean()

    assert list(error.value.message_dict) == ["min_monitoring_minutes"]


def test_models_seat_names_are_unique_per_room():
    seat = SeatFactory()

    with pytest.raises(IntegrityError):
        Seat.objects.create(room=seat.room, name=seat.name)


def test_models_str_representations():
    clinic = ClinicFactory(name="Harbor Light")
    seat = SeatFactory(room__clinic=clinic, room__name="Suite A", name="R1")
    staff = StaffFactory(clinic=clinic, name="Dana", role="nurse")
    patient = PatientFactory(clinic=clinic, first_name="Avery", last_name="Lind")

    assert [str(clinic), str(seat), str(staff), str(patient), patient.initials] == [
        "Harbor Light",
        "Suite A / R1",
        "Dana (Nurse)",
        "Avery Lind",
        "A.L.",
    ]
