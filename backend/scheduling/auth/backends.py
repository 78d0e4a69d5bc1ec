"""The authentication backend that refuses locked-out clients (django-axes)."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, first in ``AUTHENTICATION_BACKENDS``; it never logs anyone in.

    Every login over HTTP passes its request to ``authenticate()`` (Django's login form, so
    the console and the admin, and the token endpoint), and that request is what Axes
    counts failures against and locks out. A call without a request has no client to lock
    out: the test client's ``login()``, a shell, a management command. Axes refuses such a
    call outright; here it passes to the next backend, which checks the password as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
