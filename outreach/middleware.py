from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from outreach.audit import request_ip
from outreach.lockout import client_ip
from outreach.mfa import MFA_PENDING, VERIFY
from outreach.sessions import end_reason, session_touch


class RequestOriginMiddleware:
    """Makes the client address available to the access log for the duration of a request.

    Behind a load balancer, REMOTE_ADDR is the balancer: the client's address is then read from X-Forwarded-For,
    and only when the peer is one of RADAR_TRUSTED_PROXIES (outreach.lockout.client_ip).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)


class SessionLimitsMiddleware:
    """Ends a web session left idle too long or open too long (outreach/sessions.py), then sends its user to the
    login page with the reason, and back to the page they asked for once logged in again.

    Asking how long is left (`GET` on the session status) is not activity: a tab left open must not keep its
    session alive by polling.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            reason = end_reason(request.session, now=now)
            if reason is not None:
                logout(request)
                if request.path.startswith("/api/") or request.path == reverse("outreach:session_status"):
                    return self.get_response(request)
                login_url = f"{resolve_url(settings.LOGIN_URL)}?reason={reason}"
                return redirect_to_login(request.get_full_path(), login_url=login_url)
            if not (request.method == "GET" and request.path == reverse("outreach:session_status")):
                session_touch(request.session, now=now)
        return self.get_response(request)


class MfaGateMiddleware:
    """A login that still owes its second factor (outreach/mfa.py) reaches only the pages that settle it: the
    code's page, the enrolment page, logging out and the session status. Anything else sends it there."""

    OPEN = ("outreach:mfa_verify", "outreach:mfa_setup", "outreach:session_status", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        pending = request.session.get(MFA_PENDING)
        if not pending or request.path in {reverse(name) for name in self.OPEN}:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            message = _("Finish logging in with your second factor on the website first.")
            return JsonResponse({"code": "mfa_required", "message": message}, status=403)
        target = reverse("outreach:mfa_verify" if pending == VERIFY else "outreach:mfa_setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
