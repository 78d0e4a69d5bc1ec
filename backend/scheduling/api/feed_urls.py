"""Feed routes under /api/v1/: none of their own.

``{patients,rooms,staff}/{id}/feed/`` and ``appointments/{id}/ics/`` are actions of those
viewsets (mixins in ``feed_views``), routed with them; the public feed URLs live in
``backend.scheduling.public.feed_urls``.
"""

urlpatterns: list = []
