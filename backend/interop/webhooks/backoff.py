"""When to try a failed delivery again: exponential backoff with jitter, for a window.

Pure: no clock, no randomness of its own (the caller passes ``jitter`` in [0, 1)).
With the defaults (base 10 s, cap 2 h, +-25 % jitter) the attempts come after about
10 s, 20 s, 40 s, 80 s, 3, 5, 11, 21, 43 and 85 minutes, then every 2 hours until the
24-hour window closes: about 20 attempts in all.
"""

from datetime import datetime, timedelta

JITTER = 0.25


def retry_delay(attempt: int, *, base: timedelta, cap: timedelta, jitter: float) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1 for the first)."""
    exponent = min(max(attempt - 1, 0), 40)
    raw = min(base * (2**exponent), cap)
    return raw * (1 - JITTER + 2 * JITTER * jitter)


def next_attempt(
    *,
    attempt: int,
    now: datetime,
    retry_until: datetime,
    base: timedelta,
    cap: timedelta,
    jitter: float,
) -> datetime | None:
    """When to try again after a failure, or None once the retry window has closed."""
    if now >= retry_until:
        return None
    # The last attempt comes when the window closes, not after it.
    return min(now + retry_delay(attempt, base=base, cap=cap, jitter=jitter), retry_until)


def should_disable(
    *,
    failures: int,
    failing_since: datetime | None,
    now: datetime,
    min_failures: int,
    min_duration: timedelta,
) -> bool:
    """An endpoint "keeps failing": enough consecutive failures over long enough."""
    return (
        failing_since is not None
        and failures >= min_failures
        and now - failing_since >= min_duration
    )
