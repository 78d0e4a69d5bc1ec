"""OPTIONS answers for every API view, never a 500.

DRF's metadata describes the body of POST and PUT from the view's serializer; a view
whose actions validate with serializers of their own has no ``serializer_class`` to
describe, and DRF would fail on it. Such a view answers OPTIONS with its methods only.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    def determine_actions(self, request, view):
        try:
            return super().determine_actions(request, view)
        except (AssertionError, ImproperlyConfigured, TypeError):
            return {}
