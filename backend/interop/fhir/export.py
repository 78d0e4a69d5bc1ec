"""A clinic's schedule as FHIR ndjson: one ``collection`` Bundle per line, streamed.

The lines, in order:

1. each room: its Location, and its Schedule (treatment rooms);
2. each staff member: their Practitioner and Schedule;
3. each session type the clinic offers (its own and the built-in ones): a HealthcareService;
4. each appointment that starts in the range, by start: its Appointment and its Patient.

Rows are read with ``.iterator(chunk_size=...)`` and each becomes a line as it is read, so
memory stays flat however long the range. The patients of each chunk of appointments are
recorded in the patient access log before the chunk's lines are sent.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from itertools import islice

from backend.interop.fhir import resources as r
from backend.interop.fhir import services as s
from backend.scheduling.resources.choices import RoomKind

NDJSON_MEDIA_TYPE = "application/fhir+ndjson"


def ndjson_line(resource: r.Resource) -> bytes:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def schedule_ndjson(
    export: s.ScheduleExport,
    *,
    base: str,
    patients_read: Callable[[Mapping[int, int]], object],
    chunk_size: int = s.EXPORT_CHUNK,
) -> Iterator[bytes]:
    """The export's lines; ``patients_read({patient id: clinic id})`` runs once per chunk
    of appointments, before its lines are yielded."""
    for room in export.rooms:
        bundle = [r.location(s.location_facts(room))]
        if room.kind != RoomKind.RECOVERY:
            bundle.append(r.schedule(s.room_schedule_facts(room, export.hosting)))
        yield ndjson_line(r.collection(base, bundle))
    for staff in export.staff:
        bundle = [
            r.practitioner(s.practitioner_facts(staff)),
            r.schedule(s.staff_schedule_facts(staff, export.hosting)),
        ]
        yield ndjson_line(r.collection(base, bundle))
    for session_type in export.session_types:
        service = r.healthcare_service(s.healthcare_service_facts(session_type))
        yield ndjson_line(r.collection(base, [service]))
    while chunk := list(islice(export.appointments, chunk_size)):
        patients_read({row.patient_id: row.clinic_id for row in chunk})
        for row in chunk:
            bundle = [
                r.appointment(s.appointment_facts(row)),
                r.patient(s.patient_facts(row.patient)),
            ]
            yield ndjson_line(r.collection(base, bundle))
