"""Where the code steps past the ORM, in one place, for both SQLite and PostgreSQL.

- SQL expressions the ORM lacks (``EpochSeconds``, ``EpochMinutes``, ``IntegerList``,
  ``TextList``);
- raw-cursor reads of ORM-built querysets (``raw_rows_fetch``, ``PreparedQuery``,
  ``PreparedGet``), used
  where profiling showed the ORM's own work costing as much as the query;
- what the database driver says about a refused write (``constraint_violated``,
  ``deadlock_detected``), read from its diagnostics, never from the message text.

The ORM stays the only definition of every query: nothing here writes SQL for a table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Aggregate, Func, IntegerField, Model, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.db.models.sql import InsertQuery
from django.utils.dateparse import parse_datetime

# --- expressions --------------------------------------------------------------------------


class EpochSeconds(Func):
    """Whole seconds since 1970-01-01 UTC of a datetime column, as an integer.

    Reading thousands of busy spans as integers instead of datetimes skips the per-row
    datetime parsing of both database drivers.
    """

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps aware datetimes on SQLite as UTC text; unixepoch() needs 3.38+.
        if connection.Database.sqlite_version_info >= (3, 38):
            seconds = Func(*self.get_source_expressions(), function="unixepoch")
        else:  # pragma: no cover - depends on the SQLite library Python was built with
            seconds = Cast(
                Func(Value("%s"), *self.get_source_expressions(), function="strftime"),
                IntegerField(),
            )
        return compiler.compile(seconds)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(date_part('epoch', %(expressions)s))::bigint",
            **extra,
        )


class EpochMinutes(Func):
    """Whole minutes since 1970-01-01 UTC of a datetime column, floored, as an integer."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Integer division of non-negative seconds floors.
        return compiler.compile(EpochSeconds(*self.get_source_expressions()) / Value(60))

    def as_postgresql(self, compiler, connection, **extra):
        # date_part() is double precision: much cheaper per row than EXTRACT's numeric.
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(date_part('epoch', %(expressions)s) / 60)::bigint",
            **extra,
        )


class IntegerList(Aggregate):
    """All of a group's values of an integer expression, as one list (in no set order).

    One row per group instead of one per value: turning 200,000 rows into Python tuples
    costs about as much as the whole utilization computation. PostgreSQL hands back an array
    (psycopg parses it in C); SQLite a comma-separated text, split and parsed by ``int``
    in C. A group with no value (its ``filter`` matched nothing) gives an empty list.
    """

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="group_concat", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="array_agg", **extra)

    def convert_value(self, value, expression, connection):
        if isinstance(value, str):
            return list(map(int, value.split(",")))
        # None: the group had no row for this aggregate's filter.
        return value or []


class TextList(Aggregate):
    """All of a group's values of a text expression, as one list (in no set order).

    PostgreSQL hands back an array; SQLite a text joined by the unit separator (a character
    no name or role contains), split here. A group with no value gives an empty list.
    """

    output_field = TextField()
    SEPARATOR = "\x1f"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="group_concat(%(expressions)s, char(31))", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="array_agg", **extra)

    def convert_value(self, value, expression, connection):
        if isinstance(value, str):
            return value.split(self.SEPARATOR)
        return [v for v in value or [] if v is not None]


# --- raw-cursor reads ---------------------------------------------------------------------
#
# Both run on the default database (the only one), as ``sql_with_params`` compiles for it,
# and return the driver's own values: no ORM converters run. Use them only for columns the
# driver already returns as wanted (integers, text) or read with ``raw_datetime``.


def raw_rows_fetch(queryset: QuerySet) -> list[tuple]:
    """The rows of ``queryset`` (a ``values_list``) exactly as the driver returns them.

    For reads of thousands of plain integer rows (a calendar's busy spans as epoch
    seconds): there the ORM's per-value converters cost more than the query itself, and
    none is needed. Profiled on plan preview + book, the drivers' datetime parsing and
    the ORM's converters were half the request before busy spans were read this way.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def raw_datetime(value: Any) -> datetime | None:
    """The aware datetime behind a datetime column read by a raw cursor.

    SQLite gives naive UTC (or text, for an aggregate such as ``Max``), PostgreSQL an
    aware datetime.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _db_param(value: Any) -> Any:
    """A parameter as the database adapter takes it (what the ORM would have passed)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _prepared_cursor():
    """A cursor that runs each statement as a server-side prepared statement, on
    PostgreSQL; elsewhere the usual cursor.

    Why: the statements compiled once here (a search's and a booking's board query, the
    row locks, a feed poll's lookups) run on every request with new values, and
    PostgreSQL planned the board query afresh each time: 1.3-2 ms of a 1-2 ms execution.
    A prepared statement is planned once per connection (after five custom plans,
    PostgreSQL keeps a generic plan only if it costs no more). Django's own cursors bind
    parameters on the client, which cannot prepare; this one binds them on the server,
    for these statements only (the rest of the ORM is unchanged). It goes through
    Django's cursor wrapper, so queries are counted and logged as any other. Settings
    turn preparing off for poolers (``DATABASE_PREPARED_STATEMENTS=0``: the connection's
    ``prepare_threshold`` is then None); the statements still bind on the server.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    # As Django's own cursor(): drop a connection that failed its health check (the
    # server restarted) before using it, so the request reconnects instead of failing.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedPreparedCursor(cursor, connection)
    return connection.make_cursor(cursor)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """Logs (``connection.queries``, test query captures) a prepared statement as Django
    logs its own: the SQL with its values. Django reads it back from the driver's last
    query, which a prepared statement leaves empty."""

    def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
        if use_last_executed_query and sql is not None:
            sql = self.db.ops.compose_sql(sql, params)
        return super().debug_sql(sql, params, use_last_executed_query=False, many=many)


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding, and every statement prepared (psycopg keeps the last
    ``prepared_max`` statements per connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


# A stand-in value per parameter type: ``i`` is the parameter's position, so that no two
# parameters of a query share one. Nothing real has these values (negative ids, years
# before any clinic).
_PROBES: dict[type, Callable[[int], Any]] = {
    int: lambda i: -7_700_001 - i,
    str: lambda i: f"prepared-query-probe-{i}",
    datetime: lambda i: datetime(1901 + i, 2, 3, 4, 5, 6, tzinfo=UTC),
}


def _list_probes(i: int, length: int) -> list[int]:
    """Stand-ins for the ``length`` ids of list parameter ``i`` (apart from every other)."""
    return [-8_800_001 - i * 100_000 - j for j in range(length)]


# Where each SQL parameter comes from: (False, a constant), (True, a name), or
# (True, (a name, an index into that list)).
_Slots = tuple[tuple[bool, Any], ...]


class PreparedQuery:
    """A query built by the ORM and compiled once per process, then run with new values.

    Why: the queries a calendar poll runs (a feed's token lookup and ETag aggregate) cost
    less to run than to compile, and a feed's 304 has a 3 ms budget; a booking's and a
    search's board query is built from four querysets and cost more to build than to run.

    ``build`` makes the queryset (a ``values_list``) from named values; ``params`` names
    each value's type (``int``, ``str``, ``datetime``, or ``list`` for a list of ids). On
    first use per database vendor (and per length of each list, since ``__in`` writes one
    placeholder per id) the queryset is built with stand-in values of those types,
    compiled, and the position of each stand-in among the SQL parameters remembered;
    ``rows`` then puts the real values in those positions and goes straight to the cursor.
    ``build`` may leave out a part for an empty list (a list's length is all it may
    branch on). Compiling refuses a query in which a stand-in does not appear unchanged (a
    lookup that transforms its value, such as ``__date``), since that query could not be
    reused safely.

    Rows come back as the driver returns them (see ``raw_datetime``).
    """

    def __init__(self, build: Callable[..., QuerySet], **params: type) -> None:
        unknown = {
            name: kind for name, kind in params.items() if kind not in _PROBES and kind is not list
        }
        if unknown:
            raise TypeError(f"cannot prepare parameters of types {unknown}")
        self._build = build
        self._params = params
        self._compiled: dict[tuple, tuple[str, _Slots]] = {}

    def _probes(self, shape: tuple[int, ...]) -> dict[str, Any]:
        lengths = iter(shape)
        return {
            name: _list_probes(i, next(lengths)) if kind is list else _PROBES[kind](i)
            for i, (name, kind) in enumerate(self._params.items())
        }

    def _compile(self, shape: tuple[int, ...]) -> tuple[str, _Slots]:
        key = (connection.vendor, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            probes = self._probes(shape)
            sql, params = self._build(**probes).query.sql_with_params()
            names: dict[Any, Any] = {}
            for name, value in probes.items():
                if isinstance(value, list):
                    names.update({_db_param(v): (name, j) for j, v in enumerate(value)})
                else:
                    names[_db_param(value)] = name
            slots = tuple((p in names, names.get(p, p)) for p in params)
            missing = set(names.values()) - {where for named, where in slots if named}
            if missing:
                raise RuntimeError(
                    f"cannot prepare a query that transforms {sorted(map(str, missing))}"
                )
            compiled = self._compiled[key] = (sql, slots)
        return compiled

    def rows(self, **values: Any) -> list[tuple]:
        """The query's rows for these values (one query)."""
        shape = tuple(len(values[n]) for n, kind in self._params.items() if kind is list)
        sql, slots = self._compile(shape)
        params = [
            (_db_param(values[v]) if type(v) is str else values[v[0]][v[1]]) if named else v
            for named, v in slots
        ]
        with _prepared_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class PreparedGet:
    """One row of ``model`` by primary key with one foreign key's row (``select_related``),
    as instances, compiled once per process (and prepared on PostgreSQL).

    Why: a booking and a search read their patient with its clinic first, and building
    that ``get()`` through the ORM cost more than the query. The SQL is the ORM's own for
    ``model.objects.select_related(related).filter(pk=...)``; the values go through the
    compiler's converters (SQLite's dates, booleans) and each row becomes its model's
    instance through ``from_db``, the related one cached on the other as
    ``select_related`` leaves it.
    """

    def __init__(self, model: type[Model], related: str) -> None:
        self.model = model
        self._field = model._meta.get_field(related)
        self._compiled: dict[str, tuple[str, list, list[str], list[str]]] = {}

    def _compile(self) -> tuple[str, list, list[str], list[str]]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            probe = _PROBES[int](0)
            queryset = self.model.objects.select_related(self._field.name).filter(pk=probe)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            if list(params) != [probe]:
                raise RuntimeError("cannot prepare a lookup whose only value is not its key")
            own = [f.attname for f in self.model._meta.concrete_fields]
            related = [f.attname for f in self._field.related_model._meta.concrete_fields]
            if len(compiler.select) != len(own) + len(related):
                raise RuntimeError("the related row's columns are not the ones expected")
            converters = list(
                compiler.get_converters([col for col, _, _ in compiler.select]).items()
            )
            compiled = self._compiled[connection.vendor] = (sql, converters, own, related)
        return compiled

    def get(self, *, pk: int) -> Model:
        """The instance with this key, its related row loaded (one query); the model's
        ``DoesNotExist`` if there is none, as ``QuerySet.get``."""
        sql, converters, own, related = self._compile()
        with _prepared_cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            raise self.model.DoesNotExist(f"no {self.model._meta.object_name} {pk}")
        values = list(row)
        for index, (functions, expression) in converters:
            for function in functions:
                values[index] = function(values[index], expression, connection)
        obj = self.model.from_db(connection.alias, own, values[: len(own)])
        rel = self._field.related_model.from_db(connection.alias, related, values[len(own) :])
        # A null key's outer join gives a row of nulls: select_related caches None then.
        self._field.set_cached_value(obj, rel if rel.pk is not None else None)
        return obj


# --- inserts ------------------------------------------------------------------------------

# At most this many rows per statement are kept compiled (a course's holds are the most a
# write makes at once); a longer insert is compiled for its own use.
_INSERT_CACHED_ROWS = 64
_INSERTS: dict[tuple, tuple[str, list, bool]] = {}


def _insert_compiled(objs: list[Model], returning_ids: bool) -> tuple[str, list]:
    """The INSERT of ``objs`` (one model) and its values, compiled once per process for
    each number of rows."""
    model = type(objs[0])
    opts = model._meta
    key = (connection.vendor, opts.label, len(objs), returning_ids)
    compiled = _INSERTS.get(key)
    if compiled is None:
        fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
        query = InsertQuery(model)
        query.insert_values(fields, objs)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [opts.pk] if returning_ids else None
        [(statement, params)] = compiler.as_sql()
        # PostgreSQL's compiler writes several rows as UNNEST of one array per field.
        unnest = len(objs) > 1 and len(params) == len(fields)
        compiled = (statement, fields, unnest)
        if len(objs) <= _INSERT_CACHED_ROWS:
            _INSERTS[key] = compiled
    statement, fields, unnest = compiled
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    values = (
        [list(column) for column in zip(*rows, strict=True)]
        if unnest
        else [v for r in rows for v in r]
    )
    return statement, values


def _inserted(objs: list[Model], ids: list | None) -> None:
    for index, obj in enumerate(objs):
        if ids is not None:
            obj.pk = ids[index][0]
        obj._state.adding = False
        obj._state.db = connection.alias


def rows_insert(objs: list[Model], *, returning_ids: bool = True) -> list[Model]:
    """INSERT new instances of one model in one statement, as ``bulk_create`` would, and
    set their ids; the statement is compiled once per process for each number of rows.

    Why: a booking writes four rows (appointment, holds, audit entry, outbox event), and
    ``bulk_create`` built each statement afresh: the four were a quarter of a booking's
    profile, their round trips included. The SQL comes from Django's own insert compiler,
    for the same fields ``bulk_create`` writes (every concrete field but an automatic id);
    values go through each field's ``pre_save`` and ``get_db_prep_save`` as there. No
    signals are sent (as with ``bulk_create``).
    """
    if not objs:
        return objs
    statement, values = _insert_compiled(objs, returning_ids)
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        ids = cursor.fetchall() if returning_ids else None
    _inserted(objs, ids)
    return objs


def rows_insert_together(groups: list[list[Model]]) -> None:
    """INSERT several lists of new instances (one model per list, ids not read back): on
    PostgreSQL in one statement, each INSERT but the last a data-modifying ``WITH``
    part; elsewhere one statement per list, as ``rows_insert``.

    Why: after its appointment, a booking writes its holds, its audit entry and its
    outbox event, none of which it reads back; three round trips were a tenth of its
    time. PostgreSQL runs every part of the statement (referenced or not) on the same
    snapshot, so no part may read what another writes; these only write. Foreign keys
    are checked at commit (Django makes them deferrable), and a constraint a part breaks
    fails the whole statement as it would have failed its own.
    """
    groups = [objs for objs in groups if objs]
    if not groups:
        return
    if connection.vendor != "postgresql":
        for objs in groups:
            rows_insert(objs, returning_ids=False)
        return
    parts, values = [], []
    for objs in groups:
        statement, more = _insert_compiled(objs, False)
        parts.append(statement)
        values += more
    sql = parts[-1]
    if len(parts) > 1:
        sql = (
            "WITH "
            + ", ".join(f"written_{i} AS ({part})" for i, part in enumerate(parts[:-1]))
            + " "
            + sql
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
    for objs in groups:
        _inserted(objs, None)


# --- row locks ----------------------------------------------------------------------------


_LOCK_SQL: dict[tuple, str] = {}


def _locking(model, ids: list[int]) -> QuerySet:
    # FOR NO KEY UPDATE: writers of these rows queue behind each other as with FOR UPDATE,
    # but a row that merely refers to them (a new event naming the clinic, checked at
    # commit) does not wait. With FOR UPDATE a booking holding its clinic's row and a
    # cancel committing an event of that clinic deadlocked under load.
    return (
        model.objects.select_for_update(no_key=True)
        .filter(id__in=ids)
        .order_by("id")
        .values_list("id")
    )


def row_locks_take(targets: list[tuple[Any, list[int]]]) -> None:
    """Lock the rows of several tables by id in one statement: ``(model, ids)`` pairs,
    each table's rows in ascending id order, the tables in the order given.

    Each table's ``select_for_update()`` queryset (built by the ORM) becomes a scalar
    subquery of one SELECT; PostgreSQL evaluates them left to right, so the locks are
    taken in the order given, as separate statements would take them, in one round trip
    instead of one per table. The statement is built and compiled once per process for
    each set of tables and numbers of ids (a booking locks the same shape every time),
    then run with the ids. Runs inside the caller's transaction. Databases without row
    locks: nothing to do.
    """
    if not connection.features.has_select_for_update:
        return
    targets = [(model, sorted(set(ids))) for model, ids in targets if ids]
    if not targets:
        return
    key = (connection.vendor, tuple((model._meta.label, len(ids)) for model, ids in targets))
    sql = _LOCK_SQL.get(key)
    if sql is None:
        probes = [_list_probes(i, len(ids)) for i, (_, ids) in enumerate(targets)]
        parts, params = [], []
        for index, ((model, _), ids) in enumerate(zip(targets, probes, strict=True)):
            part, more = _locking(model, ids).query.sql_with_params()
            parts.append(f"(SELECT count(*) FROM ({part}) AS locked_{index})")
            params += more
        if list(params) != [probe for ids in probes for probe in ids]:
            raise RuntimeError("cannot prepare a lock whose parameters are not its ids")
        sql = _LOCK_SQL[key] = "SELECT " + ", ".join(parts)
    with _prepared_cursor() as cursor:
        cursor.execute(sql, [i for _, ids in targets for i in ids])
        cursor.fetchall()


# --- refused writes -----------------------------------------------------------------------
#
# Django wraps the driver's exception and chains it as ``__cause__``; psycopg 3 exposes
# the server's diagnostics there. SQLite's driver names neither constraint nor error
# code, and SQLite has no exclusion constraints and serializes writers: on SQLite these
# recognise nothing.

DEADLOCK_SQLSTATE = "40P01"  # PostgreSQL's deadlock_detected


def _driver_error(exc: BaseException) -> BaseException:
    return exc.__cause__ if exc.__cause__ is not None else exc


def constraint_violated(exc: BaseException) -> str | None:
    """The name of the constraint whose violation made the database refuse a write, if
    the driver says (PostgreSQL); None otherwise."""
    diag = getattr(_driver_error(exc), "diag", None)
    return getattr(diag, "constraint_name", None)


def deadlock_detected(exc: BaseException) -> bool:
    """Whether the database aborted this transaction to break a deadlock (PostgreSQL)."""
    return getattr(_driver_error(exc), "sqlstate", None) == DEADLOCK_SQLSTATE


# --- the database unable to serve a request for now -----------------------------------------
# Failures that say nothing about the request and pass once the database is back, not
# busy, or has room again: the API answers 503 with Retry-After, never 500 (see
# backend.common.errors). Recognised from the driver's codes, never from message text:
# any other database error (a missing table, a bug) stays an error.

# PostgreSQL SQLSTATEs (and classes) of a server that cannot serve the request right now.
_PG_BUSY = {"40001", "40P01", "55P03", "57014"}  # serialization, deadlock, lock, timeout
_PG_READ_ONLY = {"25006"}  # read_only_sql_transaction (a standby, or set read-only)
_PG_FULL_CLASS = "53"  # insufficient resources: disk full, out of memory, connections
_PG_DOWN_CLASSES = {"08", "57"}  # connection exceptions; shutdown, cannot connect now
# SQLite primary result codes (the low byte of an extended code).
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY ("database is locked"), SQLITE_LOCKED
_SQLITE_READ_ONLY = {8}  # SQLITE_READONLY
_SQLITE_FULL = {13}  # SQLITE_FULL
_SQLITE_DOWN = {10, 14, 15}  # SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL


@dataclass(frozen=True)
class Unavailable:
    """Why the database could not serve a request, for the client, and when to retry."""

    reason: str  # "busy", "read_only", "full" or "down"
    message: str
    retry_after: int


_UNAVAILABLE = {
    "busy": Unavailable(
        "busy",
        "The database is busy with other changes at the moment; nothing was written. "
        "Try again in a moment.",
        1,
    ),
    "read_only": Unavailable(
        "read_only",
        "The database accepts no changes at the moment (it is read-only); nothing was "
        "written. Try again later.",
        30,
    ),
    "full": Unavailable(
        "full",
        "The database has run out of space or resources; nothing was written. Try again later.",
        30,
    ),
    "down": Unavailable(
        "down",
        "The database cannot be reached at the moment; nothing was written. Try again shortly.",
        5,
    ),
}


def database_unavailable(exc: BaseException) -> Unavailable | None:
    """Why the database could not serve this request for now, if that is why ``exc``
    was raised; None for any other error (which stays an error)."""
    from django.db import DatabaseError, InterfaceError, OperationalError

    if not isinstance(exc, DatabaseError):
        return None
    driver = _driver_error(exc)
    sqlite_code = getattr(driver, "sqlite_errorcode", None)
    if sqlite_code is not None:
        primary = sqlite_code & 0xFF
        for reason, codes in (
            ("busy", _SQLITE_BUSY),
            ("read_only", _SQLITE_READ_ONLY),
            ("full", _SQLITE_FULL),
            ("down", _SQLITE_DOWN),
        ):
            if primary in codes:
                return _UNAVAILABLE[reason]
        return None
    sqlstate = getattr(driver, "sqlstate", None)
    if sqlstate:
        if sqlstate in _PG_BUSY:
            return _UNAVAILABLE["busy"]
        if sqlstate in _PG_READ_ONLY:
            return _UNAVAILABLE["read_only"]
        if sqlstate[:2] == _PG_FULL_CLASS:
            return _UNAVAILABLE["full"]
        if sqlstate[:2] in _PG_DOWN_CLASSES:
            return _UNAVAILABLE["down"]
        return None
    # No code at all: the driver lost (or never had) its connection to the server.
    if isinstance(exc, InterfaceError | OperationalError):
        return _UNAVAILABLE["down"]
    return None


# --- planner statistics -------------------------------------------------------------------


def planner_statistics_refresh() -> str:
    """Give SQLite's query planner table statistics; PostgreSQL's autovacuum keeps its own.

    Without statistics SQLite guesses, and for the clinic's recovering patients it guessed
    a scan of every appointment of the clinic over the recovery-hold index (15-30 ms a
    booking at 100k appointments). ``analysis_limit`` samples each index, so this takes
    tens of milliseconds whatever the size. Run on the worker's schedule and by the bench
    after building its data. Returns what was done, for the task's result.
    """
    if connection.vendor != "sqlite":
        return "skipped: autovacuum analyzes PostgreSQL"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    return "analyzed"
