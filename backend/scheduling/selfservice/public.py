"""The patient's link page: the unguessable token in the URL is the credential.

GET only shows the page (mail scanners fetch links); each answer is a POST back to the
same URL. Only the patient's own time and place are shown, never the session type. Like
the ride page: no referrer, no cache, not indexed.
"""

from django.shortcuts import render
from django.utils import timezone

from backend.common.errors import DomainError
from backend.scheduling.selfservice.services import LinkState, link_lookup, link_use


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def link_page(request, token: str, *, accept):
    """The page; its route (plans' ``public``) passes in the offer-accepting operation,
    which can move a plan session and so lives above scheduling."""
    now = timezone.now()
    error, status = "", 200
    if request.method == "POST":
        try:
            link_use(
                token=token,
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", "")[:300],
                now=now,
                accept=accept,
            )
        except DomainError as exc:
            error, status = exc.detail, 400 if exc.__class__.__name__ == "InvalidInput" else 409
    found = link_lookup(token=token, now=now)
    if found is None:
        return _private(render(request, "selfservice/not_found.html", status=404))
    clinic = found.link.clinic
    context = {
        "clinic": clinic,
        "purpose": found.link.purpose,
        "state": found.state.value,
        "open": found.state == LinkState.OPEN,
        "used_for": found.link.used_for,
        "start": found.appointment.start,
        "expires_at": found.link.expires_at,
        "error": error,
    }
    with timezone.override(clinic.zone):
        response = render(request, "selfservice/link.html", context, status=status)
    return _private(response)
