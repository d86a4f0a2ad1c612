"""The case list and the case page, for every role, and the case steps: what is shown follows redaction.py, what is
offered follows the step registry."""

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from outreach import redaction
from outreach.access import case_for, cases_visible_to, reload_request_scope, request_scope
from outreach.audit import record_list_read, record_read
from outreach.filters import CaseFilter
from outreach.models import OPEN_STATUSES, AccessAction, Case
from outreach.pupil_export import pupil_export
from outreach.selectors import case_list
from outreach.steps import STEPS, Step, steps_offered
from outreach.views import once
from outreach.views.common import pupil_page, show_domain_error
from outreach.views.paging import keyset_page
from outreach.views.programmes import case_programmes
from schools.domain_errors import DomainError, NotFound
from schools.permissions import Action

PAGE_SIZE = 50
# The orderings a page offers: the most urgent first, the newest flags first, the latest changes first.
LIST_ORDERINGS = ("next_deadline_at", "-flagged_at", "-updated_at")


def _default_ordering(scope) -> str:
    """A centre works the most urgent first; a school follows its newest flags."""
    return "next_deadline_at" if scope.has_assignments or scope.is_coordinator else "-flagged_at"


def _filter_data(request, scope) -> QueryDict:
    """The filters the page was given, empty ones left out. On a first visit: the open cases, and for a school
    also those closed lately (marked "return to confirm" until it is)."""
    data = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        given = [value for value in values if value]
        if given and name not in ("cursor", "ordering"):
            data.setlist(name, given)
    if not data:
        if scope.has_assignments or scope.is_coordinator:
            data.setlist("status", [str(status) for status in OPEN_STATUSES])
        else:
            data["current"] = "true"
    return data


@pupil_page
@require_GET
def case_list_page(request):
    scope = request_scope(request)
    filters = CaseFilter(_filter_data(request, scope), queryset=case_list(scope), request=request)
    filters.offer_choices()
    ordering = request.GET.get("ordering")
    if ordering not in LIST_ORDERINGS:
        ordering = _default_ordering(scope)
    page = None
    if filters.is_valid():
        page = keyset_page(filters.qs, ordering=ordering, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    rows = [redaction.case_view(scope, case) for case in page.rows] if page else []
    if page:
        record_list_read(
            user=request.user,
            what="case_list",
            case_ids=[case.pk for case in page.rows],
            search=request.GET.get("q", ""),
        )
    return render(
        request,
        "outreach/case_list.html",
        {
            "form": filters.form,
            "page": page,
            "rows": rows,
            "ordering": ordering,
            "orderings": LIST_ORDERINGS,
            "query_string": query.urlencode(),
            # Folded on a first visit, so the list comes first on a phone; open once filters are chosen.
            "filtered": bool(request.GET),
        },
        status=200 if page else 400,
    )


def _render_case(request, case: Case, *, bound: dict | None = None, status: int = 200):
    scope = request_scope(request)
    now = timezone.now()
    case = case_list(scope, now).get(pk=case.pk)
    seen = redaction.disclosure(scope, case)
    offered = [step for step in steps_offered(scope, case) if step.page is None]
    if seen.identity:
        offered = [step for step in offered if step.name != "reveal"]
    forms = {
        step.name: (bound or {}).get(step.name) or step.form(case=case, now=now, prefix=step.name) for step in offered
    }
    context = {
        "case": case,
        "view": redaction.case_view(scope, case),
        "seen": seen,
        # The family's right of access, and who has seen the case: a coordinator's answers to a family.
        "can_export_pupil": Action.EXPORT_PUPIL in scope.global_perms,
        "can_record_family_request": scope.is_coordinator,
        "step_forms": [(step, forms[step.name]) for step in offered],
        # On a phone at the door: whoever logs the visit and may see where the family lives.
        "doorstep": seen.identity and "log_contact" in forms,
        "page_steps": [step for step in steps_offered(scope, case) if step.page is not None],
        "events": [
            redaction.event_view(seen, event) for event in case.events.select_related("actor").order_by("at", "pk")
        ],
        "contacts": [
            redaction.contact_view(seen, contact, now=now)
            for contact in case.contacts.select_related("author").prefetch_related("supports").order_by("-occurred_at")
        ],
        "tutoring_sessions": [
            redaction.tutoring_view(seen, session)
            for session in case.tutoring_sessions.select_related("author").order_by("-on")
        ],
        "returns": list(case.return_confirmations.all()),
        **case_programmes(scope, case),
    }
    return render(request, "outreach/case_detail.html", context, status=status)


@pupil_page
@require_GET
def case_page(request, case_id):
    case = case_for(request_scope(request), case_id)
    record_read(user=request.user, case=case, action=AccessAction.READ_CASE)
    return _render_case(request, case)


CONFIRMED = "confirmed"


def _confirm_step(request, case: Case, step: Step, form) -> HttpResponse:
    """The page that restates what the step will do and sends the same answers again, confirmed."""
    answers = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    context = {"case": case, "step": step, "question": step.question(form), "answers": answers}
    return render(request, "outreach/confirm_step.html", context)


def _step_of(name: str) -> Step:
    step = STEPS.get(name)
    if step is None or step.page is not None:
        raise NotFound()
    return step


@pupil_page
@require_POST
def case_step(request, case_id, step):
    step = _step_of(step)
    # Claimed before the case is looked up: a replay of a step that took the case out of the user's sight (a
    # decline) still goes where the first submit went, not to a 404.
    with once.claimed(request, pending=reverse("outreach:case", args=[case_id])) as submission:
        if submission.replay:
            return submission.replay
        scope = request_scope(request)
        case = case_for(scope, case_id, step.action)
        form = step.form(request.POST, case=case, now=timezone.now(), prefix=step.name)
        if form.is_valid() and step.confirm and request.POST.get(CONFIRMED) != "yes":
            return _confirm_step(request, case, step, form)
        if form.is_valid():
            try:
                step.run(form, actor=request.user, scope=scope)
            except DomainError as error:
                show_domain_error(form, error)
        if form.errors:
            return _render_case(request, case, bound={step.name: form}, status=400)
        messages.success(request, step.confirmation(form))
        if step.changes_grants:
            scope = reload_request_scope(request)
        back_to = request.POST.get("next", "")
        if back_to and url_has_allowed_host_and_scheme(back_to, allowed_hosts={request.get_host()}):
            return redirect(submission.saved(back_to))
        if not cases_visible_to(scope).filter(pk=case.pk).exists():
            return redirect(submission.saved(reverse("outreach:home")))
        # An anchor of its own, or the page would open again at the form's anchor, which the redirect inherits.
        return redirect(submission.saved(reverse("outreach:case", args=[case.pk]) + "#main"))


@pupil_page
@require_GET
def case_print_page(request, case_id):
    """A case on one or two printed pages for an équipe éducative meeting: facts, timeline and outcome, with the
    notes as the reader may see them, and no form."""
    scope = request_scope(request)
    case = case_for(scope, case_id)
    record_read(user=request.user, case=case, action=AccessAction.READ_CASE, what="print")
    now = timezone.now()
    case = case_list(scope, now).get(pk=case.pk)
    seen = redaction.disclosure(scope, case)
    context = {
        "case": case,
        "view": redaction.case_view(scope, case),
        "seen": seen,
        "events": [
            redaction.event_view(seen, event) for event in case.events.select_related("actor").order_by("at", "pk")
        ],
        "contacts": [
            redaction.contact_view(seen, contact, now=now)
            for contact in case.contacts.select_related("author").prefetch_related("supports").order_by("occurred_at")
        ],
        "returns": list(case.return_confirmations.all()),
        "printed_at": now,
    }
    return render(request, "outreach/case_print.html", context)


@pupil_page
@require_GET
def pupil_export_page(request, case_id):
    """A family's right of access (GDPR art. 15): everything Radar holds about the case's pupil, as a page to print
    (or save as PDF) and, with `?format=json`, the same as a file. Coordinators only; each export is logged."""
    scope = request_scope(request)
    case = case_for(scope, case_id)
    export = pupil_export(actor=request.user, scope=scope, pupil_id=case.pupil_id)
    if request.GET.get("format") == "json":
        response = JsonResponse(
            export, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
        response["Content-Disposition"] = f'attachment; filename="radar-{case.reference}-export.json"'
        return response
    return render(request, "outreach/pupil_export.html", {"case": case, "export": export, "now": timezone.now()})
