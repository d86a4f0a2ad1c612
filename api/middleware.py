import logging
from urllib.parse import unquote_to_bytes

from django.db import DataError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from api.errors import database_unavailable, error_body, json_database_unavailable

logger = logging.getLogger(__name__)

_PRINTABLE_ASCII = frozenset(range(0x20, 0x7F))


class MalformedRequestMiddleware:
    """Under /api/, a request no view could read is answered before one runs, never with a 500.

    An `Authorization` header that is not printable ASCII cannot hold a token (knox fails on it with a
    UnicodeDecodeError): 401. A NUL character in the path or the query string cannot be looked up in PostgreSQL,
    which refuses NUL in text: 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            authorization = request.META.get("HTTP_AUTHORIZATION", "")
            # WSGI hands headers over as latin-1: each character is one byte of what was sent.
            if any(ord(character) not in _PRINTABLE_ASCII for character in authorization):
                response = JsonResponse(error_body("authentication_failed", _("Invalid token header.")), status=401)
                response["WWW-Authenticate"] = "Token"
                return response
            if "\x00" in request.path or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
                return JsonResponse(error_body("invalid_input", _("Text may not contain a NUL character.")), status=400)
        return self.get_response(request)


class ApiErrorMiddleware:
    """Under /api/, an unexpected error is JSON: 503 when the database is out of reach, 400 when it refused a
    value as invalid (SQLSTATE class 22, data exception), else 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, DataError):
            logger.warning("Value refused by the database on %s", request.path)
            return JsonResponse(error_body("invalid_input", _("A value could not be stored.")), status=400)
        logger.exception("API error on %s", request.path)
        if database_unavailable(exception):
            return json_database_unavailable(request)
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
