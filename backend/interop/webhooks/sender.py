"""One HTTP POST of a webhook, with the standard library.

``http.client`` rather than a third-party client: a webhook is one POST with a short
timeout, and the stdlib lets the connection go to the very address ``urlcheck`` vetted
(``_create_connection``) while TLS still checks the certificate against the host name.
Redirects are not followed (a 3xx is a failed attempt), so a receiver cannot bounce a
delivery into a private network either.
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from backend.interop.webhooks.urlcheck import UrlPolicy, UrlRefused, addresses_vet, target_parse

USER_AGENT = "kap-scheduler-webhooks/1"
# How much of a receiver's answer is read (and thrown away) before closing.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    ok: bool
    status: int | None
    latency_ms: int
    error: str = ""


def _pinned(addresses: list[str], port: int):
    def create_connection(address, timeout=None, source_address=None):
        last: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as exc:
                last = exc
        raise last or OSError("no address to connect to")

    return create_connection


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"No answer within {timeout:g} s."
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused."
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"TLS error: {exc}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    policy: UrlPolicy,
    resolver=None,
) -> Answer:
    """POST ``body``; a 2xx answer is a delivery, anything else (or none) a failure."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = target_parse(url, policy)
        addresses = addresses_vet(target, policy, resolver=resolver)
    except UrlRefused as exc:
        return Answer(False, None, elapsed(), str(exc))
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection._create_connection = _pinned(addresses, target.port)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        response.read(MAX_ANSWER_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Answer(False, None, elapsed(), _describe(exc, timeout))
    finally:
        connection.close()
    if 200 <= status < 300:
        return Answer(True, status, elapsed())
    return Answer(False, status, elapsed(), f"The receiver answered HTTP {status}.")
