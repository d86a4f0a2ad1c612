"""The access log: every read of a pupil's data and every write, with who, when and from where."""

from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

from outreach.models import AccessAction, AccessLog, Case

request_ip: ContextVar[str | None] = ContextVar("request_ip", default=None)


def access_log_write(
    *,
    user,
    action: AccessAction,
    what: str,
    case: Case | None = None,
    pupil_id: int | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> AccessLog:
    return AccessLog.objects.create(
        at=at or timezone.now(),
        user=user,
        action=action,
        what=what,
        case=case,
        pupil_id=pupil_id if pupil_id is not None else (case.pupil_id if case is not None else None),
        detail=detail[:300],
        ip_address=request_ip.get(),
    )


def record_read(*, user, case: Case, action: AccessAction, what: str = "") -> AccessLog:
    """A read of a pupil's data is logged like a write: who looked, at what, when, from where."""
    return access_log_write(user=user, action=action, what=what or action, case=case)
