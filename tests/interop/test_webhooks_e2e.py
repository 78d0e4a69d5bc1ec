"""End to end: real worker processes, a real HTTP receiver on loopback, real commits.

Each test starts ``manage.py tasks_worker`` as a separate OS process against the test
database, books through the API (or the service) in this process, and watches what the
receiver gets. Timings are shortened through the environment the worker reads: a 1 s
HTTP timeout, retries from 0.5 s, a schedule sweep every second.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from backend.common.roles import Role
from backend.interop.webhooks.models import DeliveryStatus, WebhookDelivery
from backend.interop.webhooks.services import DeliveryConfig, delivery_claim, webhooks_fan_out
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.outbox.services import outbox_emit
from tests.factories import UserFactory
from tests.interop.webhook_kit import HANG, Receiver, endpoint_for, eventually

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DEBUG", None)
    name = connection.settings_dict["NAME"]
    scheme = "postgres" if connection.vendor == "postgresql" else "sqlite"
    env.update(
        DATABASE_URL=f"{scheme}:///{name}",
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONUNBUFFERED="1",
        WEBHOOK_ALLOW_INSECURE="1",
        WEBHOOK_TIMEOUT_SECONDS="1",
        WEBHOOK_RETRY_BASE_SECONDS="0.5",
        WEBHOOK_RETRY_CAP_SECONDS="1",
        WEBHOOK_SWEEP_SECONDS="1",
        TASKS_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class Worker:
    """``manage.py tasks_worker`` in its own process, its output in a file."""

    def __init__(self, log: Path, **env: str):
        self.log = log
        self.env = worker_env(**env)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.output = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "tasks_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        eventually(
            lambda: "running" in self.log.read_text() or self.process.poll() is not None,
            timeout=30,
        )
        assert self.process.poll() is None, self.log.read_text()
        return self

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.output.close()


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(**env) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started)}.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def development(settings):
    settings.WEBHOOK_ALLOW_INSECURE = True


def register(clinic, url: str) -> dict:
    manager = UserFactory(memberships=[(clinic, Role.MANAGER)])
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(
        "/api/v1/webhooks/",
        {"clinic": clinic.id, "url": url, "events": ["appointment.booked"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return {**response.json(), "client": client}


def book_over_api(world, user, patient=0, hour=9) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/appointments/",
        {
            "patient": world.patients[patient].id,
            "session_type": world.spravato.id,
            "start": world.at(hour).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_booking_is_delivered_signed_within_seconds_and_a_rolled_back_one_never(
    world, front_desk_user, receiver, workers
):
    receiver.start()
    endpoint = register(world.clinic, receiver.url)
    workers()

    with pytest.raises(RuntimeError), transaction.atomic():
        appointment_book(
            actor=front_desk_user,
            patient=world.patients[1],
            session_type=world.spravato,
            start=world.at(11),
            now=timezone.now(),
        )
        raise RuntimeError("rolled back after the booking was written")
    booked_at = time.monotonic()
    booked = book_over_api(world, front_desk_user)

    [request] = receiver.wait_for(1, timeout=10)
    took = time.monotonic() - booked_at
    time.sleep(2)  # long enough for a second request, had there been one

    body = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert took < 5, f"delivered after {took:.1f} s"
    assert body["type"] == "appointment.booked"
    assert body["data"]["appointment"] == booked["id"]
    assert body["data"]["start"] == booked["start"]
    assert len(receiver.received) == 1
    assert OutboxEvent.objects.count() == 1


def test_a_receiver_that_is_down_gets_the_event_when_it_comes_back(
    world, front_desk_user, receiver, workers
):
    endpoint = register(world.clinic, receiver.url)  # nothing listens on its port yet
    workers()
    booked = book_over_api(world, front_desk_user)

    # Two attempts made and answered: a claim raises ``attempts`` before it sends, so
    # until the lease is released the second attempt may still be on its way.
    eventually(
        lambda: WebhookDelivery.objects.filter(attempts__gte=2, locked_until=None).exists(),
        timeout=15,
    )
    failed = WebhookDelivery.objects.get()
    receiver.start()
    [request] = receiver.wait_for(1, timeout=15)

    delivery = WebhookDelivery.objects.get()
    body = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert failed.last_error == "Connection refused."
    assert body["data"]["appointment"] == booked["id"]
    assert request.headers["webhook-id"] == delivery.message_id
    eventually(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED)
    assert WebhookDelivery.objects.get().attempts > failed.attempts


def test_retries_and_a_redelivery_carry_the_same_webhook_id(
    world, front_desk_user, receiver, workers
):
    receiver.answer(500, 503).start()
    endpoint = register(world.clinic, receiver.url)
    workers()
    book_over_api(world, front_desk_user)

    first_three = receiver.wait_for(3, timeout=15)
    eventually(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED)
    delivery = WebhookDelivery.objects.get()
    again = endpoint["client"].post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery.id}/redeliver/"
    )
    everything = receiver.wait_for(4, timeout=10)

    assert again.status_code == 202
    assert {r.headers["webhook-id"] for r in everything} == {delivery.message_id}
    assert len({r.body for r in everything}) == 1
    for request in everything:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert [r.headers["webhook-id"] for r in first_three] == [delivery.message_id] * 3
    assert delivery.attempts == 3


def test_a_worker_killed_mid_delivery_loses_nothing(world, front_desk_user, receiver, workers):
    receiver.answer(HANG).start()
    endpoint = register(world.clinic, receiver.url)
    doomed = workers()
    booked = book_over_api(world, front_desk_user)

    receiver.wait_for(1, timeout=10)
    doomed.kill9()  # while the request is in flight: no answer was recorded
    receiver.release.set()
    stranded = WebhookDelivery.objects.get()
    workers()
    requests = receiver.wait_for(2, timeout=20)

    assert (stranded.status, stranded.attempts) == (DeliveryStatus.PENDING, 1)
    assert stranded.locked_until is not None
    assert requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]
    body = Webhook(endpoint["secret"]).verify(requests[1].body, requests[1].headers)
    assert body["data"]["appointment"] == booked["id"]
    eventually(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED)
    assert WebhookDelivery.objects.get().attempts == 2
    # The killed worker's task run is left RUNNING: the queue never re-runs it, our
    # delivery rows are what make the work survive.
    assert DBTaskResult.objects.filter(status="RUNNING").exists()


def test_events_committed_while_no_worker_runs_are_delivered_when_one_starts(
    world, front_desk_user, receiver, workers
):
    receiver.start()
    endpoint = register(world.clinic, receiver.url)
    book_over_api(world, front_desk_user)
    book_over_api(world, front_desk_user, patient=1, hour=11)
    time.sleep(1)

    assert receiver.received == []
    workers()
    requests = receiver.wait_for(2, timeout=10)

    for request in requests:
        Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert len({r.headers["webhook-id"] for r in requests}) == 2


def test_of_many_concurrent_claims_exactly_one_wins(world):
    endpoint_for(world.clinic, "http://127.0.0.1:9/")
    with transaction.atomic():
        outbox_emit(
            clinic_id=world.clinic.id,
            type="appointment.booked",
            data={"appointment": 1},
            now=timezone.now(),
        )
    config = DeliveryConfig.from_settings()
    webhooks_fan_out(now=timezone.now(), config=config)
    delivery_id = WebhookDelivery.objects.get().id
    barrier = threading.Barrier(8)
    wins = []

    def claim():
        try:
            barrier.wait()
            if delivery_claim(delivery_id, now=timezone.now(), config=config) is not None:
                wins.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert wins == [1]
    assert WebhookDelivery.objects.get().attempts == 1


def test_the_worker_runs_the_schedule_and_stops_when_its_parent_is_gone(tmp_path):
    log = tmp_path / "worker.log"
    env = worker_env(REMINDERS_EVERY_SECONDS="1")
    # As `make run` starts it: in the background of a shell that then goes away.
    shell = subprocess.run(
        [
            "sh",
            "-c",
            f"'{sys.executable}' manage.py tasks_worker --exit-with-parent --interval 0.2 "
            f"> '{log}' 2>&1 & echo $!; "
            # Up to 30 s to start, then a few seconds of schedule.
            f"for i in $(seq 60); do grep -q running '{log}' && break; sleep 0.5; done; sleep 4",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pid = int(shell.stdout.strip())

    def gone() -> bool:
        # Exited (a zombie waiting for whoever adopted it counts as exited).
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        return state in ("Z", "X")

    eventually(gone, timeout=10)
    ran = set(DBTaskResult.objects.filter(status="SUCCESSFUL").values_list("task_path", flat=True))
    assert "backend.scheduling.day.reminders.reminders_task" in ran, log.read_text()
    assert "backend.interop.webhooks.tasks.webhooks_pump" in ran, log.read_text()
    assert "parent process is gone" in log.read_text()
