from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from schools.domain_errors import InvalidInput


class StrictCursorPagination(CursorPagination):
    """Cursor pagination whose `page_size` must be a positive integer (a 400 otherwise, not a silent default).

    Above `max_page_size` it is capped, as SPEC §5 says ("up to 200"). A cursor that does not decode is a 404,
    as in DRF: the page it points to does not exist.
    """

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise InvalidInput(fields={self.page_size_query_param: [_("Enter a whole number, 1 or more.")]})
        return min(int(raw), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError) as error:
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            # A well-formed cursor whose position does not fit the ordering field (a hand-made one): the same
            # 404 as any other cursor that points nowhere, rather than a 500.
            raise NotFound(self.invalid_cursor_message) from error

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        # `next` and `previous` are always there, null on the first and last pages.
        response["required"] = ["next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "default": self.page_size}
                parameter["description"] = f"{self.page_size} by default; capped at {self.max_page_size}."
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The `next` or `previous` link's cursor; an unknown one gets 404."
        return parameters
