"""The URLs a subscriber is given: the feed, its webcal form, one-click adds, the page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import reverse

GOOGLE_ADD = "https://calendar.google.com/calendar/render"
OUTLOOK_COM_ADD = "https://outlook.live.com/calendar/0/addfromweb"
OUTLOOK_365_ADD = "https://outlook.office.com/calendar/0/addfromweb"


@dataclass(frozen=True)
class FeedLinks:
    url: str
    webcal_url: str
    subscribe_page: str
    google_url: str
    outlook_url: str
    outlook_365_url: str


def webcal(url: str) -> str:
    """The webcal:// form calendar apps open as a subscription (same host and path)."""
    return "webcal://" + url.split("://", 1)[1]


def feed_links(base_url: str, *, ics_path: str, page_path: str, name: str) -> FeedLinks:
    base = base_url.rstrip("/")
    url = base + ics_path
    webcal_url = webcal(url)
    outlook_query = urlencode({"url": url, "name": name}, quote_via=quote)
    return FeedLinks(
        url=url,
        webcal_url=webcal_url,
        subscribe_page=base + page_path,
        google_url=f"{GOOGLE_ADD}?cid={quote(webcal_url, safe='')}",
        outlook_url=f"{OUTLOOK_COM_ADD}?{outlook_query}",
        outlook_365_url=f"{OUTLOOK_365_ADD}?{outlook_query}",
    )


def feed_base_url(request) -> str:
    """The public origin (``FEED_BASE_URL``, else ``PUBLIC_BASE_URL``), else the request's."""
    configured = settings.FEED_BASE_URL or settings.PUBLIC_BASE_URL
    return configured or request.build_absolute_uri("/")


def feed_links_for(request, raw_token: str, *, name: str) -> FeedLinks:
    return feed_links(
        feed_base_url(request),
        ics_path=reverse("feed-ics", kwargs={"token": raw_token}),
        page_path=reverse("feed-subscribe", kwargs={"token": raw_token}),
        name=name,
    )
