"""The API reads JSON objects only (shared/API.md: "JSON in and out").

Every body the API documents is an object; a JSON array, string or number where an
object is expected is refused here (400, as a serializer refuses it) rather than left for each view
to notice, or not, as an endpoint whose body is all optional would otherwise accept
``[]`` as if it were ``{}``. Forms and multipart bodies answer 415.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            # As a serializer says it of a body that is not an object.
            message = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
        return data
