"""School staff: flag a pupil (form or CSV file, with a per-row report) and edit a flag while the case is open."""

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outreach import services
from outreach.access import case_for, import_job_for, request_scope, schools_to_flag_for
from outreach.audit import record_read
from outreach.csv_import import (
    CSV_COLUMN_HELP,
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    FlagUploadForm,
    column_title,
    csv_template,
)
from outreach.forms import (
    AddressForm,
    FlagDetailsForm,
    FlagSchoolForm,
    GuardianForm,
    GuardianFormSet,
    PupilForm,
    pupil_arguments,
)
from outreach.imports import import_job_create, import_job_task
from outreach.models import AccessAction, ImportJob, ImportStatus, Neighbourhood, Reason
from outreach.steps import STEPS
from outreach.views import once
from outreach.views.common import pupil_page, show_domain_error
from schools.domain_errors import ActionForbidden, DomainError, InvalidInput
from schools.validators import MAX_GUARDIANS

GUARDIANS_PREFIX = "guardians"


def _flag_schools(request):
    """The schools the user may flag for; 403 for anyone who may flag nowhere."""
    return schools_to_flag_for(request_scope(request))


def place_errors(error: DomainError, targets: list[tuple[str, django_forms.Form, bool]]) -> list[str]:
    """Puts each field error of a service next to its field; returns the messages that belong to no field.

    A target is (key prefix, form, catch_all): the first target whose prefix starts the key and which holds the
    field takes the error; a catch-all target (a guardian row) also takes its keys that name no field of its own.
    """
    if not error.fields:
        return [error.message]
    unplaced: list[str] = []
    for key, key_messages in error.fields.items():
        for prefix, form, catch_all in targets:
            if key.startswith(prefix) and (catch_all or key[len(prefix) :] in form.fields):
                show_domain_error(form, InvalidInput(fields={key: key_messages}), prefix=prefix)
                break
        else:
            unplaced.extend(key_messages)
    return unplaced


def _error_links(sections: list[tuple[str, django_forms.Form, str]]) -> list[dict]:
    """One link per field in error, for the summary on top of a long form: (context, form, anchor of the form)."""
    links = []
    for context, form, anchor in sections:
        for name, errors in form.errors.items():
            if name in form.fields:
                bound = form[name]
                href, label = bound.id_for_label or f"{bound.auto_id}_0", bound.label
            else:
                href, label = anchor, ""
            for message in errors:
                links.append({"href": f"#{href}", "context": context, "label": label, "message": message})
    return links


def _typed(form: django_forms.Form) -> dict:
    """What was typed in a bound form, as initial values of a fresh one."""
    return {name: form[name].data for name in form.fields}


def _render_flag(request, *, school_form, pupil_form, address_form, guardians, details_form, top_errors=(), status):
    sections = [("", school_form, "flag-school")] if school_form is not None else []
    sections += [("", pupil_form, "flag-pupil"), ("", address_form, "flag-address")]
    for number, row in enumerate(guardians.forms, start=1):
        sections.append((_("Guardian %(number)s") % {"number": number}, row, f"guardian-{number}"))
    sections.append(("", details_form, "flag-details"))
    context = {
        "school_form": school_form,
        "pupil_form": pupil_form,
        "address_form": address_form,
        "guardians": guardians,
        "details_form": details_form,
        "top_errors": list(top_errors),
        "error_links": _error_links(sections),
        "can_add_guardian": guardians.total_form_count() < MAX_GUARDIANS,
        "next_guardian": guardians.total_form_count() + 1,
        "neighbourhoods": Neighbourhood.objects.order_by("name").values_list("name", flat=True),
    }
    return render(request, "outreach/flag_form.html", context, status=status)


@pupil_page
@require_http_methods(["GET", "POST"])
def flag_page(request):
    schools = _flag_schools(request)
    several = len(schools) > 1
    if request.method == "GET":
        return _render_flag(
            request,
            school_form=FlagSchoolForm(schools=schools) if several else None,
            pupil_form=PupilForm(),
            address_form=AddressForm(),
            guardians=GuardianFormSet(prefix=GUARDIANS_PREFIX),
            details_form=FlagDetailsForm(),
            status=200,
        )

    data = request.POST
    school_form = FlagSchoolForm(data, schools=schools)
    pupil_form, address_form, details_form = PupilForm(data), AddressForm(data), FlagDetailsForm(data)
    guardians = GuardianFormSet(data, prefix=GUARDIANS_PREFIX)

    if "add_guardian" in data:
        # Not a submission: the same page with one more guardian row, everything typed kept, no error shown yet.
        rows = [_typed(row) for row in guardians.forms]
        return _render_flag(
            request,
            school_form=FlagSchoolForm(initial=_typed(school_form), schools=schools) if several else None,
            pupil_form=PupilForm(initial=_typed(pupil_form)),
            address_form=AddressForm(initial=_typed(address_form)),
            guardians=GuardianFormSet(initial=rows, extra=1, prefix=GUARDIANS_PREFIX),
            details_form=FlagDetailsForm(initial=_typed(details_form)),
            status=200,
        )

    with once.claimed(request, pending=reverse("outreach:flag")) as submission:
        if submission.replay:
            return submission.replay
        page = {
            "school_form": school_form if several else None,
            "pupil_form": pupil_form,
            "address_form": address_form,
            "guardians": guardians,
            "details_form": details_form,
        }
        bound_forms = [school_form, pupil_form, address_form, details_form]
        if not all([form.is_valid() for form in bound_forms] + [guardians.is_valid()]):
            return _render_flag(request, **page, status=400)

        filled = guardians.filled()
        details = details_form.cleaned_data
        try:
            case, created = services.case_flag(
                actor=request.user,
                scope=request_scope(request),
                school=school_form.chosen_school(),
                pupil=pupil_arguments(
                    pupil_form.cleaned_data, address_form.cleaned_data, [guardian for _index, guardian in filled]
                ),
                reasons=details["reasons"],
                details=details["details"],
                urgency=details["urgency"],
                half_days_missed=details["half_days_missed"],
                last_seen_on=details["last_seen_on"],
            )
        except ActionForbidden:
            raise
        except DomainError as error:
            targets = [
                (f"pupil.guardians.{service_index}.", guardians.forms[row_index], True)
                for service_index, (row_index, _guardian) in enumerate(filled)
            ]
            targets += [("pupil.", pupil_form, False), ("pupil.", address_form, False), ("", details_form, False)]
            if several:
                targets.append(("", school_form, False))
            return _render_flag(request, **page, top_errors=place_errors(error, targets), status=400)

        if created:
            messages.success(request, _("Pupil flagged: case %(reference)s.") % {"reference": case.reference})
        else:
            messages.warning(
                request,
                _(
                    "This pupil already has an open case, %(reference)s: no new case was created. "
                    "To change its reasons or details, edit its flag."
                )
                % {"reference": case.reference},
            )
        return redirect(submission.saved(reverse("outreach:case", args=[case.pk])))


def _csv_template() -> HttpResponse:
    response = HttpResponse(csv_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="radar-flags-template.csv"'
    return response


@pupil_page
@require_http_methods(["GET", "POST"])
def flag_upload_page(request):
    schools = _flag_schools(request)
    if request.method == "GET" and request.GET.get("template"):
        return _csv_template()
    form = FlagUploadForm(request.POST or None, request.FILES or None, schools=schools)
    if request.method == "POST":
        with once.claimed(request, pending=reverse("outreach:flag_upload")) as submission:
            if submission.replay:
                return submission.replay
            if form.is_valid():
                job = import_job_create(
                    actor=request.user, scope=request_scope(request), school=form.chosen_school(), rows=form.rows
                )
                # The job is committed: a worker (or, in development, this request) imports its rows.
                import_job_task.enqueue(str(job.pk))
                progress = reverse("outreach:flag_import", args=[job.pk])
                submission.saved(progress)
                return redirect(progress)
    context = {
        "form": form,
        "columns": [
            (column_title(name), name, CSV_COLUMN_HELP[name], name in REQUIRED_COLUMNS) for name in CSV_COLUMNS
        ],
        "reasons": Reason.choices,
    }
    return render(request, "outreach/flag_upload.html", context, status=400 if form.errors else 200)


@pupil_page
@require_http_methods(["GET"])
def flag_import_page(request, job_id):
    """An import's progress, refreshed by the browser until its per-row report is ready."""
    job = import_job_for(request_scope(request), job_id)
    report = None
    if job.status == ImportStatus.DONE:
        cells = {row["number"]: row["cells"] for row in ImportJob.objects.values_list("rows", flat=True).get(pk=job.pk)}
        report = [
            {
                "number": result.number,
                "cells": cells.get(result.number, {}),
                "status": result.status,
                "case": result.case,
                # Columns named as the template names them (French headers for a French reader, else codes).
                "errors": [(column_title(column), messages) for column, messages in result.errors],
            }
            for result in job.results.select_related("case").only("number", "status", "errors", "case__reference")
        ]
    context = {
        "job": job,
        "report": report,
        "refresh": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "counts": {
            status: sum(1 for result in report or () if result["status"] == status)
            for status in ("created", "existing", "error")
        },
    }
    return render(request, "outreach/flag_import.html", context)


@pupil_page
@require_http_methods(["GET", "POST"])
def flag_edit_page(request, case_id):
    """The `edit_flag` step, on a page of its own: the same fields as when flagging."""
    step = STEPS["edit_flag"]
    scope = request_scope(request)
    case = case_for(scope, case_id, step.action)
    if not step.offered(scope, case):
        messages.error(request, _("The flag can only be edited while the case is open."))
        return redirect("outreach:case", case_id=case.pk)
    form = step.form(request.POST or None, case=case, now=timezone.now())
    if request.method == "POST":
        case_url = reverse("outreach:case", args=[case.pk])
        with once.claimed(request, pending=case_url) as submission:
            if submission.replay:
                return submission.replay
            if form.is_valid():
                if not form.changed_data:
                    messages.info(request, _("Nothing was changed."))
                    return redirect(case_url)
                try:
                    step.run(form, actor=request.user, scope=scope)
                except DomainError as error:
                    show_domain_error(form, error)
                else:
                    messages.success(request, step.confirmation(form))
                    return redirect(submission.saved(case_url))
    elif request.method == "GET":
        record_read(user=request.user, case=case, action=AccessAction.READ_CASE, what="flag_edit")
    return render(request, "outreach/flag_edit.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@pupil_page
@require_http_methods(["GET", "POST"])
def contact_details_page(request, case_id):
    """The `update_contact_details` step: the address and guardian rows of the flag form, filled with what Radar
    holds; what is saved replaces it, and the centre's request to check the details is answered."""
    step = STEPS["update_contact_details"]
    scope = request_scope(request)
    case = case_for(scope, case_id, step.action)
    pupil = case.pupil
    if not step.offered(scope, case):
        messages.error(request, _("The contact details can only be updated while the case is open."))
        return redirect("outreach:case", case_id=case.pk)
    held = {name: getattr(pupil, name) for name in AddressForm.base_fields}
    rows = [{name: getattr(guardian, name) for name in GuardianForm.base_fields} for guardian in pupil.guardians.all()]
    if request.method == "GET":
        record_read(user=request.user, case=case, action=AccessAction.READ_CASE, what="contact_details")
        address_form = AddressForm(initial=held)
        guardians = GuardianFormSet(initial=rows, prefix=GUARDIANS_PREFIX)
        return _render_contact_details(request, case, address_form, guardians, None)
    with once.claimed(request, pending=reverse("outreach:case", args=[case.pk])) as submission:
        if submission.replay:
            return submission.replay
        address_form = AddressForm(request.POST)
        guardians = GuardianFormSet(request.POST, prefix=GUARDIANS_PREFIX)
        step_form = None
        if address_form.is_valid() and guardians.is_valid():
            data = {**address_form.cleaned_data, "guardians": [row for _index, row in guardians.filled()]}
            step_form = step.form(data, case=case, now=timezone.now())
            if step_form.is_valid():
                try:
                    step.run(step_form, actor=request.user, scope=scope)
                except DomainError as error:
                    show_domain_error(step_form, error)
                else:
                    messages.success(request, step.confirmation(step_form))
                    return redirect(submission.saved(reverse("outreach:case", args=[case.pk])))
        return _render_contact_details(request, case, address_form, guardians, step_form, status=400)


def _render_contact_details(request, case, address_form, guardians, step_form, *, status=200):
    context = {
        "case": case,
        "address_form": address_form,
        "guardians": guardians,
        "form": step_form,
        "neighbourhoods": Neighbourhood.objects.order_by("name").values_list("name", flat=True),
    }
    return render(request, "outreach/contact_details.html", context, status=status)
