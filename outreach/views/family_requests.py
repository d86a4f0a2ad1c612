"""Family requests (GDPR articles 15 to 21): the coordinator records one from a case, answers it within a month."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from outreach.access import case_for, request_scope, require_coordinator
from outreach.family_requests import family_request_answer, family_request_record
from outreach.forms import FamilyRequestAnswerForm, FamilyRequestForm
from outreach.models import FamilyRequest
from outreach.selectors import answered_requests, open_requests
from outreach.views.common import pupil_page, show_domain_error
from schools.domain_errors import DomainError, NotFound


def _coordinator_scope(request):
    scope = request_scope(request)
    require_coordinator(scope)
    return scope


@pupil_page
@require_GET
def family_request_list(request):
    _coordinator_scope(request)
    return render(
        request,
        "outreach/family_requests.html",
        {"open": list(open_requests()), "answered": list(answered_requests()), "today": timezone.localdate()},
    )


@pupil_page
@require_http_methods(["GET", "POST"])
def family_request_new(request, case_id):
    scope = _coordinator_scope(request)
    case = case_for(scope, case_id)
    form = FamilyRequestForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            recorded = family_request_record(actor=request.user, scope=scope, case=case, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            due = date_format(recorded.due_on, "SHORT_DATE_FORMAT")
            messages.success(request, _("Request recorded: the answer is due on %(date)s.") % {"date": due})
            return redirect(reverse("outreach:family_request", args=[recorded.pk]))
    return render(
        request, "outreach/family_request_new.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


@pupil_page
@require_http_methods(["GET", "POST"])
def family_request_page(request, request_id):
    scope = _coordinator_scope(request)
    family_request = FamilyRequest.objects.select_related("case", "recorded_by", "closed_by").filter(pk=request_id)
    found = family_request.first()
    if found is None:
        raise NotFound()
    form = FamilyRequestAnswerForm(request.POST or None) if found.is_open else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            family_request_answer(actor=request.user, scope=scope, request_id=found.pk, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("Request answered."))
            return redirect(reverse("outreach:family_request", args=[found.pk]))
    return render(
        request,
        "outreach/family_request.html",
        {"family_request": found, "form": form, "today": timezone.localdate()},
        status=400 if form is not None and form.errors else 200,
    )
