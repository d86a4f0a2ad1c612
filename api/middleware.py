import logging

from django.http import JsonResponse
from django.utils.translation import gettext as _

from api.errors import database_unavailable, error_body, json_database_unavailable

logger = logging.getLogger(__name__)


class ApiErrorMiddleware:
    """Under /api/, an unexpected error is JSON: 503 when the database is out of reach, else 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        logger.exception("API error on %s", request.path)
        if database_unavailable(exception):
            return json_database_unavailable(request)
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
