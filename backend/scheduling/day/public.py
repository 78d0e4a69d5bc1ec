"""The patient's ride-confirmation page: the unguessable token in the URL is the credential.

GET only shows the page (mail scanners and link previews fetch links, so a GET must never
confirm); the button POSTs back to the same URL. Every answer, a bad token's 404 included,
carries ``Referrer-Policy: no-referrer`` so the token never leaks to another site, and is
neither cached nor indexed.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from backend.scheduling.day.reminders import RideState, ride_confirm, ride_lookup

TEMPLATES = {
    RideState.PENDING: "day/ride/confirm.html",
    RideState.CONFIRMED: "day/ride/confirmed.html",
    RideState.ALREADY_CONFIRMED: "day/ride/confirmed.html",
    RideState.CLOSED: "day/ride/closed.html",
}


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# No CSRF token: forging this POST needs the token itself, which is all the page protects,
# and the no-referrer policy makes browsers send "Origin: null", which Django's CSRF check
# would refuse over HTTPS.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def ride_confirm_page(request, token: str):
    if request.method == "POST":
        found = ride_confirm(token=token, now=timezone.now())
    else:
        found = ride_lookup(token=token)
    if found is None:
        return _private(render(request, "day/ride/not_found.html", status=404))
    appointment = found.appointment
    context = {
        "clinic": appointment.clinic,
        "start": appointment.start,
        "pickup_at": appointment.recovery_end,
        "already": found.state is RideState.ALREADY_CONFIRMED,
        "confirmed_at": found.confirmation.confirmed_at,
    }
    with timezone.override(appointment.clinic.zone):
        response = render(request, TEMPLATES[found.state], context)
    return _private(response)
