"""Keeps calendar feed tokens (and ride-confirmation tokens) out of logs.

A feed URL's token is a credential, and Django logs request paths: ``django.request``
("Not Found: /feeds/<token>.ics" for every 4xx/5xx) and ``django.server`` (the request
line under runserver). This filter rewrites any ``/feeds/<anything>`` in a record to
``/feeds/[redacted]`` before a handler formats it.

Install it on the loggers that log paths (so that every handler, including pytest's
capture, sees the redacted record) and on the handlers (for records from anywhere else).
"""

import logging
import re

# Feed tokens and one-time ride-confirmation tokens are both credentials in the path.
FEED_PATH = re.compile(r"/(feeds|ride|visit)/[^\s\"'?#<>]+")
REDACTED = "/feeds/[redacted]"


def redact(text: str) -> str:
    return FEED_PATH.sub(lambda match: f"/{match.group(1)}/[redacted]", text)


class FeedTokenRedactionFilter(logging.Filter):
    """Redacts feed tokens in the message and its arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        if "/feeds/" in message or "/ride/" in message or "/visit/" in message:
            record.msg = redact(message)
            record.args = ()
            # AdminEmailHandler renders the request (path, META) into the mail; the record
            # keeps its status code and message without it.
            if hasattr(record, "request"):
                record.request = None
        return True
