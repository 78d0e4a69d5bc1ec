"""The subscribe page: no login, every way to add the feed, printable."""

from html import unescape
from urllib.parse import quote

import pytest
from django.test import Client

from backend.scheduling.feeds.services import feed_token_revoke

pytestmark = pytest.mark.django_db


def page(raw: str, **headers):
    return Client().get(f"/feeds/{raw}/", headers=headers)


def test_page_needs_no_login_and_offers_every_way_to_subscribe(feed_world, issue):
    raw = issue(feed_world.patient)

    response = page(raw)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = unescape(response.content.decode())
    feed = f"http://testserver/feeds/{raw}.ics"
    webcal = f"webcal://testserver/feeds/{raw}.ics"
    assert f'href="{webcal}"' in html
    assert f"https://calendar.google.com/calendar/render?cid={quote(webcal, safe='')}" in html
    assert (
        "https://outlook.live.com/calendar/0/addfromweb"
        f"?url={quote(feed, safe='')}&name=Appointments%20at%20Harbor%20Wellness"
    ) in html
    assert "https://outlook.office.com/calendar/0/addfromweb" in html
    assert feed in html
    assert "<svg" in html
    assert "iPhone" in html and "Android" in html


def test_page_is_private_and_loads_nothing_from_elsewhere(feed_world, issue):
    raw = issue(feed_world.patient)

    response = page(raw)

    html = response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Cache-Control"] == "private, max-age=300"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert '<meta name="referrer" content="no-referrer">' in html
    assert "<script" not in html and "<link" not in html and "src=" not in html


def test_patient_page_shows_no_patient_name(feed_world, issue):
    raw = issue(feed_world.patient)

    html = page(raw).content.decode()

    assert "Jane" not in html and "Doe" not in html
    assert "Appointments at Harbor Wellness" in html


def test_room_page_names_the_room(feed_world, issue):
    raw = issue(feed_world.dosing_room)

    html = page(raw).content.decode()

    assert "Harbor Wellness: Room 1" in html


def test_page_answers_304_to_its_etag(feed_world, issue):
    raw = issue(feed_world.patient)
    etag = page(raw)["ETag"]

    response = page(raw, if_none_match=etag)

    assert response.status_code == 304


def test_page_of_a_revoked_token_is_404(feed_world, issue):
    raw = issue(feed_world.patient)
    feed_token_revoke(owner=feed_world.patient, actor=None, now=feed_world.at(8))

    response = page(raw)

    assert response.status_code == 404
    assert response.content == b"Not found.\n"
