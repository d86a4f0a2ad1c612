"""The case list and the case page, for every role: what is shown and offered follows the caller's permissions."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case as When_
from django.db.models import Exists, IntegerField, OuterRef, Q, Value, When
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outreach import forms, services
from outreach.audit import record_read
from outreach.lifecycle import PUBLIC_EVENT_NOTES, STEPS, available_steps
from outreach.models import OPEN_STATUSES, AccessAction, Case
from outreach.selectors import case_for_user, case_list, cases_visible_to, centre_staff, centres_covering, overdue_q
from outreach.views.common import pupil_page, scope_of, show_domain_error
from schools.errors import DomainError
from schools.permissions import Action

PAGE_SIZE = 50


@pupil_page
@require_http_methods(["GET"])
def case_list_page(request):
    scope = scope_of(request)
    form = forms.CaseFilterForm(request.GET or None)
    cases = case_list(request.user, scope=scope)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    if status == "":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        cases = cases.filter(status=status)
    if filters.get("scope") == "mine":
        through = Case.animators.through
        cases = cases.filter(Exists(through.objects.filter(case=OuterRef("pk"), user=request.user)))
    if filters.get("overdue"):
        cases = cases.filter(overdue_q())
    if query := filters.get("q", "").strip():
        identity = Q(school_id__in=scope.schools_with(Action.VIEW_IDENTITY)) | Q(
            centre_id__in=scope.centres_with(Action.VIEW_IDENTITY)
        )
        by_name = Q(pupil__last_name__icontains=query) | Q(pupil__first_name__icontains=query)
        cases = cases.filter(Q(reference__iexact=query) | (identity & by_name))
    cases = cases.annotate(
        overdue_rank=When_(When(overdue_q(), then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("overdue_rank", "-flagged_at", "pk")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"case": case, "identity": scope.can(Action.VIEW_IDENTITY, case)} for case in page.object_list]
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "outreach/case_list.html",
        {"form": form, "page": page, "rows": rows, "query_string": query_string.urlencode()},
    )


STEP_FORMS = {
    "route": forms.RouteForm,
    "decline": forms.DeclineForm,
    "assign": forms.AssignForm,
    "close": forms.CloseForm,
    "withdraw": forms.WithdrawForm,
    "reopen": forms.ReopenForm,
    "confirm_return": forms.ReturnForm,
    "reveal": forms.RevealForm,
    "family_notice": forms.FamilyNoticeForm,
    "log_contact": forms.ContactForm,
    "log_tutoring": forms.TutoringForm,
}


def _step_form(step: str, case: Case, data=None):
    form_class = STEP_FORMS.get(step)
    if form_class is None:
        return None
    if form_class is forms.AssignForm:
        staff = list(centre_staff(case.centre)) if case.centre_id else []
        initial = {"animators": [str(user.pk) for user in case.animators.all()]}
        return form_class(data, staff=staff, initial=initial, prefix=step)
    if form_class is forms.RouteForm:
        suggestions = centres_covering(neighbourhood_name=case.pupil.neighbourhood, postcode=case.pupil.postcode)
        initial = {"centre": suggestions[0].pk} if len(suggestions) == 1 else {}
        return form_class(data, initial=initial, prefix=step)
    return form_class(data, prefix=step)


def _render_case(request, case: Case, *, bound: dict | None = None, status: int = 200):
    scope = scope_of(request)
    case = case_list(request.user, scope=scope).get(pk=case.pk)
    steps = available_steps(scope, case)
    perms = scope.permissions_on(case)
    step_forms = {
        step: (bound or {}).get(step) or _step_form(step, case)
        for step in STEPS
        if step in steps and step in STEP_FORMS
    }
    if Action.VIEW_IDENTITY in perms:
        step_forms.pop("reveal", None)
    context = {
        "case": case,
        "identity": Action.VIEW_IDENTITY in perms,
        "public_note_kinds": PUBLIC_EVENT_NOTES,
        "notes": Action.VIEW_NOTES in perms,
        "steps": steps,
        "forms": step_forms,
        "events": case.events.select_related("actor").order_by("at", "pk"),
        "contacts": case.contacts.select_related("author").prefetch_related("supports").order_by("-occurred_at"),
        "tutoring_sessions": case.tutoring_sessions.select_related("author").order_by("-on"),
        "supports": case.supports.order_by("-provided_on"),
        "family_notices": case.family_notices.order_by("-on"),
        "returns": case.return_confirmations.all(),
        "guardians": case.pupil.guardians.all() if Action.VIEW_IDENTITY in perms else [],
        "suggested_centres": (
            centres_covering(neighbourhood_name=case.pupil.neighbourhood, postcode=case.pupil.postcode)
            if "route" in steps
            else []
        ),
    }
    return render(request, "outreach/case_detail.html", context, status=status)


@pupil_page
@require_http_methods(["GET"])
def case_page(request, case_id):
    case = case_for_user(request.user, case_id, Action.VIEW_SUMMARY, scope=scope_of(request))
    record_read(user=request.user, case=case, action=AccessAction.READ_CASE)
    return _render_case(request, case)


def _run_step(step: str, request, case: Case, form) -> str:
    """Calls the service behind a step; returns the confirmation shown to the user."""
    actor, data = request.user, form.cleaned_data if form is not None else {}
    match step:
        case "accept":
            services.case_accept(actor=actor, case=case)
            return _("Case accepted.")
        case "decline":
            services.case_decline(actor=actor, case=case, reason=data["reason"])
            return _("Case declined: it is back in triage.")
        case "route":
            services.case_route(actor=actor, case=case, centre=data["centre"], note=data["note"])
            return _("Case routed to %(centre)s.") % {"centre": data["centre"].name}
        case "assign":
            services.case_assign(actor=actor, case=case, animators=form.selected_users())
            return _("Animators assigned.")
        case "close":
            services.case_close(actor=actor, case=case, outcome=data["outcome"], note=data["note"])
            return _("Case closed.")
        case "withdraw":
            services.case_withdraw(actor=actor, case=case, note=data["note"])
            return _("Flag withdrawn.")
        case "reopen":
            services.case_reopen(actor=actor, case=case, note=data["note"])
            return _("Case reopened.")
        case "confirm_return":
            services.return_confirm(actor=actor, case=case, **data)
            return _("Return recorded.")
        case "reveal":
            services.identity_reveal(actor=actor, case=case, reason=data["reason"])
            return _("Identity revealed. Your reason is in the access log.")
        case "family_notice":
            services.family_notice_record(actor=actor, case=case, on=data["on"], channel=data["channel"])
            return _("Family notice recorded.")
        case "log_contact":
            services.contact_log(actor=actor, case=case, **form.service_arguments())
            return _("Contact logged.")
        case "log_tutoring":
            services.tutoring_log(actor=actor, case=case, **data)
            return _("Tutoring session logged.")
    raise ValueError(step)


@pupil_page
def case_step(request, case_id, step):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if step not in STEPS or step in ("edit_flag", "record_support"):
        return redirect("outreach:case", case_id=case_id)
    case = case_for_user(request.user, case_id, STEPS[step][0], scope=scope_of(request))
    form = _step_form(step, case, request.POST)
    if form is not None and not form.is_valid():
        return _render_case(request, case, bound={step: form}, status=400)
    try:
        message = _run_step(step, request, case, form)
    except DomainError as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("outreach:case", case_id=case.pk)
        show_domain_error(form, error)
        return _render_case(request, case, bound={step: form}, status=400)
    messages.success(request, message)
    back_to = request.POST.get("next", "")
    if back_to and url_has_allowed_host_and_scheme(back_to, allowed_hosts={request.get_host()}):
        return redirect(back_to)
    if not cases_visible_to(request.user).filter(pk=case.pk).exists():
        return redirect("outreach:home")
    return redirect("outreach:case", case_id=case.pk)
