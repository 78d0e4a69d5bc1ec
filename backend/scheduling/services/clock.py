"""The one place the service reads the wall clock, so callers can pass "now" down."""

from datetime import datetime

from django.utils import timezone


def clock_now() -> datetime:
    return timezone.now()
