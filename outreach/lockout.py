"""Failed logins: who gets locked out, for how long, and from which address.

Two limits, because a whole collège sits behind one NAT address:
- an account tried from one address is locked after `AXES_FAILURE_LIMIT` failures, for `AXES_COOLOFF_TIME` after
  the last one. Someone guessing from another address counts on their own pair, so a stranger cannot lock a
  colleague out;
- an address is locked, whatever the account, after `RADAR_ADDRESS_FAILURE_LIMIT` failures within
  `RADAR_ADDRESS_FAILURE_WINDOW`: a guesser spraying many accounts from one place stops there.

The client's address is the connecting peer's, unless that peer is one of `RADAR_TRUSTED_PROXIES`: then it is
the last address of `X-Forwarded-For` that a trusted proxy added. A header a client sets itself is never read.
"""

import ipaddress
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import Max
from django.utils import timezone


def _is_trusted_proxy(address: str | None) -> bool:
    if not address:
        return False
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in ipaddress.ip_network(proxy, strict=False) for proxy in settings.RADAR_TRUSTED_PROXIES)


def client_ip(request) -> str | None:
    """The client's address, read through trusted proxies only (AXES_CLIENT_IP_CALLABLE and the access log)."""
    address = request.META.get("REMOTE_ADDR") or None
    if not _is_trusted_proxy(address):
        return address
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address
        address = hop
        if not _is_trusted_proxy(hop):
            return hop
    return address


def address_failures(ip_address: str | None, *, now: datetime) -> list[datetime]:
    """When the failures from this address within the window happened, oldest first."""
    if not ip_address:
        return []
    since = now - settings.RADAR_ADDRESS_FAILURE_WINDOW
    return list(
        AccessFailureLog.objects.filter(ip_address=ip_address, attempt_time__gte=since)
        .order_by("attempt_time")
        .values_list("attempt_time", flat=True)
    )


def _address_locked_until(ip_address: str | None, *, now: datetime) -> datetime | None:
    failures = address_failures(ip_address, now=now)
    excess = len(failures) - settings.RADAR_ADDRESS_FAILURE_LIMIT
    if excess < 0:
        return None
    # Unlocked once enough failures have left the window to bring the count under the limit.
    return failures[excess] + settings.RADAR_ADDRESS_FAILURE_WINDOW


def _account_locked_until(username: str | None, ip_address: str | None, *, now: datetime) -> datetime | None:
    attempts = AccessAttempt.objects.filter(
        username=username, ip_address=ip_address, attempt_time__gte=now - settings.AXES_COOLOFF_TIME
    )
    last = attempts.aggregate(last=Max("attempt_time"))["last"]
    return last + settings.AXES_COOLOFF_TIME if last is not None else None


def retry_at(*, username: str | None, ip_address: str | None, now: datetime | None = None) -> datetime:
    """When a locked-out login may be tried again (the later of the account's and the address's lock)."""
    now = now or timezone.now()
    ends = [
        end
        for end in (
            _account_locked_until(username, ip_address, now=now),
            _address_locked_until(ip_address, now=now),
        )
        if end is not None
    ]
    return max(ends, default=now + settings.AXES_COOLOFF_TIME)


def lockout_retry_at(request, credentials=None) -> datetime:
    return retry_at(username=get_client_username(request, credentials), ip_address=client_ip(request))


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the address-wide limit on top of the account-and-address one."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account_failures = super().get_failures(request, credentials)
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        if _address_locked_until(request.axes_ip_address, now=now) is not None:
            return max(account_failures, get_failure_limit(request, credentials))
        return account_failures
