"""The ORM bypasses of ``backend.common.db``, against the real database (SQLite or PostgreSQL)."""

import contextlib
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Q

from backend.common.db import (
    EpochMinutes,
    EpochSeconds,
    IntegerList,
    PreparedGet,
    PreparedQuery,
    constraint_violated,
    deadlock_detected,
    planner_statistics_refresh,
    raw_datetime,
    raw_rows_fetch,
    row_locks_take,
    rows_insert,
    rows_insert_together,
)
from backend.scheduling.booking.models import Appointment, AppointmentEvent, Hold, HoldKind
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.resources.models import Clinic, Patient, Seat
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    HoldFactory,
    PatientFactory,
    SeatFactory,
)

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")

requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (exclusion constraints, deadlock detection); "
    "run with DATABASE_URL=postgres:///...",
)


def at(hour: int, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    return datetime(2026, 5, 4, hour, minute, second, microsecond, tzinfo=NEW_YORK)


# --- expressions --------------------------------------------------------------------------


def test_epoch_expressions_floor_to_whole_seconds_and_minutes():
    start = at(9, 0, 59, 750_000)
    appointment = AppointmentFactory(start=start)
    whole_seconds = int(start.timestamp())  # positive: int() floors

    seconds, minutes = (
        Appointment.objects.filter(pk=appointment.pk)
        .values_list(EpochSeconds("start"), EpochMinutes("start"))
        .get()
    )

    assert seconds == whole_seconds == 1_777_899_659
    assert minutes == whole_seconds // 60  # 09:00, not rounded up to 09:01


def test_integer_list_gathers_each_groups_values_and_an_empty_list_for_none():
    busy, quiet = SeatFactory(), SeatFactory()
    for seat, start, active in [(busy, at(9), True), (busy, at(11), True), (quiet, at(9), False)]:
        HoldFactory(seat=seat, start=start, end=start + timedelta(hours=1), active=active)

    rows = (
        Hold.objects.filter(seat__in=[busy, quiet])
        .values("seat_id")
        .annotate(
            active_starts=IntegerList(EpochMinutes("start"), filter=Q(active=True)),
            inactive_starts=IntegerList(EpochMinutes("start"), filter=Q(active=False)),
        )
        .values_list("seat_id", "active_starts", "inactive_starts")
        .order_by()
    )

    minute = {hour: int(at(hour).timestamp()) // 60 for hour in (9, 11)}
    found = {seat_id: (sorted(active), inactive) for seat_id, active, inactive in rows}
    assert found == {busy.id: ([minute[9], minute[11]], []), quiet.id: ([], [minute[9]])}


# --- raw-cursor reads ---------------------------------------------------------------------


def test_raw_rows_are_the_rows_the_orm_reads():
    holds = [HoldFactory(start=at(h), end=at(h + 1)) for h in (9, 10, 12)]
    query = (
        Hold.objects.filter(pk__in=[h.pk for h in holds])
        .order_by("start")
        .values_list("id", "seat_id", "staff_id", EpochSeconds("start"), EpochSeconds("end"))
    )

    rows = raw_rows_fetch(query)

    assert rows == list(query)
    assert [row[3] for row in rows] == [int(h.start.timestamp()) for h in holds]


def test_raw_datetime_reads_a_column_and_an_aggregate_as_aware_datetimes():
    appointment = AppointmentFactory(start=at(9, 15, 30, 250_000))
    query = Appointment.objects.filter(pk=appointment.pk)

    [(column,)] = raw_rows_fetch(query.values_list("start"))
    [(latest,)] = raw_rows_fetch(
        query.values("clinic_id").annotate(latest=Max("start")).values_list("latest")
    )

    assert raw_datetime(column) == raw_datetime(latest) == appointment.start
    assert raw_datetime(column).utcoffset() == timedelta(0)
    assert raw_datetime(None) is None


# --- prepared queries ---------------------------------------------------------------------


def _appointments(clinic: int, since: datetime, until: datetime, not_named: str):
    return (
        Appointment.objects.filter(clinic_id=clinic, start__gte=since, start__lt=until)
        .exclude(patient__last_name=not_named)
        .order_by("start", "id")
        .values_list("id", "patient__last_name")
    )


def test_prepared_query_returns_the_rows_of_the_queryset_it_was_built_from_for_any_values():
    first, second = ClinicFactory(), ClinicFactory()
    for hour in (9, 11, 13):
        AppointmentFactory(clinic=first, start=at(hour))
    AppointmentFactory(clinic=second, start=at(9))
    skipped = AppointmentFactory(clinic=first, start=at(10)).patient.last_name
    prepared = PreparedQuery(
        _appointments, clinic=int, since=datetime, until=datetime, not_named=str
    )
    runs = [
        {"clinic": first.id, "since": at(8), "until": at(12), "not_named": skipped},
        {"clinic": first.id, "since": at(10), "until": at(18), "not_named": "nobody"},
        {"clinic": second.id, "since": at(8), "until": at(18), "not_named": "nobody"},
        {"clinic": second.id, "since": at(10), "until": at(18), "not_named": "nobody"},
    ]

    found = [prepared.rows(**values) for values in runs]

    assert found == [list(_appointments(**values)) for values in runs]
    assert [len(rows) for rows in found] == [2, 3, 1, 0]


def test_prepared_query_builds_once_and_runs_one_query_per_call(django_assert_num_queries):
    seat = SeatFactory()
    built = []

    def build(room):
        built.append(room)
        return Seat.objects.filter(room_id=room).values_list("id", "name")

    prepared = PreparedQuery(build, room=int)

    for _ in range(3):
        with django_assert_num_queries(1):
            assert prepared.rows(room=seat.room_id) == [(seat.id, seat.name)]
    assert len(built) == 1


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_prepared_get_reads_what_select_related_reads_in_one_query(django_assert_num_queries):
    patient = PatientFactory(
        cleared=True, rems=True, date_of_birth=date(1980, 2, 29), clinic=ClinicFactory()
    )
    PatientFactory(clinic=patient.clinic)  # another row the key must not match
    expected = Patient.objects.select_related("clinic").get(pk=patient.pk)
    prepared = PreparedGet(Patient, "clinic")

    for _ in range(2):  # compiled on the first call, reused on the second
        with django_assert_num_queries(1):
            got = prepared.get(pk=patient.pk)
            clinic = got.clinic  # cached with the row: no second query

        assert (_columns(got), _columns(clinic)) == (_columns(expected), _columns(expected.clinic))
        assert (type(got.date_of_birth), type(clinic.zone)) == (date, ZoneInfo)
        assert not got._state.adding and got._state.db == "default"
    with pytest.raises(Patient.DoesNotExist):
        prepared.get(pk=patient.pk + 1000)


def test_prepared_get_caches_no_row_for_a_null_key(django_assert_num_queries):
    hold = HoldFactory(staff=None)

    with django_assert_num_queries(1):
        got = PreparedGet(Hold, "staff").get(pk=hold.pk)
        assert got.staff is None
    assert _columns(got) == _columns(Hold.objects.get(pk=hold.pk))


def _seats_in(rooms, since):
    found = Seat.objects.filter(room__clinic__created_at__gte=since).order_by("id")
    if rooms:  # a part left out for an empty list
        found = found.filter(room_id__in=rooms)
    return found.values_list("id", "room_id")


def test_prepared_query_takes_lists_of_ids_compiling_once_per_length(django_assert_num_queries):
    seats = [SeatFactory() for _ in range(3)]
    compiled_for = []

    def build(rooms, since):
        compiled_for.append(len(rooms))
        return _seats_in(rooms, since)

    prepared = PreparedQuery(build, rooms=list, since=datetime)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    runs = [[seats[0].room_id], [seats[2].room_id, seats[1].room_id], [seats[1].room_id], []]

    for rooms in runs:
        with django_assert_num_queries(1):
            rows = prepared.rows(rooms=rooms, since=since)

        assert rows == list(_seats_in(rooms, since))
    assert compiled_for == [1, 2, 0]


def test_prepared_query_refuses_a_lookup_that_transforms_its_value():
    prepared = PreparedQuery(
        lambda day: Appointment.objects.filter(start__date=day).values_list("id"), day=datetime
    )

    with pytest.raises(RuntimeError, match="transforms"):
        prepared.rows(day=datetime(2026, 1, 1, tzinfo=UTC))


def test_prepared_query_refuses_a_parameter_type_it_has_no_stand_in_for():
    with pytest.raises(TypeError, match="date"):
        PreparedQuery(lambda day: Appointment.objects.filter(start__date=day), day=date)


# --- refused writes -----------------------------------------------------------------------


def _hold_ending_before_it_starts() -> None:
    appointment = AppointmentFactory()
    Hold.objects.create(
        appointment=appointment,
        kind=HoldKind.SESSION,
        seat=appointment.seat,
        start=at(10),
        end=at(9),
    )


# --- inserts ------------------------------------------------------------------------------


def _hold_rows(holds):
    return list(
        Hold.objects.filter(id__in=[h.id for h in holds])
        .order_by("id")
        .values_list(
            "id", "appointment_id", "kind", "seat_id", "staff_id", "start", "end", "active"
        )
    )


@pytest.mark.parametrize("count", [1, 3])
def test_rows_insert_writes_what_bulk_create_writes_and_sets_the_ids(count):
    appointment = AppointmentFactory(start=at(9))
    seat = SeatFactory(room__clinic=appointment.clinic)

    def holds(hour):
        return [
            Hold(appointment=appointment, kind=HoldKind.SESSION, seat=seat,
                 start=at(hour + i), end=at(hour + i, 30))
            for i in range(count)
        ]  # fmt: skip

    inserted = rows_insert(holds(9))
    created = Hold.objects.bulk_create(holds(14))

    assert all(h.pk is not None and not h._state.adding for h in inserted)
    assert len({h.pk for h in inserted}) == count
    written, expected = _hold_rows(inserted), _hold_rows(created)
    assert [row[0] for row in written] == [h.pk for h in inserted]
    # The same columns, five hours apart: only the ids and times differ.
    shift = timedelta(hours=5)
    assert [(*r[1:5], r[5] + shift, r[6] + shift, r[7]) for r in written] == [
        r[1:] for r in expected
    ]


def test_rows_insert_compiles_once_per_number_of_rows_and_writes_json(django_assert_num_queries):
    appointment = AppointmentFactory(start=at(9))
    for day in range(3):
        events = [
            AppointmentEvent(
                appointment=appointment, action="booked", at=at(9) + timedelta(days=day),
                changes={"start": [None, at(10)], "day": day},
            )
        ]  # fmt: skip
        with django_assert_num_queries(1):
            rows_insert(events, returning_ids=False)

    stored = AppointmentEvent.objects.filter(appointment=appointment).order_by("at")
    assert [e.changes["day"] for e in stored] == [0, 1, 2]
    assert stored[0].changes["start"][1] == at(10).isoformat()


def test_rows_insert_together_writes_each_list_in_one_statement_on_postgresql(
    django_assert_num_queries,
):
    appointment = AppointmentFactory(start=at(9))
    seat = SeatFactory(room__clinic=appointment.clinic)
    holds = [
        Hold(appointment=appointment, kind=HoldKind.SESSION, seat=seat,
             start=at(hour), end=at(hour, 30))
        for hour in (9, 11)
    ]  # fmt: skip
    event = AppointmentEvent(
        appointment=appointment, action="booked", at=at(9), changes={"start": [None, at(9)]}
    )
    outbox = OutboxEvent(
        clinic_id=appointment.clinic_id, type="appointment.booked", subject="appointment:1",
        data={"appointment": appointment.id}, created_at=at(9),
    )  # fmt: skip
    statements = 1 if connection.vendor == "postgresql" else 3

    with django_assert_num_queries(statements):
        rows_insert_together([holds, [], [event], [outbox]])

    assert [(h.start, h.end) for h in Hold.objects.filter(seat=seat).order_by("start")] == [
        (at(9), at(9, 30)), (at(11), at(11, 30))
    ]  # fmt: skip
    assert list(AppointmentEvent.objects.values_list("appointment_id", "changes")) == [
        (appointment.id, {"start": [None, at(9).isoformat()]})
    ]
    assert list(OutboxEvent.objects.values_list("subject", "data")) == [
        ("appointment:1", {"appointment": appointment.id})
    ]
    assert not any(row._state.adding for row in [*holds, event, outbox])


def test_rows_insert_together_writes_nothing_when_one_part_is_refused():
    appointment = AppointmentFactory(start=at(9))
    event = AppointmentEvent(appointment=appointment, action="booked", at=at(9), changes={})
    backwards = Hold(
        appointment=appointment, kind=HoldKind.SESSION, seat=appointment.seat,
        start=at(10), end=at(9),
    )  # fmt: skip

    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert_together([[event], [backwards]])

    assert not AppointmentEvent.objects.filter(appointment=appointment).exists()


def test_rows_insert_of_nothing_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_insert([]) == []


def test_a_check_violation_is_named_on_postgresql_and_on_sqlite_is_not():
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _hold_ending_before_it_starts()

    expected = "hold_end_after_start" if connection.vendor == "postgresql" else None
    assert constraint_violated(refused.value) == expected
    assert not deadlock_detected(refused.value)


def test_errors_that_do_not_come_from_the_database_name_nothing():
    error = IntegrityError("hold_no_seat_overlap deadlock detected")

    assert constraint_violated(error) is None
    assert not deadlock_detected(error)


@pytest.mark.postgres
@requires_postgres
def test_constraint_violated_names_the_exclusion_constraint_a_double_booking_breaks():
    seat = SeatFactory()
    HoldFactory(seat=seat, start=at(9), end=at(10))

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        HoldFactory(seat=seat, start=at(9, 30), end=at(10, 30))

    assert constraint_violated(refused.value) == "hold_no_seat_overlap"


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_deadlock_detected_recognises_a_real_deadlock_and_only_for_its_victim():
    seats = [SeatFactory(), SeatFactory()]
    barrier = threading.Barrier(2)
    refused: list[OperationalError] = []
    finished: list[int] = []

    def lock_in_order(first: Seat, second: Seat) -> None:
        try:
            with transaction.atomic():
                list(Seat.objects.select_for_update().filter(pk=first.pk))
                barrier.wait(timeout=30)
                list(Seat.objects.select_for_update().filter(pk=second.pk))
            finished.append(first.pk)
        except OperationalError as exc:
            refused.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=lock_in_order, args=order) for order in (seats, seats[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(refused) == len(finished) == 1
    assert deadlock_detected(refused[0])
    assert constraint_violated(refused[0]) is None


# --- row locks ----------------------------------------------------------------------------


def test_row_locks_take_runs_one_statement_compiled_once_per_shape(django_assert_num_queries):
    seats = [SeatFactory(), SeatFactory(), SeatFactory()]
    locks = 1 if connection.features.has_select_for_update else 0

    for ids in ([seats[0].id, seats[1].id], [seats[2].id, seats[0].id], [seats[1].id]):
        with transaction.atomic(), django_assert_num_queries(locks):
            row_locks_take([(Seat, ids), (Patient, [])])


@contextlib.contextmanager
def locked_in_another_transaction(targets):
    """``row_locks_take(targets)`` in a transaction of another thread (and connection),
    held until the block ends."""
    taken = threading.Event()
    release = threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                row_locks_take(targets)
                taken.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert taken.wait(timeout=30)
        yield
    finally:
        release.set()
        thread.join(timeout=60)


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_row_locks_take_holds_the_rows_until_the_transaction_ends():
    held, free = SeatFactory(), SeatFactory()

    with locked_in_another_transaction([(Seat, [held.id])]), transaction.atomic():
        list(Seat.objects.select_for_update(nowait=True).filter(pk=free.pk))
        with pytest.raises(OperationalError):
            list(Seat.objects.select_for_update(nowait=True).filter(pk=held.pk))


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_row_locks_take_can_still_be_referred_to_by_new_rows():
    # A booking holds its clinic's row while it books; a cancel elsewhere in the clinic
    # writes an outbox event naming the clinic, whose foreign key is checked at commit.
    # Under FOR UPDATE that check waited for the booking (and deadlocked under load).
    clinic = ClinicFactory()

    with locked_in_another_transaction([(Clinic, [clinic.id])]):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            OutboxEvent.objects.create(
                clinic=clinic, type="appointment.cancelled", data={}, created_at=at(9)
            )
        assert OutboxEvent.objects.filter(clinic=clinic).count() == 1
        # Writers of the row itself still queue behind the holder.
        with transaction.atomic(), pytest.raises(OperationalError):
            list(Clinic.objects.select_for_update(nowait=True).filter(pk=clinic.pk))


def test_planner_statistics_are_written_on_sqlite_and_left_to_autovacuum_on_postgres(db):
    # Without statistics SQLite read the clinic's recovering patients through every
    # appointment of the clinic; with them it takes the partial index by start.
    clinic = ClinicFactory()
    for _ in range(3):
        HoldFactory(appointment=AppointmentFactory(clinic=clinic), kind=HoldKind.RECOVERY)
    done = planner_statistics_refresh()

    if connection.vendor != "sqlite":
        assert done.startswith("skipped")
        return
    assert done == "analyzed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl FROM sqlite_stat1")
        analyzed = {row[0] for row in cursor.fetchall()}
    assert {Hold._meta.db_table, Appointment._meta.db_table} <= analyzed
