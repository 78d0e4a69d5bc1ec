"""The retry schedule: exponential, capped, jittered, and never past the 24-hour window."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.interop.webhooks.backoff import JITTER, next_attempt, retry_delay, should_disable

BASE = timedelta(seconds=10)
CAP = timedelta(hours=2)
T0 = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


def test_without_jitter_the_delay_doubles_from_the_base_up_to_the_cap():
    delays = [retry_delay(n, base=BASE, cap=CAP, jitter=0.5) for n in range(1, 14)]

    assert [d.total_seconds() for d in delays] == [
        10,
        20,
        40,
        80,
        160,
        320,
        640,
        1280,
        2560,
        5120,
        7200,
        7200,
        7200,
    ]


@given(attempt=st.integers(1, 200), jitter=st.floats(0, 1, exclude_max=True))
def test_jitter_stays_within_a_quarter_either_side(attempt, jitter):
    middle = retry_delay(attempt, base=BASE, cap=CAP, jitter=0.5)
    delay = retry_delay(attempt, base=BASE, cap=CAP, jitter=jitter)

    assert middle * (1 - JITTER) <= delay <= middle * (1 + JITTER)


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_a_receiver_that_never_answers_is_tried_about_twenty_times_over_24_hours(jitter):
    until = T0 + timedelta(hours=24)
    now, attempts = T0, [T0]
    while (
        now := next_attempt(
            attempt=len(attempts), now=now, retry_until=until, base=BASE, cap=CAP, jitter=jitter
        )
    ) is not None:
        attempts.append(now)
        if now >= until:
            break

    assert 17 <= len(attempts) <= 26
    assert attempts[-1] == until  # the last try is when the window closes, not after
    assert attempts == sorted(attempts)


def test_no_retry_once_the_window_has_closed():
    until = T0 + timedelta(hours=24)

    assert (
        next_attempt(attempt=20, now=until, retry_until=until, base=BASE, cap=CAP, jitter=0.5)
        is None
    )


@pytest.mark.parametrize(
    ("failures", "since", "disable"),
    [
        (10, timedelta(hours=24), True),
        (9, timedelta(hours=30), False),
        (50, timedelta(hours=23), False),
        (0, None, False),
    ],
)
def test_an_endpoint_is_disabled_only_after_enough_failures_for_long_enough(
    failures, since, disable
):
    now = T0 + timedelta(days=2)

    assert (
        should_disable(
            failures=failures,
            failing_since=None if since is None else now - since,
            now=now,
            min_failures=10,
            min_duration=timedelta(hours=24),
        )
        is disable
    )
