"""Finding patients: possible duplicates before a registration, and search by name, date
of birth or phone. Used by the console; the API's list filter stays the name search."""

from datetime import date, datetime

from django.db.models import Q, QuerySet

from backend.scheduling.resources.filters import PatientFilter
from backend.scheduling.resources.models import Clinic, Patient
from backend.scheduling.resources.phones import phone_e164

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")


def patient_duplicates_find(
    *,
    clinic: Clinic,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    exclude_id: int | None = None,
) -> list[Patient]:
    """Patients of the clinic (active or not) with the same name and date of birth.

    Case and surrounding spaces do not count: "ana  lópez " is Ana López. Without a date
    of birth nothing is a duplicate, since two people often share a name.
    """
    if date_of_birth is None:
        return []
    # Few people share a birthday: compare names in Python, where case folding knows
    # every alphabet (SQLite's LIKE folds ASCII only).
    rows = Patient.objects.filter(clinic=clinic, date_of_birth=date_of_birth).order_by("id")
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    wanted = (_folded(first_name), _folded(last_name))
    return [p for p in rows if (_folded(p.first_name), _folded(p.last_name)) == wanted]


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def _as_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def _as_phone(text: str) -> str | None:
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or any(ch.isalpha() for ch in text):
        return None
    try:
        return phone_e164(text)
    except ValueError:
        return None


def patients_search(patients: QuerySet[Patient], text: str) -> QuerySet[Patient]:
    """``patients`` matching ``text``: a date of birth, a phone number, else a name.

    A phone matches the patient's own number or their escort's (the escort is often who
    calls). Names match as in the API's list: part of "first last" or "last, first".
    """
    text = (text or "").strip()
    if not text:
        return patients
    day = _as_date(text)
    if day is not None:
        return patients.filter(date_of_birth=day)
    phone = _as_phone(text)
    if phone is not None:
        return patients.filter(Q(phone=phone) | Q(escort_phone=phone))
    # The API list's own name search, so the console and integrators find the same people.
    return PatientFilter().filter_search(patients, "search", text)
