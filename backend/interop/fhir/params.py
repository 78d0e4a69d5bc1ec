"""FHIR search parameters, parsed from the query's plain strings: no Django, no ORM.

Each parser takes the values of one parameter (a parameter may repeat: its clauses are
ANDed) and answers plain data, or raises ``SearchError`` naming the parameter, which the
views answer as a 400 OperationOutcome.

- dates (``date=ge2030-01-07``, ``start=lt2030-01-08T10:00:00-05:00``): the prefixes
  ``eq``, ``gt``, ``ge``, ``lt``, ``le``, ``sa`` and ``eb`` over a point in time. A value
  without a time (``2030``, ``2030-01``, ``2030-01-07``) is the whole period in the
  clinic's zone; a value with a time must carry its offset.
- tokens (``status=booked,arrived``): a comma means OR.
- references (``patient=Patient/7``, ``patient=7``, or an absolute URL ending so).
- paging: ``_count`` (0 to ``MAX_COUNT``; more is cut to it) and ``_page`` (from 1).
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_COUNT = 50
MAX_COUNT = 500

# Parameters every search takes, whatever the resource type.
RESULT_PARAMS = frozenset({"_count", "_page", "_format"})

_DATE = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<offset>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_PREFIXES = frozenset({"eq", "gt", "ge", "lt", "le", "sa", "eb"})
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class SearchError(ValueError):
    """A search parameter the server cannot answer: 400, naming the parameter."""

    def __init__(self, param: str, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        # The OperationOutcome issue code: "invalid" for a bad value, "not-supported" for
        # a parameter this server does not answer.
        self.code = code


@dataclass(frozen=True)
class DateClause:
    """One ``prefix value`` clause of a date parameter, with the value's precision."""

    prefix: str
    day: date
    precision: str  # "year", "month", "day" or "instant"
    instant: datetime | None = None

    def period_in(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The half-open UTC period the value stands for; plain dates are local to ``zone``."""
        if self.instant is not None:
            start = self.instant.astimezone(UTC)
            return start, start + timedelta(seconds=1)
        if self.precision == "year":
            end_day = date(self.day.year + 1, 1, 1)
        elif self.precision == "month":
            end_day = (self.day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            end_day = self.day + timedelta(days=1)
        return _local_midnight(self.day, zone), _local_midnight(end_day, zone)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """Half-open bounds on an instant: ``start <= t < end``; None is unbounded."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, instant: datetime) -> bool:
        return (self.start is None or instant >= self.start) and (
            self.end is None or instant < self.end
        )

    @property
    def is_empty(self) -> bool:
        return self.start is not None and self.end is not None and self.end <= self.start


def date_clauses(param: str, values: Sequence[str]) -> tuple[DateClause, ...]:
    clauses = []
    for raw in values:
        if "," in raw:
            raise SearchError(param, f"'{param}' takes one date per value; repeat it to AND.")
        prefix, text = (raw[:2], raw[2:]) if raw[:2].isalpha() else ("eq", raw)
        if prefix not in _PREFIXES:
            raise SearchError(param, f"'{param}': the prefix '{prefix}' is not supported.")
        clauses.append(_date_clause(param, prefix, text))
    return tuple(clauses)


def _date_clause(param: str, prefix: str, text: str) -> DateClause:
    match = _DATE.match(text)
    if match is None:
        raise SearchError(param, f"'{param}': '{text}' is not a FHIR date or dateTime.")
    parts = match.groupdict()
    if parts["time"] is not None and parts["offset"] is None:
        raise SearchError(param, f"'{param}': a time needs its offset (Z or +hh:mm).")
    try:
        day = date(int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1))
        instant = (
            datetime.fromisoformat(f"{text[:10]}T{parts['time']}{parts['offset']}")
            if parts["time"] is not None
            else None
        )
    except ValueError as exc:
        raise SearchError(param, f"'{param}': '{text}' is not a valid date.") from exc
    if instant is not None:
        return DateClause(prefix, day, "instant", instant.replace(microsecond=0))
    precision = "day" if parts["day"] else "month" if parts["month"] else "year"
    return DateClause(prefix, day, precision)


def window_of(clauses: Iterable[DateClause], zone: ZoneInfo) -> Window:
    """The bounds all ``clauses`` put together (AND) on a point in time."""
    start: datetime | None = None
    end: datetime | None = None
    for clause in clauses:
        low, high = clause.period_in(zone)
        lower, upper = {
            "eq": (low, high),
            "ge": (low, None),
            "gt": (high, None),
            "sa": (high, None),
            "le": (None, high),
            "lt": (None, low),
            "eb": (None, low),
        }[clause.prefix]
        if lower is not None:
            start = lower if start is None else max(start, lower)
        if upper is not None:
            end = upper if end is None else min(end, upper)
    return Window(start, end)


def tokens(param: str, values: Sequence[str], allowed: Iterable[str]) -> frozenset[str]:
    """The codes of a token parameter (OR within a value, AND across repeats)."""
    allowed = frozenset(allowed)
    chosen: frozenset[str] | None = None
    for raw in values:
        codes = frozenset(code.split("|")[-1] for code in raw.split(",") if code)
        unknown = sorted(codes - allowed)
        if unknown or not codes:
            raise SearchError(param, f"'{param}': unknown code {', '.join(unknown) or '(empty)'}.")
        chosen = codes if chosen is None else chosen & codes
    return chosen if chosen is not None else allowed


def reference_ids(param: str, values: Sequence[str], *types: str) -> dict[str, set[str]]:
    """Ids named by a reference parameter, per resource type (OR within a value).

    A bare id stands for the first of ``types``; an id that is not a FHIR id can match
    nothing and is dropped.
    """
    found: dict[str, set[str]] | None = None
    for raw in values:
        named: dict[str, set[str]] = {}
        for item in (part for part in raw.split(",") if part):
            pieces = item.rstrip("/").split("/")
            kind, ident = (pieces[-2], pieces[-1]) if len(pieces) >= 2 else (types[0], pieces[0])
            if kind not in types:
                raise SearchError(param, f"'{param}' refers to {' or '.join(types)}.")
            if _ID.match(ident):
                named.setdefault(kind, set()).add(ident)
        if found is None:
            found = named
        else:
            found = {k: found.get(k, set()) & ids for k, ids in named.items()}
    return found or {}


def is_key(ident: str) -> bool:
    """Whether ``ident`` can be a database key: ASCII digits that fit a bigint."""
    return ident.isascii() and ident.isdigit() and len(ident) < 19


def int_ids(ids: Iterable[str]) -> set[int]:
    """The numeric ids among ``ids`` (database keys); others can match nothing."""
    return {int(i) for i in ids if is_key(i)}


def id_tokens(param: str, values: Sequence[str]) -> set[str]:
    """The logical ids of ``_id`` (OR within a value, AND across repeats)."""
    chosen: set[str] | None = None
    for raw in values:
        ids = {i for i in raw.split(",") if _ID.match(i)}
        chosen = ids if chosen is None else chosen & ids
    return chosen or set()


def booleans(param: str, values: Sequence[str]) -> bool:
    if len(values) != 1 or values[0] not in ("true", "false"):
        raise SearchError(param, f"'{param}' is true or false.")
    return values[0] == "true"


@dataclass(frozen=True)
class Paging:
    count: int = DEFAULT_COUNT
    page: int = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.count


def paging_of(params: Mapping[str, Sequence[str]]) -> Paging:
    return Paging(
        count=min(_one_int(params, "_count", DEFAULT_COUNT, minimum=0), MAX_COUNT),
        page=_one_int(params, "_page", 1, minimum=1),
    )


def _one_int(params: Mapping[str, Sequence[str]], name: str, default: int, minimum: int) -> int:
    values = params.get(name) or []
    if not values:
        return default
    if len(values) > 1 or not is_key(values[0]) or int(values[0]) < minimum:
        raise SearchError(name, f"'{name}' is a whole number from {minimum}.")
    return int(values[0])


def unknown_params(params: Mapping[str, Sequence[str]], known: Iterable[str]) -> list[str]:
    """Parameters (or modifiers, ``status:not``) this search does not support."""
    allowed = RESULT_PARAMS | frozenset(known)
    return sorted(name for name in params if name not in allowed)


def first_unknown(params: Mapping[str, Sequence[str]], known: Iterable[str]) -> None:
    unknown = unknown_params(params, known)
    if unknown:
        raise SearchError(
            unknown[0],
            f"The search parameter '{unknown[0]}' is not supported.",
            code="not-supported",
        )
