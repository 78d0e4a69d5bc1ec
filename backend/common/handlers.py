"""Django's last-resort answers (handler404, handler500) for the API and the database.

- Under ``/api/`` a path no route matches answers 404 in the API's error body (JSON), as
  every other API error does, not the console's HTML page.
- An error that reaches Django itself (raised in a middleware, or in a console page)
  because the database cannot serve the request for now answers 503 with
  ``Retry-After``, JSON under ``/api/`` and a short page elsewhere: never a 500. The API's
  own views answer the same through the exception handler (backend.common.errors).
- Anything else is still a 500, JSON under ``/api/``.
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.views import defaults

from backend.common.db import database_unavailable
from backend.common.errors import unavailable_body

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(
            {"detail": "No such resource: no route matches this path.", "errors": {}},
            status=404,
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Django calls this inside its handling of the uncaught exception.
    exc = sys.exc_info()[1]
    unavailable = database_unavailable(exc) if exc is not None else None
    if unavailable is not None:
        if _is_api(request):
            response = JsonResponse(unavailable_body(unavailable), status=503)
        else:
            response = HttpResponse(
                unavailable.message, status=503, content_type="text/plain; charset=utf-8"
            )
        response["Retry-After"] = str(unavailable.retry_after)
        return response
    if _is_api(request):
        return JsonResponse({"detail": "Server error.", "errors": {}}, status=500)
    return defaults.server_error(request)
