"""The patient's link page, routed here because accepting an offer may move a plan
session (plans' ``waitlist_offer_accept``); the page itself is scheduling's selfservice."""

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from backend.plans.services.waitlist import waitlist_offer_accept
from backend.scheduling.selfservice.public import link_page


# No CSRF token: forging this POST needs the token itself, which is all the page protects,
# and the no-referrer policy makes browsers send "Origin: null" (as on the ride page).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def patient_link(request, token: str):
    return link_page(request, token, accept=waitlist_offer_accept)
