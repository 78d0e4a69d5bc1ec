"""JSON bodies are read as strictly as the schema documents them.

DRF's fields coerce what they are given: ``"reason": 0`` becomes the text "0",
``"active": 0`` becomes false, ``"room": "3"`` names room 3. The OpenAPI schema says a
string, a boolean, an integer, so a client sending anything else has a bug, and the API
must say so (400 naming the field) rather than guess. That holds for every serializer of
every app, so it is installed once on DRF's own field classes (``install``, from
``CommonConfig.ready``): for JSON input only. Query parameters and form data arrive as
text and keep DRF's parsing of text ("true", "3").
"""

from django.utils.datastructures import MultiValueDict
from rest_framework import fields, relations

_INSTALLED = False


def _json_input(field) -> bool:
    """Whether the data being validated came from a JSON body (not a query or a form)."""
    root = field.root
    if root is None or root is field:
        return False
    data = getattr(root, "initial_data", None)
    return data is not None and not isinstance(data, MultiValueDict)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strict(cls, accepts, error_key: str) -> None:
    original = cls.to_internal_value

    def to_internal_value(self, data):
        if _json_input(self) and not accepts(self, data):
            self.fail(error_key, **_error_params(error_key, data))
        return original(self, data)

    to_internal_value.__wrapped__ = original
    cls.to_internal_value = to_internal_value


def _error_params(error_key: str, data) -> dict:
    if error_key == "incorrect_type":
        return {"data_type": type(data).__name__}
    if error_key == "invalid_choice":
        return {"input": data}
    if error_key == "not_a_list":
        return {"input_type": type(data).__name__}
    return {}


def _choice_accepts(field, data) -> bool:
    kinds = {type(key) for key in field.choices}
    if not kinds:
        return True
    if isinstance(data, bool):
        return bool in kinds
    return type(data) in kinds or (isinstance(data, str) and not kinds - {str})


def _pk_accepts(field, data) -> bool:
    if field.pk_field is not None:
        return True
    queryset = field.get_queryset()
    if queryset is None:
        return True
    pk = queryset.model._meta.pk
    if pk.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField"}:
        return _is_int(data)
    return True


def _char_length_strict() -> None:
    # DRF trims a string before it checks max_length, so 501 characters of which two are
    # padding pass a field the schema says holds 500. The schema counts what was sent.
    # (Checked before DRF's run_validation, which answers "" for a blank string first.)
    original = fields.CharField.run_validation

    def run_validation(self, data=fields.empty):
        limit = self.max_length
        if limit is not None and isinstance(data, str) and len(data) > limit:
            self.fail("max_length", max_length=limit)
        return original(self, data)

    run_validation.__wrapped__ = original
    fields.CharField.run_validation = run_validation


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _char_length_strict()
    _strict(fields.CharField, lambda field, data: isinstance(data, str), "invalid")
    _strict(fields.BooleanField, lambda field, data: isinstance(data, bool), "invalid")
    _strict(fields.IntegerField, lambda field, data: _is_int(data), "invalid")
    _strict(
        fields.FloatField,
        lambda field, data: isinstance(data, int | float) and not isinstance(data, bool),
        "invalid",
    )
    _strict(fields.ChoiceField, _choice_accepts, "invalid_choice")
    # DRF takes any iterable for these lists, so an object {} would pass as [].
    _strict(fields.MultipleChoiceField, lambda field, data: isinstance(data, list), "not_a_list")
    _strict(relations.ManyRelatedField, lambda field, data: isinstance(data, list), "not_a_list")
    _strict(relations.PrimaryKeyRelatedField, _pk_accepts, "incorrect_type")
    # The scoped reference of every clinic's data reads ids itself (not through DRF's).
    from backend.common.serializers import ScopedPrimaryKeyRelatedField

    _strict(ScopedPrimaryKeyRelatedField, _pk_accepts, "incorrect_type")
