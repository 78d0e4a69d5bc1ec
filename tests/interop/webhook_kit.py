"""A real HTTP receiver on loopback, and helpers the webhook tests share.

``Receiver`` is ``http.server`` in a thread: it records every request (headers and raw
body) and answers as scripted: a status code, ``HANG`` (hold the request until the test
releases it, then close without an answer) or ``SLOW`` (answer after the sender's timeout).
"""

import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from backend.interop.webhooks.models import WebhookEndpoint
from backend.interop.webhooks.signing import secret_new
from backend.scheduling.outbox.models import EventType

HANG = "hang"
SLOW = "slow"
REDIRECT = "redirect"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    def __init__(self, port: int | None = None, *, slow_seconds: float = 2.0):
        self.port = port or free_port()
        self.received: list[Received] = []
        self.script: deque = deque()
        self.default: int | str = 204
        self.slow_seconds = slow_seconds
        self.arrived = threading.Condition()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/kap"

    def answer(self, *answers) -> "Receiver":
        self.script.extend(answers)
        return self

    def _next(self):
        return self.script.popleft() if self.script else self.default

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.arrived:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    receiver.arrived.notify_all()
                    answer = receiver._next()
                if answer == HANG:
                    receiver.release.wait(30)
                    self.close_connection = True
                    return
                if answer == SLOW:
                    time.sleep(receiver.slow_seconds)
                    answer = 200
                if answer == REDIRECT:
                    self.send_response(302)
                    self.send_header("Location", "http://10.0.0.1/")
                else:
                    self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """At least ``count`` requests, or an AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.received)} request(s) arrived in {timeout} s, wanted {count}"
                    )
                self.arrived.wait(left)
            return list(self.received)


def endpoint_for(clinic, url: str, *, events: list[str] | None = None, **fields) -> WebhookEndpoint:
    """An endpoint row as the API would create it (the URL check is the API's business)."""
    return WebhookEndpoint.objects.create(
        clinic=clinic,
        url=url,
        events=events or list(EventType.values),
        secret=secret_new(),
        created_at=fields.pop("created_at", timezone.now() - timedelta(minutes=1)),
        **fields,
    )


def eventually(check: Callable[[], bool], *, timeout: float = 10.0, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every)
