"""What every web page shares: the caller's scope, domain errors shown next to fields, no caching of pupils' data."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from outreach.access import request_scope
from outreach.dashboard import DEADLINE_NAMES
from outreach.models import Status
from outreach.navigation import home_url_for
from schools.domain_errors import ActionForbidden, DomainError, NotFound


def pupil_page(view):
    """Logged-in only, never cached (pupils' data), and the gates' answers as pages: not found is a 404,
    forbidden a 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404 from error
        except ActionForbidden as error:
            raise PermissionDenied from error
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, " + response["Cache-Control"]
        return response

    return wrapper


def show_domain_error(form: forms.Form, error: DomainError, prefix: str = "") -> None:
    """A service's field errors go next to the matching field; anything else on top of the form."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for key, messages in error.fields.items():
        name = key[len(prefix) :] if prefix and key.startswith(prefix) else key
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


@login_required
@require_GET
def home(request):
    return redirect(home_url_for(request_scope(request)))


@login_required
@require_GET
def no_role(request):
    return render(request, "outreach/no_role.html")


@require_GET
def help_page(request):
    """Help for every role, with the glossary of statuses and deadlines the "Overdue" badges link to."""
    deadlines = [(DEADLINE_NAMES[name], days) for name, days in settings.RADAR_DEADLINES.items()]
    return render(request, "outreach/help.html", {"statuses": Status.choices, "deadlines": deadlines})


@require_GET
def accessibility_page(request):
    return render(request, "outreach/accessibility.html", {"contact": settings.RADAR_PUBLISHER_CONTACT})


@require_GET
def legal_page(request):
    context = {
        "publisher": settings.RADAR_PUBLISHER,
        "address": settings.RADAR_PUBLISHER_ADDRESS,
        "contact": settings.RADAR_PUBLISHER_CONTACT,
        "host": settings.RADAR_HOST,
    }
    return render(request, "outreach/legal.html", context)


@require_GET
def privacy_page(request):
    retention = {
        "cases": settings.RADAR_CASE_RETENTION_MONTHS,
        "access_log": settings.RADAR_ACCESS_LOG_RETENTION_MONTHS,
    }
    return render(request, "outreach/privacy.html", {"retention": retention, "dpo": settings.RADAR_DPO_CONTACT})
