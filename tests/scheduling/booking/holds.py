"""Checks on the holds table that tests share."""

import pytest
from django.conf import settings

requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (exclusion constraints); run with DATABASE_URL=postgres:///...",
)


def overlapping_active_holds() -> list[tuple[int, int]]:
    """Pairs of active holds that overlap on one seat or one staff member (should be none)."""
    from backend.scheduling.booking.models import Hold

    clashes = []
    for field in ("seat_id", "staff_id"):
        rows = (
            Hold.objects.filter(active=True, **{f"{field}__isnull": False})
            .order_by(field, "start")
            .values_list("id", field, "start", "end")
        )
        previous = None
        for row in rows:
            if previous and previous[1] == row[1] and row[2] < previous[3]:
                clashes.append((previous[0], row[0]))
            if previous is None or previous[1] != row[1] or row[3] > previous[3]:
                previous = row
    return clashes
