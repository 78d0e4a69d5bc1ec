"""Settings for the test suite: production settings with test-only relaxations.

Production refuses to start without a SECRET_KEY unless DEBUG is on; tests run with DEBUG
off (as production does) and a throwaway key. Nothing here is reachable from
``backend.settings``, so a deployment cannot enable any of it.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-insecure-key")

from backend.settings import *  # noqa: F403

# Text messages stay in memory (``sms.outbox``), as Django's test runner does for email.
SMS_BACKEND = "sms.backends.locmem.SmsBackend"
# Hashing cost is irrelevant in tests and dominates their run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests serve static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The test client and the browser tests' live server speak plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_PROXY_SSL_HEADER = None
# ...and need no redirect to HTTPS (HSTS stays off, as it does without its variable).
SECURE_SSL_REDIRECT = False
# The login lockout (django-axes) stays on, as in production: its state lives in the test
# database, so each test starts with no failed attempts.
