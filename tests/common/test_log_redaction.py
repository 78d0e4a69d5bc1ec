"""Feed tokens never reach the logs."""

import logging

import pytest
from django.test import Client

from backend.common.log_redaction import FeedTokenRedactionFilter

TOKEN = "Zq3x-Secret_Token_Value_1234567890abcdefghij"


def record(msg, args=()):
    return logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        pytest.param("Not Found: %s", (f"/feeds/{TOKEN}.ics",), id="django-request"),
        pytest.param('"%s" %s %s', (f"GET /feeds/{TOKEN}/ HTTP/1.1", "404", "10"), id="runserver"),
        pytest.param(
            "%(r)s %(s)s", ({"r": f"GET /feeds/{TOKEN}.ics HTTP/1.1", "s": 200},), id="gunicorn"
        ),
        pytest.param(f"fetched /feeds/{TOKEN}.ics?x=1", (), id="in-message"),
    ],
)
def test_filter_redacts_the_token_in_message_and_arguments(msg, args):
    entry = record(msg, args)

    kept = FeedTokenRedactionFilter().filter(entry)

    assert kept is True
    assert TOKEN not in entry.getMessage()
    assert "/feeds/[redacted]" in entry.getMessage()


def test_filter_leaves_other_records_alone():
    entry = record("Not Found: %s", ("/api/v1/rooms/9/",))

    FeedTokenRedactionFilter().filter(entry)

    assert entry.getMessage() == "Not Found: /api/v1/rooms/9/"
    assert entry.args == ("/api/v1/rooms/9/",)


def test_filter_drops_the_request_that_error_mails_would_render():
    entry = record("Internal Server Error: %s", (f"/feeds/{TOKEN}.ics",))
    entry.request = object()

    FeedTokenRedactionFilter().filter(entry)

    assert entry.request is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", [f"/feeds/{TOKEN}.ics", f"/feeds/{TOKEN}/"])
def test_a_404_on_a_feed_url_logs_no_token(caplog, path):
    with caplog.at_level(logging.INFO):
        response = Client().get(path)

    assert response.status_code == 404
    assert "/feeds/[redacted]" in caplog.text
    assert TOKEN not in caplog.text
    assert all(TOKEN not in str(r.args) and TOKEN not in str(r.msg) for r in caplog.records)


@pytest.mark.django_db
def test_a_404_on_a_ride_confirmation_url_logs_no_token(caplog):
    with caplog.at_level(logging.INFO):
        response = Client().get(f"/ride/{TOKEN}/")

    assert response.status_code == 404
    assert "/ride/[redacted]" in caplog.text
    assert TOKEN not in caplog.text
