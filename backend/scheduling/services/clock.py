"""The one place the service reads the wall clock, so callers can pass "now" down.

``clock_shift`` moves the service's idea of now, for the end-to-end browser tests (which
must see a session's monitoring time pass) and for demos; nothing in production calls it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def clock_now() -> datetime:
    return timezone.now() + _offset


@contextmanager
def clock_shift(delta: timedelta) -> Iterator[None]:
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous
