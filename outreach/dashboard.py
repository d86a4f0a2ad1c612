"""Coordinators' reads: the triage queue, coverage suggestions and the dashboard's figures.

Selectors style: every function runs a fixed number of queries whatever the number of cases, and
aggregates in the database. Callers pass the cases the user may see (`cases_visible_to`), so
scoping stays decided in one place.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import models
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

from outreach.access import AccessScope, cases_visible_to
from outreach.folding import fold
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
from outreach.streets import street_neighbourhoods

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


class Basis(models.TextChoices):
    """Why a centre is suggested for a pupil."""

    NEIGHBOURHOOD = "neighbourhood"
    STREET = "street"
    POSTCODE = "postcode"


@dataclass
class Suggestion:
    centres: list[Centre]
    basis: Basis | None = None
    # The neighbourhood that decided, when one did (never the street: triage shows no address).
    neighbourhood: str = ""


@dataclass
class Coverage:
    """Every centre, and which ones cover which neighbourhood and postcode, loaded once for a whole page.

    `suggest` answers like selectors.centres_covering, without a query per pupil, and says why."""

    centres: list[Centre] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    by_neighbourhood: dict[int, set[int]] = field(default_factory=dict)
    by_name: dict[str, set[int]] = field(default_factory=dict)
    by_postcode: dict[str, set[int]] = field(default_factory=dict)
    by_address: dict[tuple[str, str], int] = field(default_factory=dict)

    def load_streets(self, pupils) -> None:
        """The street list's answer for these pupils' addresses: one query for the page, whatever its pupils."""
        self.by_address = street_neighbourhoods((pupil.address, pupil.postcode) for pupil in pupils if pupil.address)

    def _named(self, pupil) -> set[int]:
        return self.by_name.get(fold(pupil.neighbourhood), set())

    def suggest(self, pupil) -> Suggestion:
        if neighbourhood_ids := self._named(pupil):
            basis, decided = Basis.NEIGHBOURHOOD, neighbourhood_ids
        elif (street := self.by_address.get((pupil.address, pupil.postcode))) is not None:
            basis, decided = Basis.STREET, {street}
        elif postcode_ids := self.by_postcode.get((pupil.postcode or "").strip(), set()):
            basis, decided = Basis.POSTCODE, postcode_ids
        else:
            return Suggestion(centres=[])
        centre_ids = set().union(*(self.by_neighbourhood.get(pk, set()) for pk in decided))
        names = sorted(self.names[pk] for pk in decided)
        return Suggestion(
            centres=[centre for centre in self.centres if centre.pk in centre_ids],
            basis=basis,
            neighbourhood=", ".join(names) if basis != Basis.POSTCODE else "",
        )


def coverage() -> Coverage:
    """Four queries whatever the number of pupils: centres, neighbourhoods, who covers what, postcodes."""
    result = Coverage(centres=list(Centre.objects.order_by("name", "pk")))
    for neighbourhood_id, centre_id in Centre.neighbourhoods.through.objects.values_list(
        "neighbourhood_id", "centre_id"
    ):
        result.by_neighbourhood.setdefault(neighbourhood_id, set()).add(centre_id)
    for neighbourhood_id, name in Neighbourhood.objects.values_list("pk", "name"):
        result.names[neighbourhood_id] = name
        result.by_name.setdefault(fold(name), set()).add(neighbourhood_id)
    for neighbourhood_id, postcode in NeighbourhoodPostcode.objects.values_list("neighbourhood_id", "postcode"):
        result.by_postcode.setdefault(postcode.strip(), set()).add(neighbourhood_id)
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


def figures(scope: AccessScope, now: datetime | None = None, cases: QuerySet[Case] | None = None) -> dict:
    """Every figure of the dashboard, for `cases` (the dashboard's filters applied to what the caller sees) or all
    the caller sees, computed at `computed_at` and kept RADAR_DASHBOARD_CACHE_SECONDS.

    The cache key is the cases' SQL (visibility and filters), so callers who see the same cases (every coordinator)
    share one entry and nobody is shown figures of cases they cannot see."""
    now = now or timezone.now()
    cases = cases_visible_to(scope) if cases is None else cases
    seconds = settings.RADAR_DASHBOARD_CACHE_SECONDS
    key = "radar:dashboard:" + hashlib.sha256(str(cases.query).encode()).hexdigest()
    if seconds > 0:
        cached = cache.get(key)
        if cached is not None:
            return cached
    months = last_months(12, timezone.localdate(now))
    result = {
        "computed_at": now,
        "months": months,
        "kpis": kpis(cases, now),
        "flags": flags_per_month(cases, months),
        "delays": first_contact_delays(cases, months),
        "overdue": overdue_by_deadline(cases, now),
        "attendance": attendance_before_after(cases),
        "outcomes_by_centre": outcomes_by(scope=scope, group_by="centre", since=months[0], among=cases),
        "outcomes_by_school": outcomes_by(scope=scope, group_by="school", since=months[0], among=cases),
    }
    if seconds > 0:
        cache.set(key, result, seconds)
    return result
