import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from api.errors import error_body

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
        if isinstance(exception, (OperationalError, InterfaceError)):
            response = JsonResponse(
                error_body("database_unavailable", _("The database is unavailable; try again shortly.")), status=503
            )
            response["Retry-After"] = "30"
            return response
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
