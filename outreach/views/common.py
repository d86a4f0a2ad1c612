"""What every web page shares: the caller's scope, domain errors shown next to fields, no caching of pupils' data."""

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from outreach.access import request_scope
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
