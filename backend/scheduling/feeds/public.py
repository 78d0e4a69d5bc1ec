"""Public calendar feed and its subscribe page: no login, the URL's token is the credential.

Every answer (200, 304, 404, 429) carries ``Referrer-Policy: no-referrer`` and
``X-Robots-Tag: noindex`` so the token leaks neither to linked sites nor to search engines;
an unknown or revoked token gets the same short 404 whatever the reason.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import segno
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from backend.scheduling.feeds.links import feed_links_for
from backend.scheduling.feeds.models import FeedOwnerKind
from backend.scheduling.feeds.services import (
    FeedSubject,
    feed_lookup,
    feed_render,
    feed_token_hash,
    feed_version,
)

CALENDAR_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"
# Raise when the page's HTML changes, so browsers holding the old ETag reload it.
PAGE_FORMAT = "1"


def rate_limit() -> tuple[int, int]:
    """(requests, seconds) allowed per token: ``FEED_RATE_LIMIT``, default 60 per 10 min."""
    requests, seconds = settings.FEED_RATE_LIMIT
    return int(requests), int(seconds)


def _seconds_until_allowed(token_hash: str, now: datetime) -> int:
    """0 if this request may go on, else the seconds until the token's window resets.

    A fixed-window counter in the cache, keyed by (part of) the token's hash: the raw token
    never reaches the cache, whose keys may be logged by a cache server.
    """
    limit, seconds = rate_limit()
    epoch = int(now.timestamp())
    key = f"feeds:rate:{token_hash[:32]}:{epoch // seconds}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        count = 1
    if count <= limit:
        return 0
    return seconds - epoch % seconds


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _not_found() -> HttpResponse:
    response = HttpResponse(b"Not found.\n", status=404, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return _private(response)


def _too_many(retry_after: int) -> HttpResponse:
    response = HttpResponse(b"Too many requests.\n", status=429, content_type="text/plain")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return _private(response)


def _validated(response: HttpResponse, etag: str, last_modified: datetime) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = CACHE_CONTROL
    return _private(response)


def _live_token(token: str) -> FeedSubject | HttpResponse:
    token_hash = feed_token_hash(token)
    wait = _seconds_until_allowed(token_hash, timezone.now())
    if wait:
        return _too_many(wait)
    feed = feed_lookup(token_hash)
    return feed if feed is not None else _not_found()


@require_safe
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar. A matching If-None-Match gets a 304 before anything is rendered."""
    feed = _live_token(token)
    if isinstance(feed, HttpResponse):
        return feed
    version = feed_version(feed, now=timezone.now())
    # Only the ETag decides: Last-Modified cannot see an event that left the feed (moved to
    # another room or staff member), so If-Modified-Since alone must not earn a 304.
    response = get_conditional_response(request, etag=version.etag)
    if response is None:
        response = HttpResponse(feed_render(feed, version), content_type=CALENDAR_TYPE)
        response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return _validated(response, version.etag, version.last_modified)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(
        scale=5, border=2, title="QR code: open this page on your phone"
    )


@require_safe
def feed_subscribe(request: HttpRequest, token: str) -> HttpResponse:
    """How to subscribe, from any device; printable and safe to email to the owner."""
    feed = _live_token(token)
    if isinstance(feed, HttpResponse):
        return feed
    links = feed_links_for(request, token, name=feed.name)
    last_modified = max(feed.created_at, feed.clinic_updated_at).replace(microsecond=0)
    etag_source = repr((PAGE_FORMAT, feed, links.url, last_modified))
    etag = '"' + hashlib.sha256(etag_source.encode()).hexdigest()[:40] + '"'
    response = get_conditional_response(
        request, etag=etag, last_modified=int(last_modified.timestamp())
    )
    if response is None:
        response = render(
            request,
            "feeds/subscribe.html",
            {
                "name": feed.name,
                "clinic": feed.clinic,
                "is_patient": feed.owner_kind == FeedOwnerKind.PATIENT,
                "links": links,
                "qr_svg": _qr_svg(links.subscribe_page),
            },
        )
        # Only inline styles and the inline SVG: nothing loads from elsewhere.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    return _validated(response, etag, last_modified)
