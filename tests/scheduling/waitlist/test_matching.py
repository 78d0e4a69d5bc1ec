"""The waitlist's pure rules: who goes first, which starts fit, when an offer lapses."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from backend.scheduling.waitlist.matching import (
    MIN_LEAD,
    Wish,
    offer_expiry,
    start_fits,
    wishes_ranked,
)

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
DAY = date(2030, 1, 9)


def wish(entry_id, *, urgent=False, minutes=0, days=7, **fields):
    return Wish(
        entry_id=entry_id,
        urgent=urgent,
        created_at=NOW + timedelta(minutes=minutes),
        date_from=DAY,
        date_to=DAY + timedelta(days=days - 1),
        **fields,
    )


def test_wishes_ranked_urgent_then_first_come_then_tightest_window():
    late_urgent = wish(1, urgent=True, minutes=50)
    early = wish(2, minutes=0, days=30)
    same_time_tight = wish(3, minutes=0, days=2)
    later = wish(4, minutes=10, days=1)

    ranked = wishes_ranked([later, early, same_time_tight, late_urgent])

    assert [w.entry_id for w in ranked] == [1, 3, 2, 4]


def test_start_fits_respects_window_weekdays_declines_lead_and_bring_forward():
    start = datetime(2030, 1, 9, 14, 0, tzinfo=UTC)  # a Wednesday
    base = wish(1)

    assert start_fits(base, start, DAY, now=NOW)
    assert not start_fits(wish(1, weekdays=frozenset({0})), start, DAY, now=NOW)
    assert not start_fits(wish(1, declined=frozenset({start})), start, DAY, now=NOW)
    assert not start_fits(base, start, DAY - timedelta(days=1), now=NOW)
    assert not start_fits(base, start, DAY, now=start - MIN_LEAD + timedelta(minutes=1))
    assert not start_fits(wish(1, before=start), start, DAY, now=NOW)
    assert start_fits(wish(1, before=start + timedelta(days=1)), start, DAY, now=NOW)


@given(
    st.integers(0, 10_000),
    st.integers(-600, 10_000),
    st.integers(1, 10_000),
)
def test_offer_expiry_is_never_past_the_start(now_minutes, start_after, hold_minutes):
    now = NOW + timedelta(minutes=now_minutes)
    start = now + timedelta(minutes=start_after)

    expires = offer_expiry(now, start, timedelta(minutes=hold_minutes))

    assert expires <= start
    assert expires <= now + timedelta(minutes=hold_minutes)
    assert expires in (start, now + timedelta(minutes=hold_minutes))
