"""Account security: login lockout, the second login factor, idle sessions, API tokens.

- ``backends``: the lockout check (django-axes) every authentication goes through.
- ``lockout``: what a locked-out client sees, and which address a client has.
- ``policy``: who must give a one-time code, and who must set up an authenticator first.
- ``middleware``: idle sessions end, unverified sessions are refused, the site's CSP.
- ``views``: ``POST /api/v1/auth/token/``, the API's login.

The console's login pages (password, then code) and the authenticator setup page are in
``backend.console.views.auth``; they use ``policy`` and ``lockout`` from here.
"""
