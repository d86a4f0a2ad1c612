"""School staff: flag a pupil (form or CSV file, with a per-row report) and edit a flag while the case is open."""

import logging

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outreach import services
from outreach.audit import record_read
from outreach.forms import FlagEditForm
from outreach.models import OPEN_STATUSES, AccessAction, Neighbourhood, Reason
from outreach.school_forms import (
    CSV_COLUMN_HELP,
    CSV_COLUMNS,
    MAX_GUARDIANS,
    REQUIRED_COLUMNS,
    AddressForm,
    FlagDetailsForm,
    FlagSchoolForm,
    FlagUploadForm,
    GuardianFormSet,
    PupilForm,
    RowReader,
    csv_column_of,
    pupil_arguments,
)
from outreach.selectors import case_for_user
from outreach.views.common import pupil_page, scope_of, show_domain_error
from schools.errors import ActionForbidden, DomainError, InvalidInput
from schools.models import School
from schools.permissions import Action

GUARDIANS_PREFIX = "guardians"

logger = logging.getLogger(__name__)


def _flag_schools(request) -> list[School]:
    """The schools the user may flag for; 403 for anyone who may flag nowhere."""
    school_ids = scope_of(request).schools_with(Action.FLAG)
    if not school_ids:
        raise PermissionDenied
    return list(School.objects.filter(pk__in=school_ids).order_by("name"))


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
    except ActionForbidden as error:
        raise PermissionDenied from error
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
    return redirect("outreach:case", case_id=case.pk)


def _csv_template() -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="radar-flags-template.csv"'
    # A byte order mark and semicolons: what a French spreadsheet expects when it opens the file.
    response.write("\ufeff" + ";".join(CSV_COLUMNS) + "\r\n")
    return response


def _import(actor, school: School, rows) -> list[dict]:
    """Flags each row on its own: a bad row is reported and never blocks the others (each flag is atomic)."""
    reader, report = RowReader(), []
    for row in rows:
        reader.read(row)
        result = {"number": row.number, "cells": row.cells, "case": None, "errors": row.errors}
        if not row.errors:
            try:
                case, created = services.case_flag(actor=actor, school=school, **row.arguments)
            except DomainError as error:
                if not error.fields:
                    row.errors[""] = [error.message]
                for key, key_messages in error.fields.items():
                    row.errors.setdefault(csv_column_of(key), []).extend(key_messages)
            except Exception:
                # The row's flag was rolled back whole; the rows before it stay flagged, the ones after still run.
                logger.exception("CSV import: row %s could not be flagged", row.number)
                row.errors[""] = [_("This row could not be flagged because of an error on our side.")]
            else:
                result.update(case=case, status="created" if created else "existing")
        if row.errors:
            result["status"] = "error"
            result["errors"] = sorted(row.errors.items(), key=lambda item: _column_order(item[0]))
        report.append(result)
    return report


def _column_order(column: str) -> int:
    return CSV_COLUMNS.index(column) if column in CSV_COLUMNS else -1


@pupil_page
@require_http_methods(["GET", "POST"])
def flag_upload_page(request):
    schools = _flag_schools(request)
    if request.method == "GET" and request.GET.get("template"):
        return _csv_template()
    form = FlagUploadForm(request.POST or None, request.FILES or None, schools=schools)
    report = None
    if request.method == "POST" and form.is_valid():
        report = _import(request.user, form.chosen_school(), form.rows)
    context = {
        "form": form,
        "report": report,
        "counts": {
            status: sum(1 for result in report or () if result["status"] == status)
            for status in ("created", "existing", "error")
        },
        "columns": [(name, CSV_COLUMN_HELP[name], name in REQUIRED_COLUMNS) for name in CSV_COLUMNS],
        "reasons": Reason.choices,
    }
    return render(request, "outreach/flag_upload.html", context, status=400 if form.errors else 200)


@pupil_page
@require_http_methods(["GET", "POST"])
def flag_edit_page(request, case_id):
    try:
        case = case_for_user(request.user, case_id, Action.EDIT_FLAG, scope=scope_of(request))
    except ActionForbidden as error:
        raise PermissionDenied from error
    if case.status not in OPEN_STATUSES:
        messages.error(request, _("The flag can only be edited while the case is open."))
        return redirect("outreach:case", case_id=case.pk)
    initial = {
        "reasons": list(case.reasons.values_list("reason", flat=True)),
        "details": case.details,
        "urgency": case.urgency,
        "half_days_missed": case.half_days_missed,
        "last_seen_on": case.last_seen_on,
    }
    form = FlagEditForm(request.POST or None, initial=initial)
    # A date input only shows an ISO date, whatever the language's own date format.
    form.fields["last_seen_on"].widget.format = "%Y-%m-%d"
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("outreach:case", case_id=case.pk)
        try:
            services.case_update_flag(actor=request.user, case=case, changes=changes)
        except ActionForbidden as error:
            raise PermissionDenied from error
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("Flag updated."))
            return redirect("outreach:case", case_id=case.pk)
    elif request.method == "GET":
        record_read(user=request.user, case=case, action=AccessAction.READ_CASE, what="flag_edit")
    return render(request, "outreach/flag_edit.html", {"case": case, "form": form}, status=400 if form.errors else 200)
