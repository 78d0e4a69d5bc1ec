"""Which authorization covers which session: a pure allocation over plain data.

Sessions are taken in time order and each uses one unit of the covering authorization
that ends soonest (so a longer one is saved for the later sessions it alone may cover).
No Django, no clock: the service passes the authorizations' remaining units in.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Grant:
    """One authorization as the allocation sees it."""

    id: int
    session_type_ids: frozenset[int]
    start_date: date
    end_date: date
    remaining: int

    def covers(self, session_type_id: int, day: date) -> bool:
        return session_type_id in self.session_type_ids and self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class Need:
    """One session that may need a unit: ``key`` identifies it to the caller."""

    key: Hashable
    session_type_id: int
    day: date
    required: bool


@dataclass(frozen=True)
class Cover:
    authorization_id: int | None
    covered: bool


def coverage_allocate(grants: Iterable[Grant], needs: Sequence[Need]) -> dict[Hashable, Cover]:
    """Each need's authorization (or None) and whether it is covered.

    A session whose type needs no authorization is covered without a unit; one that needs
    it is covered only by a unit of a grant whose types and dates include it. No grant
    gives more units than it has remaining.
    """
    grants = list(grants)
    left = {g.id: max(g.remaining, 0) for g in grants}
    ordered = sorted(grants, key=lambda g: (g.end_date, g.id))
    result: dict[Hashable, Cover] = {}
    for need in sorted(needs, key=lambda n: n.day):
        if not need.required:
            result[need.key] = Cover(None, True)
            continue
        chosen = next(
            (g for g in ordered if left[g.id] > 0 and g.covers(need.session_type_id, need.day)),
            None,
        )
        if chosen is None:
            result[need.key] = Cover(None, False)
        else:
            left[chosen.id] -= 1
            result[need.key] = Cover(chosen.id, True)
    return result
