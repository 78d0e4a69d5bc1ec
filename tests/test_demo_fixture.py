"""The demo data that `make run` loads: complete, and idempotent when loaded again."""

from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import override_settings

from backend.scheduling.resources.models import Clinic, Patient, Room, Seat, Staff

DEMO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "demo.json"
DEMO_PASSWORD = "kap-demo-2026"

# The tests hash with MD5 for speed; the fixture stores the production default hash.
PBKDF2 = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def load_demo() -> None:
    call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)


def demo_counts() -> dict[str, object]:
    users = get_user_model().objects.prefetch_related("groups").order_by("username")
    return {
        "clinics": Clinic.objects.count(),
        "rooms_per_kind": Counter(Room.objects.values_list("kind", flat=True)),
        "seats_per_room": dict(
            Counter(Seat.objects.values_list("room__name", flat=True)).most_common()
        ),
        "staff_per_role": Counter(Staff.objects.values_list("role", flat=True)),
        "patients": Patient.objects.count(),
        "users": [(u.username, sorted(g.name for g in u.groups.all()), u.is_staff) for u in users],
    }


@pytest.mark.django_db
def test_demo_fixture_loads_the_demo_clinic():
    load_demo()

    counts = demo_counts()

    assert counts["clinics"] == 1
    assert counts["rooms_per_kind"] == {"dosing": 4, "recovery": 1, "therapy": 3}
    assert counts["seats_per_room"] == {
        "Spravato Room": 3,
        "Infusion Room": 4,
        "KAP Suite": 1,
        "Recovery Lounge": 6,
        "Group Room": 6,
        "Group Circle": 6,
        "Therapy Room A": 1,
        "Therapy Room B": 1,
    }
    assert counts["staff_per_role"] == {"prescriber": 2, "nurse": 3, "therapist": 3}
    assert counts["patients"] == 20
    assert counts["users"] == [
        ("clinician", ["clinician"], False),
        ("frontdesk", ["front_desk"], False),
        ("manager", ["manager"], True),
    ]
    clinic = Clinic.objects.get()
    assert (clinic.slug, clinic.timezone) == ("harbor-light", "America/New_York")
    assert Staff.objects.get(user__username="clinician").role == "nurse"


@pytest.mark.django_db
def test_demo_fixture_loaded_twice_creates_no_duplicates():
    load_demo()
    first = demo_counts()

    load_demo()

    assert demo_counts() == first


@pytest.mark.django_db
def test_demo_fixture_patients_cover_every_screening_state():
    load_demo()

    statuses = Counter(Patient.objects.values_list("screening_status", flat=True))

    assert statuses == {"cleared": 17, "pending": 2, "not_cleared": 1}
    assert not Patient.objects.filter(screening_status="cleared", screening_date=None).exists()
    assert Patient.objects.filter(rems_enrolled_on__isnull=False).count() == 8


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=PBKDF2)
@pytest.mark.parametrize("username", ["frontdesk", "clinician", "manager"])
def test_demo_fixture_user_logs_in_with_demo_password(username):
    load_demo()

    user = authenticate(username=username, password=DEMO_PASSWORD)

    assert user is not None
    assert user.username == username
