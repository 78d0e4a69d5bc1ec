"""Page-number pagination that refuses a page or page size it cannot honour (400 naming
the parameter) instead of silently answering another page: a client that sends
``page_size=abc`` has a bug it should hear about."""

from rest_framework.pagination import PageNumberPagination

from backend.common.errors import InvalidInput


def _positive_int(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        # Empty is "not given", as for every optional query parameter (the schema says so).
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or not raw.strip().isdigit():
        raise InvalidInput(name, "Give a whole number, 1 or more.")
    return value


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        size = _positive_int(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        number = _positive_int(request, self.page_query_param)
        return 1 if number is None else number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] += f" At most {self.max_page_size}; more gives that many."
        return parameters
