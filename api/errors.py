"""One JSON error shape for everything under /api/: {"code", "message", "fields"?}."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from schools.domain_errors import (
    ActionForbidden,
    Conflict,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)

DOMAIN_STATUS = {
    NotFound: status.HTTP_404_NOT_FOUND,
    ActionForbidden: status.HTTP_403_FORBIDDEN,
    InvalidTransition: status.HTTP_409_CONFLICT,
    Conflict: status.HTTP_409_CONFLICT,
    StaleVersion: status.HTTP_412_PRECONDITION_FAILED,
    InvalidInput: status.HTTP_400_BAD_REQUEST,
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {"pupil.guardians.0.email": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(flatten_errors(value, f"{prefix}{key}." if key != "non_field_errors" else prefix))
    elif isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{prefix}{index}."))
    else:
        items = detail if isinstance(detail, list) else [detail]
        flat[prefix.rstrip(".") or "non_field_errors"] = [str(item) for item in items]
    return {key: value for key, value in flat.items() if value}


def _codes(detail) -> str:
    codes = detail.get_codes() if hasattr(detail, "get_codes") else None
    return codes if isinstance(codes, str) else "invalid"


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=DOMAIN_STATUS.get(type(exc), 400))
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", _("The request body is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _("Some fields are invalid."), flatten_errors(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(_codes(exc) if isinstance(exc, exceptions.APIException) else "error", str(detail))
    return response


@csrf_exempt  # else an unknown URL written to without a CSRF token gets Django's HTML 403 instead of this 404
def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_server_error(request):
    return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)


# How long a client is told to wait when the database is out of reach.
RETRY_AFTER_SECONDS = "30"


def database_unavailable(exception: BaseException | None) -> bool:
    """The database is down, silent or too slow; not a deadlock or serialization failure (class 40), which the
    services retry and then answer 409."""
    if not isinstance(exception, (OperationalError, InterfaceError)):
        return False
    return not str(getattr(exception.__cause__, "sqlstate", "") or "").startswith("40")


def json_database_unavailable(request) -> JsonResponse:
    response = JsonResponse(
        error_body("database_unavailable", _("The database is unavailable; try again shortly.")), status=503
    )
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response
