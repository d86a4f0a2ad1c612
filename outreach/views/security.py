"""Account security pages: the login page's reasons, the session status, the lockout notice, the second factor."""

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outreach.access import request_scope
from outreach.integrations import integration_create, integration_revoke, integrations_visible_to
from outreach.lockout import lockout_retry_at
from outreach.mfa import (
    ENROL,
    MFA_PENDING,
    VERIFY,
    has_device,
    otp_check,
    recovery_codes_issue,
    recovery_codes_left,
    totp_device_pending,
    totp_enrol,
)
from outreach.sessions import WARNING_BEFORE, EndReason, idle_seconds_left, session_touch
from outreach.views.common import show_domain_error
from schools.domain_errors import DomainError
from schools.models import School
from schools.permissions import Action


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


class OtpForm(forms.Form):
    otp = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _secret_page(request, template: str, context: dict, status: int = 200):
    response = render(request, template, {"next": _next_url(request), **context}, status=status)
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, " + response["Cache-Control"]
    return response


@login_required
def mfa_verify(request):
    """The second step of a login for an account with a device: a code from the phone, or a recovery code."""
    if request.session.get(MFA_PENDING) != VERIFY:
        return redirect(_next_url(request))
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            otp_check(user=request.user, token=form.cleaned_data["otp"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            request.session.cycle_key()
            request.session[MFA_PENDING] = None
            return redirect(_next_url(request))
    return _secret_page(request, "outreach/security/mfa_verify.html", {"form": form}, 400 if form.errors else 200)


@login_required
def mfa_setup(request):
    """Enrolment (a QR code drawn here, no outside service), then the state of the second factor and new recovery
    codes on demand. Recovery codes are shown once, right after they are made."""
    if request.session.get(MFA_PENDING) == VERIFY:
        return redirect(f"{reverse('outreach:mfa_verify')}?next={reverse('outreach:mfa_setup')}")
    user = request.user
    if has_device(user) and request.session.get(MFA_PENDING) != ENROL:
        if request.method == "POST" and request.POST.get("codes"):
            codes = recovery_codes_issue(user=user)
            return _secret_page(request, "outreach/security/mfa_codes.html", {"codes": codes})
        return _secret_page(request, "outreach/security/mfa_status.html", {"codes_left": recovery_codes_left(user)})
    device = totp_device_pending(user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrol(user=user, token=form.cleaned_data["otp"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            request.session.cycle_key()
            request.session[MFA_PENDING] = None
            return _secret_page(request, "outreach/security/mfa_codes.html", {"codes": codes, "enrolled": True})
    context = {
        "form": form,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=5, title=_("QR code for your application")),
        "secret": b32encode(device.bin_key).decode(),
        "required": request.session.get(MFA_PENDING) == ENROL,
    }
    return _secret_page(request, "outreach/security/mfa_setup.html", context, 400 if form.errors else 200)


class IntegrationForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.none())
    name = forms.CharField(
        label=_("Name of the information system"), max_length=100, help_text=_("For example: Pronote, or ENT 59.")
    )
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=365)

    def __init__(self, *args, schools, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if schools.count() == 1:
            self.fields["school"].initial = schools.first()


@login_required
def integrations_page(request):
    """The integration tokens the caller may manage: listed, revoked, and (school staff, second factor verified)
    created. A new token is shown once."""
    scope = request_scope(request)
    schools = School.objects.filter(pk__in=scope.schools_with(Action.FLAG)).order_by("name")
    if not scope.schools_with(Action.FLAG) and not scope.is_coordinator:
        raise PermissionDenied
    form = IntegrationForm(request.POST if request.POST.get("create") else None, schools=schools)
    created = None
    if request.method == "POST" and request.POST.get("revoke"):
        try:
            token = integration_revoke(actor=request.user, scope=scope, token_id=int(request.POST["revoke"]))
        except (DomainError, ValueError) as error:
            raise Http404 from error
        messages.success(request, _("Token revoked: %(name)s.") % {"name": token.name})
        return redirect("outreach:integrations")
    if request.method == "POST" and form.is_valid():
        verified = has_device(request.user) and request.session.get(MFA_PENDING) is None
        try:
            created = integration_create(
                actor=request.user,
                scope=scope,
                school=form.cleaned_data["school"],
                name=form.cleaned_data["name"],
                valid_days=form.cleaned_data["valid_days"],
                mfa_verified=verified,
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            form = IntegrationForm(schools=schools)
    context = {
        "tokens": integrations_visible_to(scope),
        "form": form if scope.schools_with(Action.FLAG) else None,
        "mfa_ready": has_device(request.user),
        "created": created,
        "now": timezone.now(),
    }
    return _secret_page(request, "outreach/security/integrations.html", context, 400 if form.errors else 200)
