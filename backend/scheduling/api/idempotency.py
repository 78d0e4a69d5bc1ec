"""The Idempotency-Key header on booking endpoints (a decorator for viewset actions)."""

import functools

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from backend.common.errors import Conflict, InvalidInput, Unprocessable
from backend.scheduling.models import IdempotencyKey
from backend.scheduling.services.clock import clock_now
from backend.scheduling.services.idempotency import (
    MAX_KEY_LENGTH,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_fingerprint,
)

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
            now=clock_now(),
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
