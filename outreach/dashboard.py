"""Coordinators' reads: the triage queue, coverage suggestions and the dashboard's figures.

Selectors style: every function runs a fixed number of queries whatever the number of cases, and
aggregates in the database. Callers pass the cases the user may see (`cases_visible_to`), so
scoping stays decided in one place.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outreach.access import AccessScope
from outreach.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Centre,
    EventKind,
    Neighbourhood,
    NeighbourhoodPostcode,
    ReturnConfirmation,
    Status,
)
from outreach.reports import outcome_report
from outreach.selectors import overdue_conditions, overdue_q, with_overdue

DEADLINES = ("triage", "acceptance", "first_contact", "no_contact", "family_notice")
DEADLINE_NAMES = {
    "triage": _("Triage"),
    "acceptance": _("Acceptance"),
    "first_contact": _("First contact"),
    "no_contact": _("No recent contact"),
    "family_notice": _("Family notice"),
}


# Periods ---------------------------------------------------------------------------------------


def school_year_start(today: date | None = None) -> date:
    """French school years start on 1 September."""
    today = today or timezone.localdate()
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def last_months(count: int = 12, today: date | None = None) -> list[date]:
    """The first day of each of the last `count` months, oldest first, the current month last."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    months = []
    for _month in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month_of(value) -> date | None:
    """TruncMonth gives an aware datetime in the current time zone (a date on some backends)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


# Triage ----------------------------------------------------------------------------------------


def _last_decline(column: str) -> Subquery:
    declines = CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.DECLINED).order_by("-at", "-pk")
    return Subquery(declines.values(column)[:1])


def triage_queue(cases: QuerySet[Case], now: datetime | None = None) -> QuerySet[Case]:
    """Open cases waiting for a centre (never routed, or declined back), the longest waiting first.

    Each row carries `overdue*` flags and the last decline's note and date, in the same query;
    flag reasons come in one prefetch query per page."""
    return (
        with_overdue(cases.filter(status=Status.FLAGGED), now)
        .select_related("pupil", "school")
        .prefetch_related("reasons")
        .annotate(last_decline_note=_last_decline("note"), last_declined_at=_last_decline("at"))
        .order_by("status_changed_at", "flagged_at", "pk")
    )


def late_acceptances(cases: QuerySet[Case], now: datetime | None = None) -> QuerySet[Case]:
    """Routed cases the centre has not accepted within the deadline: candidates for rerouting."""
    return (
        with_overdue(cases.filter(overdue_conditions(now)["acceptance"]), now)
        .select_related("pupil", "school", "centre")
        .order_by("status_changed_at", "pk")
    )


@dataclass
class Coverage:
    """Every centre, and which ones cover which neighbourhood and postcode, loaded once for a whole page.

    `suggest` answers like selectors.centres_covering, without a query per pupil."""

    centres: list[Centre] = field(default_factory=list)
    by_name: dict[str, set[int]] = field(default_factory=dict)
    by_postcode: dict[str, set[int]] = field(default_factory=dict)

    def suggest(self, *, neighbourhood_name: str, postcode: str) -> list[Centre]:
        name, postcode = (neighbourhood_name or "").strip().casefold(), (postcode or "").strip()
        if name and name in self.by_name:
            centre_ids = self.by_name[name]
        elif postcode:
            centre_ids = self.by_postcode.get(postcode, set())
        else:
            centre_ids = set()
        return [centre for centre in self.centres if centre.pk in centre_ids]


def coverage() -> Coverage:
    """Four queries whatever the number of pupils: centres, neighbourhoods, who covers what, postcodes."""
    centres = list(Centre.objects.order_by("name", "pk"))
    covering: dict[int, set[int]] = {}
    for neighbourhood_id, centre_id in Centre.neighbourhoods.through.objects.values_list(
        "neighbourhood_id", "centre_id"
    ):
        covering.setdefault(neighbourhood_id, set()).add(centre_id)
    result = Coverage(centres=centres)
    for neighbourhood_id, name in Neighbourhood.objects.values_list("pk", "name"):
        result.by_name.setdefault(name.strip().casefold(), set()).update(covering.get(neighbourhood_id, set()))
    for neighbourhood_id, postcode in NeighbourhoodPostcode.objects.values_list("neighbourhood_id", "postcode"):
        result.by_postcode.setdefault(postcode.strip(), set()).update(covering.get(neighbourhood_id, set()))
    return result


# Dashboard -------------------------------------------------------------------------------------


def kpis(cases: QuerySet[Case], now: datetime | None = None) -> dict[str, int]:
    """Open, overdue, awaiting triage, closed this school year: one query."""
    now = now or timezone.now()
    since = _start_of(school_year_start(timezone.localdate(now)))
    return cases.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_q(now)),
        awaiting_triage=Count("pk", filter=Q(status=Status.FLAGGED)),
        closed_this_school_year=Count("pk", filter=Q(status=Status.CLOSED, closed_at__gte=since)),
    )


def flags_per_month(cases: QuerySet[Case], months: list[date]) -> list[tuple[date, int]]:
    """Cases flagged in each month (zero-filled): one query."""
    counts = {
        _month_of(row["month"]): row["n"]
        for row in cases.filter(flagged_at__gte=_start_of(months[0]))
        .annotate(month=TruncMonth("flagged_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return [(month, counts.get(month, 0)) for month in months]


def _days(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 86400, 1)


def first_contact_delays(cases: QuerySet[Case], months: list[date]) -> list[dict]:
    """Per month of flagging, for cases with a first contact: how many, median and average days to it.

    Two queries: averages with GROUP BY, and the middle row(s) of each month picked by window functions,
    so the median is found in the database too."""
    delay = ExpressionWrapper(F("first_contact_at") - F("flagged_at"), output_field=DurationField())
    reached = cases.filter(flagged_at__gte=_start_of(months[0]), first_contact_at__isnull=False)
    averages = {
        _month_of(row["month"]): row
        for row in reached.annotate(month=TruncMonth("flagged_at"))
        .values("month")
        .annotate(n=Count("pk"), average=Avg(delay))
        .order_by()
    }
    by_month = [TruncMonth("flagged_at")]
    middles = (
        reached.annotate(
            month=TruncMonth("flagged_at"),
            delay=delay,
            position=Window(RowNumber(), partition_by=by_month, order_by=[delay.asc(), F("pk").asc()]),
            size=Window(Count("pk"), partition_by=by_month),
        )
        .filter(position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
        .values_list("month", "delay")
    )
    medians: dict[date, list[timedelta]] = {}
    for month, value in middles:
        medians.setdefault(_month_of(month), []).append(value)
    rows = []
    for month in months:
        row = averages.get(month)
        middle = medians.get(month)
        rows.append(
            {
                "month": month,
                "cases": row["n"] if row else 0,
                "median_days": _days(sum(middle, timedelta()) / len(middle)) if middle else None,
                "average_days": _days(row["average"]) if row else None,
            }
        )
    return rows


def outcomes_by(*, scope: AccessScope, group_by: str, since: date, among: QuerySet[Case] | None = None) -> list[dict]:
    """Closed cases per centre or school and outcome since a date: reports.outcome_report, one query."""
    return outcome_report(scope=scope, group_by=group_by, closed_from=since, closed_to=None, among=among)


def overdue_by_deadline(cases: QuerySet[Case], now: datetime | None = None) -> dict[str, int]:
    """How many open cases are past each deadline (a case may be past several): one query."""
    conditions = overdue_conditions(now)
    counts = cases.aggregate(**{f"n_{name}": Count("pk", filter=conditions[name]) for name in DEADLINES})
    return {name: counts[f"n_{name}"] for name in DEADLINES}


def attendance_before_after(cases: QuerySet[Case]) -> dict:
    """Average half-days missed at flagging and in the latest return confirmation, per school: one query.

    Only cases with a return confirmation count; `overall` is weighted by the number of cases."""
    later = ReturnConfirmation.objects.filter(case=OuterRef("case")).filter(
        Q(on__gt=OuterRef("on"))
        | Q(on=OuterRef("on"), created_at__gt=OuterRef("created_at"))
        | Q(on=OuterRef("on"), created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    rows = list(
        ReturnConfirmation.objects.filter(case__in=cases.values("pk"))
        .filter(~Exists(later))
        .values("case__school_id", "case__school__name")
        .annotate(n=Count("pk"), before=Avg("case__half_days_missed"), after=Avg("half_days_missed"))
        .order_by("case__school__name", "case__school_id")
    )
    schools = [
        {"label": row["case__school__name"], "cases": row["n"], "before": row["before"], "after": row["after"]}
        for row in rows
    ]
    total = sum(row["cases"] for row in schools)
    overall = {
        "cases": total,
        "before": sum(row["before"] * row["cases"] for row in schools) / total if total else None,
        "after": sum(row["after"] * row["cases"] for row in schools) / total if total else None,
    }
    for row in [*schools, overall]:
        for key in ("before", "after"):
            row[key] = None if row[key] is None else round(float(row[key]), 1)
    return {"schools": schools, "overall": overall}
