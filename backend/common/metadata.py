"""OPTIONS answers for every API view, never a 500.

DRF's metadata describes the body of POST and PUT from the view's serializer; a view
whose actions validate with serializers of their own has no ``serializer_class`` to
describe, and DRF would fail on it. Such a view answers OPTIONS with its methods only.
The answer is JSON whatever format the request asked for.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.metadata import SimpleMetadata
from rest_framework.renderers import JSONRenderer


class ApiMetadata(SimpleMetadata):
    def determine_metadata(self, request, view):
        # The description is JSON even where the view also renders CSV or a calendar
        # (``?format=csv``), which could not write it.
        if getattr(request, "accepted_renderer", None) is not None and (
            request.accepted_renderer.format not in ("json", "api")
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().determine_metadata(request, view)

    def determine_actions(self, request, view):
        try:
            return super().determine_actions(request, view)
        except (AssertionError, ImproperlyConfigured, TypeError):
            return {}
