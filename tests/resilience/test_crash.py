"""``kill -9`` of a gunicorn worker in the middle of a course booking.

The worker is stopped at ``plan_book.written`` (backend/common/faults.py): every
appointment, hold and planned session of the course written, nothing committed. Killed
there, the course must be wholly absent (the database rolls the open transaction back;
on SQLite in the SQLite run, on PostgreSQL in the PostgreSQL run), no hold may be left
without its appointment, and the Idempotency-Key's claim behaves as
backend/scheduling/booking/idempotency.py documents: "in progress" (409, retry later)
until its lease runs out, then claimable again, when the retry books the whole course
once and every further retry replays that answer.
"""

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

from backend.scheduling.booking.idempotency import IN_PROGRESS_LEASE
from tests.resilience.kit import Server

KEY = "crash-test-course-1"


def draft_plan(server: Server) -> int:
    """A new draft course whose preview places every session."""
    start = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    for patient in range(1, 18):
        created = server.request(
            "POST",
            "/api/v1/plans/",
            {"patient": patient, "template": "iv-ketamine", "start_date": start},
        )
        if created.status != 201:
            continue
        plan = created.body["id"]
        preview = server.request("POST", f"/api/v1/plans/{plan}/preview/", {})
        if preview.status == 200 and preview.body["sessions"] and not preview.body["unplaced"]:
            return plan
    raise AssertionError("no demo patient has a fully placeable IV ketamine course")


def wait_for(path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"nothing reached the fault point within {timeout} s")


def course_rows(site, plan: int) -> dict[str, int]:
    return {
        "appointments": site.scalar(
            "select count(*) from scheduling_appointment where plan_id = ?", (plan,)
        ),
        "holds": site.scalar(
            "select count(*) from scheduling_hold h join scheduling_appointment a "
            "on a.id = h.appointment_id where a.plan_id = ?",
            (plan,),
        ),
        "booked_sessions": site.scalar(
            "select count(*) from plans_plannedsession where plan_id = ? "
            "and appointment_id is not null",
            (plan,),
        ),
    }


def orphan_holds(site) -> int:
    """Holds owned by nothing: neither an appointment nor (a facilitator's) group session."""
    return site.scalar(
        "select count(*) from scheduling_hold h"
        " left join scheduling_appointment a on a.id = h.appointment_id"
        " left join scheduling_groupsession g on g.id = h.group_session_id"
        " where a.id is null and g.id is null"
    )


def test_kill_9_in_the_middle_of_a_course_booking_leaves_it_wholly_absent(demo_site, tmp_path):
    site = demo_site
    marker = tmp_path / "reached"
    pause = f"plan_book.written={marker}"
    with Server(site, workers=1, log=tmp_path / "gunicorn.log", KAP_FAULT_PAUSES=pause) as server:
        plan = draft_plan(server)
        sessions = len(
            server.request("POST", f"/api/v1/plans/{plan}/preview/", {}).body["sessions"]
        )
        answers = []

        def book():
            try:
                answers.append(
                    server.request(
                        "POST", f"/api/v1/plans/{plan}/book/", {}, headers={"Idempotency-Key": KEY}
                    )
                )
            except OSError as error:  # the connection dies with the worker
                answers.append(error)

        client = threading.Thread(target=book)
        client.start()
        worker = int(wait_for(marker))
        # The course is written inside the worker's open transaction: kill it there.
        os.kill(worker, signal.SIGKILL)
        client.join(timeout=60)

        # The client saw its connection die (or the server's error), never a success.
        assert len(answers) == 1
        assert isinstance(answers[0], OSError) or answers[0].status >= 500
        assert course_rows(site, plan) == {"appointments": 0, "holds": 0, "booked_sessions": 0}
        assert orphan_holds(site) == 0
        assert (
            site.scalar("select status from plans_treatmentplan where id = ?", (plan,)) == "draft"
        )
        # The claim of the killed request stays "in progress" until its lease runs out.
        claim = site.query(
            "select state, created_at from scheduling_idempotencykey where key = ?", (KEY,)
        )
        assert [state for state, _ in claim] == ["in_progress"]

        marker.unlink()
        # gunicorn's master has started a new worker; a retry meanwhile is told to wait.
        retry = server.request(
            "POST", f"/api/v1/plans/{plan}/book/", {}, headers={"Idempotency-Key": KEY}
        )
        assert retry.status == 409, retry.body
        assert "still being processed" in retry.body["detail"]
        assert course_rows(site, plan)["appointments"] == 0

    # Time passes beyond the lease (the claim is made older than it), then a retry books
    # the whole course once, and a further retry replays that answer.
    expired = datetime.now(UTC) - IN_PROGRESS_LEASE - timedelta(seconds=5)
    assert (
        site.execute(
            "update scheduling_idempotencykey set created_at = ? where key = ?",
            (site.timestamp(expired), KEY),
        )
        == 1
    )
    with Server(site, workers=1, log=tmp_path / "gunicorn-after.log") as server:
        booked = server.request(
            "POST", f"/api/v1/plans/{plan}/book/", {}, headers={"Idempotency-Key": KEY}
        )
        assert booked.status == 201, booked.body
        again = server.request(
            "POST", f"/api/v1/plans/{plan}/book/", {}, headers={"Idempotency-Key": KEY}
        )

    assert again.status == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.body == booked.body
    rows = course_rows(site, plan)
    assert rows["appointments"] == sessions == len(booked.body["appointments"])
    assert rows["booked_sessions"] == sessions
    assert rows["holds"] >= sessions
    assert orphan_holds(site) == 0
    assert site.query("select state from scheduling_idempotencykey where key = ?", (KEY,)) == [
        ("completed",)
    ]
