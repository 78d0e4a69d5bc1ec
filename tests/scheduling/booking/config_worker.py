"""A separate OS process that changes a clinic's setup in the test database.

Usage: python config_worker.py <action> <clinic_id> <room_id>
- ``seat``: adds a seat to the room through the ORM (as the API and admin do);
- ``seat-behind-the-back``: adds one with ``bulk_create``, which sends no signal and so
  leaves the clinic's configuration stamp alone (what the cache must not be blind to is
  the stamp, so this shows the stamp is what it trusts).
Prints the new seat's id.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from backend.scheduling.resources.models import Seat  # noqa: E402

action, clinic_id, room_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if action == "seat":
    seat = Seat.objects.create(room_id=room_id, name="From another process")
else:
    (seat,) = Seat.objects.bulk_create([Seat(room_id=room_id, name="Behind the back")])
print(seat.id)
