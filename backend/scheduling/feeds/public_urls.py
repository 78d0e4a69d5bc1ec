"""Public feed URLs under /feeds/: the token in the path is the credential.

Any token shape reaches the views, so a malformed one gets the same 404 as a revoked one.
"""

from django.urls import re_path

from backend.scheduling.feeds.public import feed_ics, feed_subscribe

urlpatterns = [
    re_path(r"^(?P<token>[^/]+)\.ics$", feed_ics, name="feed-ics"),
    re_path(r"^(?P<token>[^/]+)/$", feed_subscribe, name="feed-subscribe"),
]
