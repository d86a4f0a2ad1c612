"""Error pages (JSON under /api/, HTML elsewhere) and the health check."""

import sys

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache

from api.errors import (
    RETRY_AFTER_SECONDS,
    database_unavailable,
    json_database_unavailable,
    json_not_found,
    json_server_error,
)

HEALTHZ_PATH = "/healthz"


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Called while the uncaught exception is being handled: a database out of reach is a 503, not a 500."""
    if database_unavailable(sys.exc_info()[1]):
        if request.path == HEALTHZ_PATH:  # a middleware before the check met the database first: same answer
            return JsonResponse({"status": "unavailable"}, status=503)
        if request.path.startswith("/api/"):
            return json_database_unavailable(request)
        # Rendered without the request: the context processors would query the database that just failed.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)


HEALTH_CACHE_KEY = "radar:healthz"


@never_cache
def healthz(request):
    """200 when the database and the cache answer, 503 when either does not; nothing else is said."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        cache.set(HEALTH_CACHE_KEY, "ok", timeout=10)
        healthy = cache.get(HEALTH_CACHE_KEY) == "ok"
    except Exception:  # any failure of either store means "not ready", and says nothing more
        healthy = False
    return JsonResponse({"status": "ok" if healthy else "unavailable"}, status=200 if healthy else 503)
