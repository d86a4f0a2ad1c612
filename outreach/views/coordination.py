"""Coordinators' pages (triage, dashboard, access log) and the reports every role may read.

Thin views: figures come from outreach/dashboard.py and outreach/reports.py, scoping from the selectors."""

from datetime import date, datetime, time
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Min, Q
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from outreach import dashboard, retention
from outreach.access import (
    cases_visible_to,
    funders_cases,
    request_scope,
    require_coordinator,
    require_global,
    require_somewhere,
)
from outreach.audit import about_case, access_log_write, record_list_read, with_cases_shown
from outreach.charts import bar_chart
from outreach.exports import csv_format_named, csv_stream
from outreach.forms import AccessLogFilterForm, ReportForm
from outreach.models import AccessAction, AccessLog, EventKind, Outcome, Reason, SupportKind
from outreach.programme_forms import DashboardFilterForm, FundersPeriodForm
from outreach.programme_reports import calendar_year, current_school_year, dashboard_cases, school_year
from outreach.redaction import disclosure
from outreach.reports import GROUPINGS, funders_family_notice, funders_report, outcome_report
from outreach.selectors import request_counts
from outreach.views.common import pupil_page
from outreach.views.programmes import programme_sections
from schools.models import Level, Sex
from schools.permissions import Action

TRIAGE_PAGE_SIZE = 50
ACCESS_LOG_PAGE_SIZE = 100


def _coordinator_scope(request):
    scope = request_scope(request)
    require_coordinator(scope)
    return scope


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _csv_format(request):
    return csv_format_named(request.GET.get("dialect"))


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# Triage ----------------------------------------------------------------------------------------


def _triage_rows(scope, cases, coverage: dashboard.Coverage, *, exclude_current: bool = False) -> list[dict]:
    rows = []
    for case in cases:
        suggestion = coverage.suggest(case.pupil)
        suggestions = suggestion.centres
        if exclude_current:
            suggestions = [centre for centre in suggestions if centre.pk != case.centre_id]
        rows.append(
            {
                "case": case,
                "suggestions": suggestions,
                "basis": suggestion.basis,
                "neighbourhood": suggestion.neighbourhood,
                "selected": suggestions[0].pk if len(suggestions) == 1 else None,
                "decline_note_visible": disclosure(scope, case).event_note_visible(EventKind.DECLINED),
            }
        )
    return rows


@pupil_page
@require_GET
def triage_page(request):
    """Cases waiting for a centre, the longest waiting first, each with the centre coverage suggests
    and a form that routes it (posted to the case's `route` step)."""
    scope = _coordinator_scope(request)
    visible = cases_visible_to(scope)
    now = timezone.now()
    page = Paginator(dashboard.triage_queue(visible, now), TRIAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    late = Paginator(dashboard.late_acceptances(visible, now), TRIAGE_PAGE_SIZE).get_page(request.GET.get("late"))
    coverage = dashboard.coverage()
    shown = [*page.object_list, *late.object_list]
    coverage.load_streets([case.pupil for case in shown])
    record_list_read(user=request.user, what="triage", case_ids=[case.pk for case in shown])
    return render(
        request,
        "outreach/triage.html",
        {
            "page": page,
            "rows": _triage_rows(scope, page.object_list, coverage),
            "late_page": late,
            "late_rows": _triage_rows(scope, late.object_list, coverage, exclude_current=True),
            "centres": coverage.centres,
            "page_query": _query_without(request, "page"),
            "late_query": _query_without(request, "late"),
        },
    )


# Dashboard -------------------------------------------------------------------------------------


def _outcome_chart(chart_id: str, title: str, description: str, row_header: str, rows: list[dict]):
    return bar_chart(
        chart_id=chart_id,
        title=title,
        description=description,
        row_header=row_header,
        rows=[(row["label"] or _("No centre"), [row[outcome] for outcome in Outcome.values]) for row in rows],
        series=[str(label) for label in Outcome.labels],
        stacked=True,
        total_header=_("Total"),
    )


@pupil_page
@require_GET
def dashboard_page(request):
    scope = _coordinator_scope(request)
    filters = DashboardFilterForm(request.GET or None)
    cases = dashboard_cases(cases_visible_to(scope), **(filters.cleaned_data if filters.is_valid() else {}))
    now = timezone.now()
    figures = dashboard.figures(scope, now, cases)
    since = figures["months"][0]

    def month_label(month: date) -> str:
        return dateformat.format(month, "N Y")  # "juin", "juil.": "M" gives "jui" for both

    flags, delays, overdue, attendance = (figures[key] for key in ("flags", "delays", "overdue", "attendance"))
    retention_run = retention.last_retention_run()
    period = _("since %(date)s") % {"date": dateformat.format(since, "F Y")}
    charts = [
        bar_chart(
            chart_id="chart-flags",
            title=_("Flags per month"),
            description=_("Pupils flagged each month, over the last 12 months."),
            row_header=_("Month"),
            rows=[(month_label(month), [count]) for month, count in flags],
            series=[_("Flags")],
        ),
        bar_chart(
            chart_id="chart-first-contact",
            title=_("Days from flag to first contact"),
            description=_(
                "Median and average number of days between the flag and the first contact attempt, "
                "by month of flagging, for cases with a first contact."
            ),
            row_header=_("Month"),
            rows=[(month_label(row["month"]), [row["median_days"], row["average_days"]]) for row in delays],
            series=[_("Median (days)"), _("Average (days)")],
            decimals=1,
            extra_columns=[(_("Cases with a first contact"), [row["cases"] for row in delays])],
        ),
        _outcome_chart(
            "chart-outcomes-centre",
            _("Outcomes by centre, %(period)s") % {"period": period},
            _("Cases closed in the last 12 months, by centre and outcome."),
            _("Centre"),
            figures["outcomes_by_centre"],
        ),
        _outcome_chart(
            "chart-outcomes-school",
            _("Outcomes by school, %(period)s") % {"period": period},
            _("Cases closed in the last 12 months, by school and outcome."),
            _("School"),
            figures["outcomes_by_school"],
        ),
        bar_chart(
            chart_id="chart-overdue",
            title=_("Overdue cases by deadline"),
            description=_("Open cases past each deadline today; a case may be past several."),
            row_header=_("Deadline"),
            rows=[(dashboard.DEADLINE_NAMES[name], [overdue[name]]) for name in dashboard.DEADLINES],
            series=[_("Overdue cases")],
        ),
        bar_chart(
            chart_id="chart-attendance",
            title=_("Attendance before and after"),
            description=_(
                "Average half-days missed in the last 4 weeks: when flagged, and in the latest return "
                "confirmation, for cases with a confirmation."
            ),
            row_header=_("School"),
            rows=[
                (row["label"], [row["before"], row["after"]])
                for row in [*attendance["schools"], {**attendance["overall"], "label": _("All schools")}]
            ]
            if attendance["schools"]
            else [],
            series=[_("When flagged"), _("Latest confirmation")],
            decimals=1,
            extra_columns=[
                (
                    _("Cases"),
                    [row["cases"] for row in [*attendance["schools"], attendance["overall"]]]
                    if attendance["schools"]
                    else [],
                )
            ],
        ),
    ]
    return render(
        request,
        "outreach/dashboard.html",
        {
            "kpis": figures["kpis"],
            "charts": charts,
            "school_year_start": dashboard.school_year_start(),
            "computed_at": figures["computed_at"],
            "age_minutes": int((now - figures["computed_at"]).total_seconds() // 60),
            "retention_run": retention_run,
            "family_requests": request_counts(timezone.localdate(now)),
            "retention_late": retention.retention_is_late(retention_run, now),
            "filters": filters,
        },
    )


# Outcome reports -------------------------------------------------------------------------------


def _group_label(group_by: str, row: dict) -> str:
    label = row["label"]
    if group_by == "reason" and label in Reason.values:
        return str(Reason(label).label)
    if group_by == "month" and label:
        return dateformat.format(date.fromisoformat(f"{label}-01"), "F Y")
    if not label:
        return _("No centre") if group_by == "centre" else _("Not given")
    return str(label)


@pupil_page
@require_GET
def reports_page(request):
    scope = request_scope(request)
    require_somewhere(scope, Action.VIEW_REPORTS)
    data = request.GET.copy() if request.GET else None
    if data is not None:
        data.setdefault("group_by", "centre")
    form = ReportForm(data)
    valid = form.is_valid() if form.is_bound else True
    filters = form.cleaned_data if form.is_bound and valid else {}
    group_by = filters.get("group_by") or "centre"
    if group_by not in GROUPINGS:
        group_by = "centre"
    group_header = str(dict(ReportForm.base_fields["group_by"].choices)[group_by])
    outcomes = [(value, str(label)) for value, label in Outcome.choices]
    rows = []
    if valid:
        rows = [
            {
                "label": _group_label(group_by, row),
                "total": row["total"],
                "counts": [{"header": label, "value": row[value]} for value, label in outcomes],
            }
            for row in outcome_report(
                scope=scope,
                group_by=group_by,
                closed_from=filters.get("from"),
                closed_to=filters.get("to"),
            )
        ]
    if group_by == "reason":  # by translated label, as the codes' order means nothing to a reader
        rows.sort(key=lambda row: row["label"].casefold())
    if valid and _wants_csv(request):
        period = "_".join(str(filters[key]) for key in ("from", "to") if filters.get(key))
        access_log_write(user=request.user, action=AccessAction.EXPORT, what="outcome_report", detail=group_by)
        return csv_stream(
            [
                [group_header, _("Total"), *[label for _value, label in outcomes]],
                *([row["label"], row["total"], *[cell["value"] for cell in row["counts"]]] for row in rows),
            ],
            filename=f"radar-outcomes-by-{group_by}{'-' + period if period else ''}.csv",
            csv_format=_csv_format(request),
        )
    totals = {
        "total": sum(row["total"] for row in rows),
        "counts": [
            {"header": label, "value": sum(row["counts"][i]["value"] for row in rows)}
            for i, (_value, label) in enumerate(outcomes)
        ],
    }
    return render(
        request,
        "outreach/reports.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "outcomes": [label for _value, label in outcomes],
            "group_header": group_header,
            "group_by": group_by,
            "csv_query": urlencode(
                {
                    "group_by": group_by,
                    **{key: filters[key].isoformat() for key in ("from", "to") if filters.get(key)},
                    "format": "csv",
                }
            ),
        },
        status=200 if valid else 400,
    )


# Funders' report -------------------------------------------------------------------------------


AGE_BANDS = {
    "11_and_under": gettext_lazy("11 and under"),
    "12_13": gettext_lazy("12 to 13"),
    "14_15": gettext_lazy("14 to 15"),
    "16_and_over": gettext_lazy("16 and over"),
    "unknown": gettext_lazy("Unknown"),
}


def _funders_sections(report: dict) -> list[dict]:
    """The report as titled tables of (label, value), labels translated."""
    pupils, tutoring, families = report["pupils"], report["tutoring"], report["families"]
    sex_labels = {**{value: capfirst(label) for value, label in Sex.choices}, "unknown": gettext_lazy("Not given")}
    rate = tutoring["attendance_rate"]

    def section(key: str, title: str, items) -> dict:
        return {"key": key, "title": title, "items": [(str(label), value) for label, value in items]}

    return [
        section("pupils", _("Pupils followed"), [(_("Total"), pupils["total"])]),
        section("level", _("Pupils by level"), [(dict(Level.choices)[k], n) for k, n in pupils["by_level"].items()]),
        section("sex", _("Pupils by sex"), [(sex_labels[k], n) for k, n in pupils["by_sex"].items()]),
        section(
            "age", _("Pupils by age on 31 December"), [(AGE_BANDS[k], n) for k, n in pupils["by_age_band"].items()]
        ),
        section(
            "qpv",
            _("Pupils living in a priority neighbourhood (QPV)"),
            [(_("In a QPV"), pupils["by_qpv"]["qpv"]), (_("Elsewhere or unknown"), pupils["by_qpv"]["not_qpv"])],
        ),
        section(
            "tutoring",
            _("Tutoring (accompagnement à la scolarité)"),
            [
                (_("Sessions logged"), tutoring["sessions"]),
                (_("Sessions attended"), tutoring["sessions_attended"]),
                (_("Hours attended"), round(tutoring["hours_attended"], 1)),
                (_("Attendance rate (%)"), None if rate is None else round(rate * 100, 1)),
                (_("Pupils tutored"), tutoring["pupils"]),
            ],
        ),
        section(
            "supports",
            _("Devices, connections and other support"),
            [
                (_("Devices provided (computers, tablets, smartphones)"), report["devices_provided"]),
                (_("Internet connections provided"), report["connections_provided"]),
                *[(SupportKind(kind).label, n) for kind, n in report["supports"].items()],
            ],
        ),
        section(
            "families",
            _("Families"),
            [
                (_("Families reached"), families["families_reached"]),
                (_("Families met in person or by video"), families["families_met"]),
                (_("Home visits with someone reached"), families["home_visits"]),
            ],
        ),
        section(
            "outcomes",
            _("Cases closed during the year, by outcome"),
            [(label, report["outcomes"].get(value, 0)) for value, label in Outcome.choices],
        ),
    ]


def _family_notice_section(compliance: dict) -> dict:
    share = compliance["share"]
    return {
        "key": "family_notice",
        "title": _("Families informed (GDPR art. 14), cases flagged during the year"),
        "items": [
            (_("Cases whose family had to be informed by now"), compliance["cases"]),
            (
                _("Families informed within %(days)d days of the flag")
                % {"days": settings.RADAR_DEADLINES["family_notice"]},
                compliance["in_time"],
            ),
            (_("Share informed in time (%)"), None if share is None else round(share * 100, 1)),
        ],
    }


@pupil_page
@require_GET
def funders_report_page(request):
    scope = request_scope(request)
    cases = funders_cases(scope)
    this_school_year = current_school_year()
    first = cases.aggregate(first=Min("flagged_at"))["first"]
    first_year = min(timezone.localtime(first).year, this_school_year) if first else this_school_year
    data = request.GET.copy()
    if data.get("year", "").isdigit() and "period" not in data:
        data["period"] = f"year-{data['year']}"  # the calendar year, as the page was linked before school years
    form = FundersPeriodForm(
        data if "period" in data else None, first_year=first_year, this_school_year=this_school_year
    )
    chosen = form.cleaned_data["period"] if form.is_valid() else form.fields["period"].initial
    kind, _dash, raw = chosen.partition("-")
    period = school_year(int(raw)) if kind == "school" else calendar_year(int(raw))
    year = period.label
    report = funders_report(cases=cases, period=period)
    sections = _funders_sections(report) + programme_sections(report)
    sections.append(_family_notice_section(funders_family_notice(cases=cases, period=period)))
    if _wants_csv(request):
        access_log_write(user=request.user, action=AccessAction.EXPORT, what="funders_report", detail=str(year))
        return csv_stream(
            [
                [_("Section"), _("Figure"), _("Value")],
                *([section["title"], label, value] for section in sections for label, value in section["items"]),
            ],
            filename=f"radar-funders-{year}.csv",
            csv_format=_csv_format(request),
        )
    return render(
        request,
        "outreach/funders_report.html",
        {
            "year": year,
            "form": form,
            "sections": sections,
            "all_cases": Action.VIEW_FUNDERS_REPORT in scope.global_perms,
            "csv_query": urlencode({"period": chosen, "format": "csv"}),
        },
    )


# Access log ------------------------------------------------------------------------------------


def _cursor(raw: str):
    """`<ISO datetime>_<pk>` of the row a page starts after (or before); None if absent or malformed."""
    at, _sep, pk = (raw or "").rpartition("_")
    try:
        moment = parse_datetime(at) if at else None
    except ValueError:
        return None
    if moment is None or not pk.isdigit():
        return None
    return (moment if timezone.is_aware(moment) else timezone.make_aware(moment)), int(pk)


def _cursor_of(entry: AccessLog) -> str:
    return f"{entry.at.isoformat()}_{entry.pk}"


def _page_url(request, **cursor: str) -> str:
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    query.update(cursor)
    return f"?{query.urlencode()}"


# What each list read showed, as the sentence of the access-log page completes it.
LIST_NAMES = {
    "case_list": gettext_lazy("the case list"),
    "api_case_list": gettext_lazy("the case list through the API"),
    "triage": gettext_lazy("triage"),
    "todo": gettext_lazy("the to-do page"),
    "admin_pupil_list": gettext_lazy("the pupils in the admin"),
    "admin_pupil": gettext_lazy("a pupil in the admin"),
    "admin_case_list": gettext_lazy("the cases in the admin"),
    "admin_case": gettext_lazy("a case in the admin"),
}


def _access_sentence(entry: AccessLog) -> str:
    """A list read in words: who saw which list, how many cases, what they searched for."""
    if entry.action != AccessAction.READ_LIST:
        return ""
    values = {
        "user": entry.user.get_full_name() or entry.user.get_username(),
        "list": LIST_NAMES.get(entry.what, entry.what),
        "count": entry.cases_shown_count,
        "search": entry.detail,
    }
    if entry.detail:
        return (
            ngettext(
                "%(user)s searched “%(search)s” in %(list)s (%(count)s case)",
                "%(user)s searched “%(search)s” in %(list)s (%(count)s cases)",
                entry.cases_shown_count,
            )
            % values
        )
    return (
        ngettext(
            "%(user)s viewed %(list)s (%(count)s case)",
            "%(user)s viewed %(list)s (%(count)s cases)",
            entry.cases_shown_count,
        )
        % values
    )


@pupil_page
@require_GET
def access_log_page(request):
    """Newest first, 100 a page, keyset-paginated on (at, pk): one query whatever the page or the filters."""
    require_global(request_scope(request), Action.VIEW_ACCESS_LOG)
    form = AccessLogFilterForm(request.GET or None)
    entries = with_cases_shown(AccessLog.objects.select_related("user", "case", "pupil"))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["user"].strip():
            entries = entries.filter(user__username__iexact=data["user"].strip())
        if data["case"].strip():
            entries = entries.filter(about_case(reference=data["case"].strip().upper()))
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["from"]:
            entries = entries.filter(at__gte=timezone.make_aware(datetime.combine(data["from"], time.min)))
        if data["to"]:
            entries = entries.filter(at__lte=timezone.make_aware(datetime.combine(data["to"], time.max)))
    after, before = _cursor(request.GET.get("after", "")), _cursor(request.GET.get("before", ""))
    if before:  # going back to newer entries
        at, pk = before
        newer = entries.filter(Q(at__gt=at) | Q(at=at, pk__gt=pk)).order_by("at", "pk")
        rows = list(newer[: ACCESS_LOG_PAGE_SIZE + 1])
        has_newer, rows = len(rows) > ACCESS_LOG_PAGE_SIZE, rows[:ACCESS_LOG_PAGE_SIZE][::-1]
        has_older = True
    else:
        if after:
            at, pk = after
            entries = entries.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
        rows = list(entries.order_by("-at", "-pk")[: ACCESS_LOG_PAGE_SIZE + 1])
        has_older, rows = len(rows) > ACCESS_LOG_PAGE_SIZE, rows[:ACCESS_LOG_PAGE_SIZE]
        has_newer = after is not None
    labels = {**dict(EventKind.choices), **dict(AccessAction.choices)}
    for entry in rows:
        entry.what_label = labels.get(entry.what, entry.what)
        entry.sentence = _access_sentence(entry)
    return render(
        request,
        "outreach/access_log.html",
        {
            "form": form,
            "entries": rows,
            "first_url": _page_url(request) if has_newer else "",
            "older_url": _page_url(request, after=_cursor_of(rows[-1])) if has_older and rows else "",
            "newer_url": _page_url(request, before=_cursor_of(rows[0])) if has_newer and rows else "",
        },
        status=400 if form.errors else 200,
    )
