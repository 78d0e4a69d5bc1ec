"""SQLite under write contention from several processes, locked past its busy timeout,
read-only, and full (it may not grow: ``PRAGMA max_page_count``): never a 500; 503 with
``Retry-After`` when a write cannot happen now, and no course half written."""

import multiprocessing
import sqlite3

from tests.resilience.kit import Server, Site, copy_site

OK = {200, 201, 400, 409}


def _writer(base: str, token: str, patient: int, rounds: int, queue) -> None:
    """One client process: patient edits and new draft plans, as fast as answered."""
    site = Site(None, {"front_desk": token})  # only the token is used
    server = Server.__new__(Server)
    server.site, server.base = site, base
    statuses = []
    for i in range(rounds):
        edited = server.request(
            "PATCH", f"/api/v1/patients/{patient}/", {"phone": f"(207) 555-{i:04d}"}
        )
        statuses.append((edited.status, edited.headers.get("Retry-After")))
        created = server.request(
            "POST",
            "/api/v1/plans/",
            {"patient": patient, "template": "iv-ketamine", "start_date": "2030-01-07"},
        )
        statuses.append((created.status, created.headers.get("Retry-After")))
    queue.put(statuses)


def test_writers_in_several_processes_wait_for_each_other_and_never_get_a_500(
    prepared_site, tmp_path
):
    site = copy_site(prepared_site, tmp_path)
    plans_before = site.scalar("select count(*) from plans_treatmentplan")
    writers, rounds = 4, 6
    with Server(site, workers=3, log=tmp_path / "gunicorn.log") as server:
        queue = multiprocessing.get_context("spawn").Queue()
        processes = [
            multiprocessing.get_context("spawn").Process(
                target=_writer,
                args=(server.base, site.tokens["front_desk"], patient, rounds, queue),
            )
            for patient in range(1, writers + 1)
        ]
        for process in processes:
            process.start()
        answers = [status for _ in processes for status in queue.get(timeout=300)]
        for process in processes:
            process.join(timeout=60)

    assert len(answers) == writers * rounds * 2
    statuses = [status for status, _ in answers]
    assert all(status in OK or status == 503 for status in statuses), statuses
    # A 503 would have to say when to retry; with the default busy timeout writers wait.
    assert all(retry for status, retry in answers if status == 503)
    assert statuses.count(503) == 0, statuses
    created = sum(1 for status in statuses if status == 201)
    assert created == writers * rounds
    assert site.scalar("select count(*) from plans_treatmentplan") == plans_before + created


def test_a_write_locked_past_the_busy_timeout_answers_503_then_succeeds(prepared_site, tmp_path):
    site = copy_site(prepared_site, tmp_path)
    with Server(site, log=tmp_path / "gunicorn.log", SQLITE_TIMEOUT_SECONDS="0.5") as server:
        other = sqlite3.connect(site.database, isolation_level=None, timeout=30)
        other.execute("begin immediate")  # another process is writing, for a long time
        try:
            locked = server.request("PATCH", "/api/v1/patients/1/", {"phone": "(207) 555-0000"})
            read = server.request("GET", "/api/v1/rooms/")
        finally:
            other.execute("rollback")
            other.close()
        after = server.request("PATCH", "/api/v1/patients/1/", {"phone": "(207) 555-0000"})

    assert locked.status == 503, locked.body
    assert locked.headers["Retry-After"] == "1"
    assert locked.body["reason"] == "busy"
    assert read.status == 200  # readers are not blocked by a writer (WAL)
    assert after.status == 200, after.body
    # Stored as the number it is (E.164), whatever way it was written.
    assert site.scalar("select phone from scheduling_patient where id = 1") == "+12075550000"


def test_a_read_only_database_refuses_a_course_with_503_and_writes_none_of_it(
    prepared_site, tmp_path
):
    site = copy_site(prepared_site, tmp_path)
    with Server(site, log=tmp_path / "gunicorn.log") as server:
        plan = server.request(
            "POST",
            "/api/v1/plans/",
            {"patient": 5, "template": "iv-ketamine", "start_date": "2030-01-07"},
        ).body["id"]
    appointments = site.scalar("select count(*) from scheduling_appointment")
    holds = site.scalar("select count(*) from scheduling_hold")

    with Server(site, log=tmp_path / "gunicorn-ro.log", KAP_SQLITE_READ_ONLY="1") as server:
        # Reads that log no patient access still answer; a read of a patient's data
        # cannot be logged, so it is refused like a write.
        read = server.request("GET", "/api/v1/rooms/")
        logged_read = server.request("GET", f"/api/v1/plans/{plan}/")
        booked = server.request("POST", f"/api/v1/plans/{plan}/book/", {})
        single = server.request(
            "POST",
            "/api/v1/appointments/",
            {"patient": 6, "session_type": 1, "start": "2030-01-08T09:00:00-05:00"},
        )

    assert read.status == 200
    for refused in (booked, single, logged_read):
        assert refused.status == 503, refused.body
        assert refused.body["reason"] == "read_only"
        assert "nothing was written" in refused.body["detail"]
        assert int(refused.headers["Retry-After"]) > 0
    assert site.scalar("select count(*) from scheduling_appointment") == appointments
    assert site.scalar("select count(*) from scheduling_hold") == holds
    assert site.scalar("select status from plans_treatmentplan where id = ?", (plan,)) == "draft"


def test_a_full_disk_refuses_a_course_with_503_and_writes_none_of_it(prepared_site, tmp_path):
    site = copy_site(prepared_site, tmp_path)
    with Server(site, log=tmp_path / "gunicorn.log") as server:
        plans = []
        for patient in range(1, 18):
            created = server.request(
                "POST",
                "/api/v1/plans/",
                {"patient": patient, "template": "iv-ketamine", "start_date": "2030-01-07"},
            )
            if created.status == 201:
                plans.append(created.body["id"])
    site.execute("vacuum")  # no free pages left: every new row needs the disk to grow

    answers = {}
    with Server(site, log=tmp_path / "gunicorn-full.log", KAP_SQLITE_FULL="1") as server:
        for plan in plans:
            answers[plan] = server.request("POST", f"/api/v1/plans/{plan}/book/", {})
            if answers[plan].status == 503:
                break

    refused = [plan for plan, answer in answers.items() if answer.status == 503]
    assert refused, {plan: answer.status for plan, answer in answers.items()}
    answer = answers[refused[0]]
    assert answer.body["reason"] == "full"
    assert "nothing was written" in answer.body["detail"]
    assert int(answer.headers["Retry-After"]) > 0
    assert all(answer.status in (201, 409, 503) for answer in answers.values())
    for plan, answer in answers.items():
        booked = site.scalar(
            "select count(*) from scheduling_appointment where plan_id = ?", (plan,)
        )
        # Each course is booked wholly or not at all.
        assert booked == (len(answer.body["appointments"]) if answer.status == 201 else 0)
