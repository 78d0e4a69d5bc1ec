"""django-filter, strict: a filter value the schema does not allow is a 400 naming it.

django-filter's boolean filter reads any unknown word (``?active=-58800``) as "no filter"
and lists everything, which a client with a typo cannot tell from a real answer. Every
filter set of the API starts from ``StrictFilterSet`` (the default backend builds the
``filterset_fields`` ones on it too), so a boolean model field gets a filter that accepts
true/false, 1/0, yes/no, on/off, or nothing, and refuses the rest.
"""

from django import forms
from django.db import models
from django_filters import rest_framework as filters


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no); anything else is an error, not a silently ignored filter."""

    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value):
        text = "" if value is None else str(value).strip().lower()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # The default widget turns unknown words into "no filter" before validation.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class StrictFilterSet(filters.FilterSet):
    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            # A parameter sent empty (``?status=``) is not given, as the schema says
            # (``allowEmptyValue``); a multiple-choice filter would otherwise refuse "".
            data = data.copy()
            for name in [key for key in data if not any(data.getlist(key))]:
                del data[name]
        super().__init__(data, *args, **kwargs)


class StrictFilterBackend(filters.DjangoFilterBackend):
    """The API's filter backend: ``filterset_fields`` lists get a ``StrictFilterSet``."""

    filterset_base = StrictFilterSet
