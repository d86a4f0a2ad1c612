"""Account security pages: the login page's reasons, the session status, the lockout notice."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outreach.lockout import lockout_retry_at
from outreach.sessions import WARNING_BEFORE, EndReason, idle_seconds_left, session_touch


def logout_reason(reason: str) -> str | None:
    if reason == EndReason.IDLE:
        return _("You were logged out after %(minutes)d minutes without activity, to protect the pupils' data.") % {
            "minutes": settings.RADAR_SESSION_IDLE_MINUTES
        }
    if reason == EndReason.MAX_AGE:
        return _("You were logged out because your session had lasted %(hours)d hours. Log in again to go on.") % {
            "hours": settings.RADAR_SESSION_MAX_HOURS
        }
    return None


class LoginView(auth_views.LoginView):
    """Django's login, saying why the previous session ended when it ended on its own."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["logout_reason"] = logout_reason(self.request.GET.get("reason", ""))
        return context


def session_timer(request) -> dict:
    """Context processor: what session.js needs to warn before the idle limit (logged-in pages only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_timer": {
            "status_url": reverse("outreach:session_status"),
            "seconds_left": idle_seconds_left(request.session, now=timezone.now()),
            "warning_seconds": int(WARNING_BEFORE.total_seconds()),
            "login_url": resolve_url(settings.LOGIN_URL),
        }
    }


@require_http_methods(["GET", "POST"])
def session_status(request):
    """How many seconds the session has left; a POST ("Rester connecté") counts as activity first."""
    if not request.user.is_authenticated:
        return JsonResponse({"seconds_left": 0}, status=401)
    now = timezone.now()
    if request.method == "POST":
        session_touch(request.session, now=now, force=True)
    response = JsonResponse({"seconds_left": idle_seconds_left(request.session, now=now)})
    response["Cache-Control"] = "no-store"
    return response


def locked_out(request, original_response=None, credentials=None):
    """Axes' lockout answer (AXES_LOCKOUT_CALLABLE): says when the login may be tried again."""
    return render(request, "registration/locked.html", {"retry_at": lockout_retry_at(request, credentials)}, status=429)
