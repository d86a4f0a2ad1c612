"""Session limits: a web session ends after `RADAR_SESSION_IDLE_MINUTES` without a request, and
`RADAR_SESSION_MAX_HOURS` after the login whatever the activity.

The session remembers when its user logged in and when they were last seen. "Last seen" is written at most once
a minute, so a burst of page loads costs one session write, not one each.
"""

from datetime import datetime, timedelta

from django.conf import settings

LOGIN_AT = "radar_login_at"
SEEN_AT = "radar_seen_at"
TOUCH_EVERY = timedelta(minutes=1)
# How long before the idle limit the page offers to stay logged in (WCAG 2.2.1 asks for at least 20 seconds).
WARNING_BEFORE = timedelta(minutes=2)


class EndReason:
    IDLE = "idle"
    MAX_AGE = "max_age"


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.RADAR_SESSION_IDLE_MINUTES)


def max_age() -> timedelta:
    return timedelta(hours=settings.RADAR_SESSION_MAX_HOURS)


def session_start(session, *, now: datetime) -> None:
    session[LOGIN_AT] = now.timestamp()
    session[SEEN_AT] = now.timestamp()


def end_reason(session, *, now: datetime) -> str | None:
    """Why this session is over, or None while it may go on."""
    stamp = now.timestamp()
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        return None
    if stamp - login_at >= max_age().total_seconds():
        return EndReason.MAX_AGE
    if stamp - seen_at >= idle_limit().total_seconds():
        return EndReason.IDLE
    return None


def session_touch(session, *, now: datetime, force: bool = False) -> None:
    """Counts the request as activity; the first request of a session older than this code starts its clock."""
    if session.get(LOGIN_AT) is None:
        session_start(session, now=now)
        return
    if force or now.timestamp() - session.get(SEEN_AT, 0) >= TOUCH_EVERY.total_seconds():
        session[SEEN_AT] = now.timestamp()


def idle_seconds_left(session, *, now: datetime) -> int:
    seen_at = session.get(SEEN_AT, now.timestamp())
    login_at = session.get(LOGIN_AT, now.timestamp())
    idle_end = seen_at + idle_limit().total_seconds()
    absolute_end = login_at + max_age().total_seconds()
    return max(0, int(min(idle_end, absolute_end) - now.timestamp()))
