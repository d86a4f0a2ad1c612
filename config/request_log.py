"""Request ids for the logs, and log records that carry no personal data.

Each request gets an id (the proxy's `X-Request-ID` when it is a plain token, else a new one), sent back in the
response and added to every log line written while the request runs, so an operator can match a user's report,
the proxy's log and Radar's log. PostgreSQL's `DETAIL` lines quote the row a constraint refused (a pupil's name,
a guardian's phone): they are cut from logged exceptions.
"""

import logging
import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_NO_REQUEST = "-"

request_id: ContextVar[str] = ContextVar("request_id", default=_NO_REQUEST)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        current = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        # Kept until the request is finished: Django logs the response's status after the middleware has run.
        request_id.set(current)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = current
        return response


def _forget_request_id(**kwargs) -> None:
    request_id.set(_NO_REQUEST)


request_finished.connect(_forget_request_id, dispatch_uid="radar_forget_request_id")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class NoPersonalDataFormatter(logging.Formatter):
    """Logs exceptions without the values PostgreSQL quotes in them."""

    def formatException(self, ei) -> str:
        text = super().formatException(ei)
        return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("DETAIL:"))
