"""A separate OS process that books against the test database, for the race tests.

Usage: python race_worker.py <session_type_id> <start-iso> <user_id> <patient_id>...
Prints "ready", waits for a line on stdin, books one appointment per patient in threads,
and prints a JSON summary of the outcomes.
"""

import json
import os
import sys
import threading
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from backend.common.errors import Conflict  # noqa: E402
from backend.scheduling.booking.services import appointment_book  # noqa: E402
from backend.scheduling.resources.models import Patient, SessionType  # noqa: E402


def main() -> None:
    session_type_id, start_iso, user_id, *patient_ids = sys.argv[1:]
    start = datetime.fromisoformat(start_iso)
    user = get_user_model().objects.get(pk=user_id)
    session_type = SessionType.objects.get(pk=session_type_id)
    patients = list(Patient.objects.filter(pk__in=patient_ids))
    connection.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(len(patients))

    def attempt(patient):
        try:
            barrier.wait()
            appointment_book(
                actor=user,
                patient=patient,
                session_type=session_type,
                start=start,
                now=timezone.now(),
            )
            outcomes.append("booked")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # reported to the parent, which fails the test
            outcomes.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    print("ready", flush=True)
    sys.stdin.readline()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(outcomes), flush=True)


if __name__ == "__main__":
    main()
