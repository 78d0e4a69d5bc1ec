"""The pure allocation of authorization units to sessions (no database)."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from backend.scheduling.authorizations.coverage import Cover, Grant, Need, coverage_allocate

DAY = date(2030, 1, 7)


def test_coverage_allocate_uses_the_soonest_ending_authorization_first():
    short = Grant(1, frozenset({5}), DAY, DAY + timedelta(days=10), remaining=1)
    long = Grant(2, frozenset({5}), DAY, DAY + timedelta(days=90), remaining=1)
    needs = [Need("a", 5, DAY, True), Need("b", 5, DAY + timedelta(days=30), True)]

    result = coverage_allocate([long, short], needs)

    assert result == {"a": Cover(1, True), "b": Cover(2, True)}


def test_coverage_allocate_leaves_a_session_outside_the_dates_or_types_uncovered():
    grant = Grant(1, frozenset({5}), DAY, DAY + timedelta(days=10), remaining=9)
    needs = [
        Need("late", 5, DAY + timedelta(days=11), True),
        Need("other-type", 6, DAY, True),
        Need("free", 6, DAY, False),
    ]

    result = coverage_allocate([grant], needs)

    assert result == {
        "late": Cover(None, False),
        "other-type": Cover(None, False),
        "free": Cover(None, True),
    }


grants_strategy = st.lists(
    st.builds(
        Grant,
        id=st.integers(1, 6),
        session_type_ids=st.frozensets(st.integers(1, 3), min_size=1),
        start_date=st.dates(DAY, DAY + timedelta(days=30)),
        end_date=st.dates(DAY + timedelta(days=30), DAY + timedelta(days=60)),
        remaining=st.integers(0, 4),
    ),
    unique_by=lambda g: g.id,
    max_size=4,
)
needs_strategy = st.lists(
    st.builds(
        Need,
        key=st.integers(),
        session_type_id=st.integers(1, 3),
        day=st.dates(DAY, DAY + timedelta(days=70)),
        required=st.booleans(),
    ),
    unique_by=lambda n: n.key,
    max_size=20,
)


@given(grants_strategy, needs_strategy)
def test_coverage_allocate_never_gives_more_units_than_remain(grants, needs):
    result = coverage_allocate(grants, needs)

    by_id = {g.id: g for g in grants}
    for grant in grants:
        used = sum(1 for c in result.values() if c.authorization_id == grant.id)
        assert used <= grant.remaining
    for need in needs:
        cover = result[need.key]
        if not need.required:
            assert cover == Cover(None, True)
        elif cover.covered:
            assert by_id[cover.authorization_id].covers(need.session_type_id, need.day)
