from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from backend.scheduling.resources.phones import phone_display

register = template.Library()


@register.filter
def phone(value):
    """An E.164 number as people read it."""
    return phone_display(value or "")


CHANGE_FORMAT = "D j M Y, H:i"


@register.inclusion_tag("console/partials/field.html")
def field(bound_field, css: str = ""):
    """Label, input, help text and the field's own errors right below the input."""
    return {"field": bound_field, "css": css}


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def change_value(value):
    """A value from an audit entry: ISO datetimes in the current (clinic) zone."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(parsed):
            return date_format(timezone.localtime(parsed), CHANGE_FORMAT)
    if isinstance(value, datetime) and timezone.is_aware(value):
        return date_format(timezone.localtime(value), CHANGE_FORMAT)
    return value


@register.filter
def words(value):
    """snake_case -> words: ``checked_in`` -> ``checked in``."""
    return str(value).replace("_", " ")


@register.filter
def dashes(value):
    """snake_case -> kebab-case, for URL slugs: ``check_in`` -> ``check-in``."""
    return str(value).replace("_", "-")
