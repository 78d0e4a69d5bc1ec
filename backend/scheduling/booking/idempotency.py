"""Idempotency keys: a retried booking returns the first answer and books nothing new.

A key is claimed (committed at once, outside the booking's transaction) before the work
starts, so a retry that arrives while the first request still runs sees it in progress.
The ``idempotent`` decorator applies this to a viewset action (the Idempotency-Key
header).
"""

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from backend.common.errors import Conflict, InvalidInput, Unprocessable
from backend.scheduling.booking.models import IdempotencyKey

# Keys are honoured for at least this long; older ones may be purged and reused.
KEY_RETENTION = timedelta(hours=24)
# A claim still "in progress" after this long belongs to a worker that died (killed by a
# timeout or a restart, so its cleanup never ran): it is abandoned and may be claimed again.
IN_PROGRESS_LEASE = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    record: IdempotencyKey
    fresh: bool


def idempotency_claim(*, user, key: str, endpoint: str, fingerprint: str, now: datetime) -> Claim:
    """Claim ``key`` for this request, or return the earlier request's record."""
    for _ in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    endpoint=endpoint,
                    request_hash=fingerprint,
                    created_at=now,
                )
            return Claim(record, fresh=True)
        except IntegrityError:
            record = IdempotencyKey.objects.filter(user=user, key=key).first()
            if record is None:
                continue  # purged between our insert and read: try once more
            abandoned = (
                record.state == IdempotencyKey.IN_PROGRESS
                and record.created_at < now - IN_PROGRESS_LEASE
            )
            if abandoned or record.created_at < now - KEY_RETENTION:
                record.delete()
                continue
            return Claim(record, fresh=False)
    raise RuntimeError("could not claim idempotency key")  # pragma: no cover


def idempotency_complete(record: IdempotencyKey, *, status: int, body: Any) -> None:
    record.state = IdempotencyKey.COMPLETED
    record.response_status = status
    record.response_body = body
    record.save(update_fields=["state", "response_status", "response_body"])


def idempotency_release(record: IdempotencyKey) -> None:
    """Forget a claim whose request failed unexpectedly, so a retry can run again."""
    IdempotencyKey.objects.filter(pk=record.pk).delete()


def idempotency_purge(*, now: datetime) -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - KEY_RETENTION).delete()
    return deleted


HEADER = "Idempotency-Key"
# The header as the OpenAPI schema documents it on every endpoint that honours it.
IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Repeat a request safely: the same key and body returns the first response.",
)


def idempotent(action):
    """Replay the stored response for a repeated key; refuse a reused key's new body."""

    @functools.wraps(action)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return action(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(HEADER, f"Give 1 to {MAX_KEY_LENGTH} characters.")
        fingerprint = request_fingerprint(request.method, request.path, request.data)
        claim = idempotency_claim(
            user=request.user,
            key=key,
            endpoint=f"{request.method} {request.path}",
            fingerprint=fingerprint,
            now=timezone.now(),
        )
        record = claim.record
        if not claim.fresh:
            if record.request_hash != fingerprint:
                raise Unprocessable(
                    "This Idempotency-Key was used for a different request; use a new key.",
                    errors={HEADER: ["Already used with another request body or path."]},
                )
            if record.state == IdempotencyKey.IN_PROGRESS:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; "
                    "retry in a moment."
                )
            replay = Response(record.response_body, status=record.response_status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            try:
                response = action(view, request, *args, **kwargs)
            except Exception as exc:
                # A 400 or a 409 is an answer the client got: store it like a success.
                response = view.handle_exception(exc)  # re-raises what it cannot handle
        except BaseException:
            # The failure was ours: forget the key so that a retry can run again.
            idempotency_release(record)
            raise
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            idempotency_release(record)
        else:
            idempotency_complete(record, status=response.status_code, body=response.data)
        return response

    return wrapper
