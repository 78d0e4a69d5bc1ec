"""PostgreSQL stopped and started under a running app server (gunicorn, its own process).

While the database is down, every request answers 503 with ``Retry-After`` (never 500)
and writes nothing; when it is back, the same server answers again with no restart of
its own (``CONN_HEALTH_CHECKS`` drops the dead connections), and no holds overlap.

These stop this machine's PostgreSQL for a few seconds: they run only when asked
(``KAP_DB_OUTAGE_TESTS=1``, as .ci/run does), never in an ordinary test run, and they
start the server again whatever happens.
"""

import os
import shutil
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection

from backend.scheduling.booking.models import Appointment, Hold
from tests.factories import TokenFactory
from tests.resilience.kit import Server, Site

CLUSTER = ("15", "main")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.db_outage,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL; run with DATABASE_URL=postgres:///...",
    ),
    pytest.mark.skipif(
        os.environ.get("KAP_DB_OUTAGE_TESTS") != "1",
        reason="stops the PostgreSQL server: only with KAP_DB_OUTAGE_TESTS=1 (CI sets it)",
    ),
    pytest.mark.skipif(
        shutil.which("pg_ctlcluster") is None or os.geteuid() != 0,
        reason="needs pg_ctlcluster, as root",
    ),
]


def pg_ctl(action: str) -> None:
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            *CLUSTER,
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def wait_until_ready(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q"], check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back within a minute")


def database_url() -> str:
    db = settings.DATABASES["default"]
    credentials = db["USER"] or ""
    if db.get("PASSWORD"):
        credentials += f":{db['PASSWORD']}"
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials + '@' if credentials else ''}{host}{port}/{db['NAME']}"


@pytest.fixture
def site(transactional_db, world, front_desk_user, tmp_path):
    token = TokenFactory(user=front_desk_user).key
    return Site(
        tmp_path,
        {"front_desk": token},
        {"DATABASE_URL": database_url(), "SECURE_SSL_REDIRECT": "0"},
    )


def booking(world, hour: int) -> dict:
    # One dosing session a day per patient: each booking is another patient's.
    return {
        "patient": world.patients[{9: 0, 11: 1, 13: 2}[hour]].id,
        "session_type": world.spravato.id,
        "start": world.at(hour).isoformat(),
    }


def overlapping_holds() -> int:
    """Active seat holds that begin before an earlier one on the same seat has ended."""
    overlaps, latest_end = 0, {}
    for hold in Hold.objects.filter(active=True, seat__isnull=False).order_by("seat_id", "start"):
        if hold.seat_id in latest_end and hold.start < latest_end[hold.seat_id]:
            overlaps += 1
        latest_end[hold.seat_id] = max(hold.end, latest_end.get(hold.seat_id, hold.end))
    return overlaps


def test_requests_during_an_outage_get_503_and_the_app_recovers_by_itself(site, world, tmp_path):
    with Server(site, workers=2, log=tmp_path / "gunicorn.log") as server:
        before = server.request("GET", "/api/v1/appointments/")
        assert before.status == 200, before.body
        # Both workers hold a connection to the database before it goes away.
        assert server.request("POST", "/api/v1/appointments/", booking(world, 9)).status == 201

        pg_ctl("stop")
        try:
            during = [
                server.request("GET", "/api/v1/appointments/"),
                server.request("POST", "/api/v1/appointments/", booking(world, 11)),
                server.request("GET", "/api/v1/appointments/"),
            ]
        finally:
            pg_ctl("start")
            wait_until_ready()
            connection.close()  # this process's connection died with the server too

        for answer in during:
            assert answer.status == 503, answer.body
            assert int(answer.headers["Retry-After"]) > 0
            assert answer.body["errors"] == {}
            assert "database" in answer.body["detail"]

        # The same server, not restarted: its dead connections are replaced.
        after = server.request("GET", "/api/v1/appointments/")
        for _ in range(2):  # every worker, whichever answers
            after = server.request("GET", "/api/v1/appointments/")
            assert after.status == 200, after.body
        booked = server.request("POST", "/api/v1/appointments/", booking(world, 13))
        assert booked.status == 201, booked.body

    starts = sorted(a.start.astimezone(world.zone).hour for a in Appointment.objects.all())
    assert starts == [9, 13]  # the booking sent during the outage wrote nothing
    assert overlapping_holds() == 0
