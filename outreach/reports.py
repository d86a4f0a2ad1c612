"""Report figures, computed in the database with a fixed number of queries whatever the volume."""

from datetime import date, datetime, time

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth, Upper
from django.utils import timezone

from outreach.access import AccessScope, cases_visible_to
from outreach.models import (
    FAMILY_REACHED,
    Case,
    CaseReason,
    ContactKind,
    Neighbourhood,
    Outcome,
    Support,
    SupportKind,
)
from outreach.programme_reports import Period, calendar_year, programme_figures
from outreach.selectors import family_notice_compliance
from schools.models import Level, Pupil, Sex

GROUPINGS = ("centre", "school", "month", "reason", "neighbourhood")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def outcome_report(
    *,
    scope: AccessScope,
    group_by: str,
    closed_from: date | None,
    closed_to: date | None,
    among: QuerySet[Case] | None = None,
):
    """Closed cases the user can see (of `among`, the dashboard's filtered cases, when given), per group and
    outcome: [{key, label, total, <outcome>: n…}]."""
    cases = (among if among is not None else cases_visible_to(scope)).filter(closed_at__isnull=False)
    if closed_from:
        cases = cases.filter(closed_at__gte=_day_start(closed_from))
    if closed_to:
        cases = cases.filter(closed_at__lte=_day_end(closed_to))
    group_fields = {
        "centre": ("centre_id", "centre__name"),
        "school": ("school__uai", "school__name"),
        "month": ("month", "month"),
        "neighbourhood": ("pupil__neighbourhood", "pupil__neighbourhood"),
    }
    if group_by == "reason":
        rows = (
            CaseReason.objects.filter(case__in=cases)
            .values(key=F("reason"), label=F("reason"), case_outcome=F("case__outcome"))
            .annotate(n=Count("case_id"))
        )
    else:
        if group_by == "month":
            cases = cases.annotate(month=TruncMonth("closed_at"))
        key, label = group_fields[group_by]
        rows = cases.values(key=F(key), label=F(label), case_outcome=F("outcome")).annotate(n=Count("pk"))
    table: dict = {}
    for row in rows:
        key = row["key"].date().isoformat()[:7] if group_by == "month" and row["key"] else row["key"]
        entry = table.setdefault(
            key,
            {"key": key, "label": key if group_by == "month" else row["label"], "total": 0}
            | {outcome: 0 for outcome in Outcome.values},
        )
        entry[row["case_outcome"]] += row["n"]
        entry["total"] += row["n"]
    return sorted(table.values(), key=lambda entry: (str(entry["label"] or ""), str(entry["key"] or "")))


AGE_BANDS = ("11_and_under", "12_13", "14_15", "16_and_over")
IN_PERSON = (
    ContactKind.HOME_VISIT,
    ContactKind.MEETING_AT_CENTRE,
    ContactKind.MEETING_AT_SCHOOL,
    ContactKind.VIDEO_CALL,
)
DEVICES = (SupportKind.DEVICE_PC, SupportKind.DEVICE_TABLET, SupportKind.DEVICE_SMARTPHONE)


def _age_band_filters(year: int) -> dict[str, Q]:
    """Age on 31 December of the year is the year minus the birth year: each band is a range of birth dates."""

    def born_from(age: int) -> date:
        return date(year - age, 1, 1)

    return {
        "11_and_under": Q(birth_date__gte=born_from(11)),
        "12_13": Q(birth_date__gte=born_from(13), birth_date__lt=born_from(11)),
        "14_15": Q(birth_date__gte=born_from(15), birth_date__lt=born_from(13)),
        "16_and_over": Q(birth_date__lt=born_from(15)),
        "unknown": Q(birth_date__isnull=True),
    }


def _pupil_figures(active: QuerySet[Case], year: int) -> dict:
    """Pupils with a case active in the year, each counted once, by level, sex, age band and QPV: one query."""
    qpv_keys = Neighbourhood.objects.filter(is_qpv=True).values(upper_name=Upper("name"))
    pupils = Pupil.objects.filter(pk__in=active.values("pupil_id")).annotate(neighbourhood_key=Upper("neighbourhood"))
    levels = {f"level_{level}": Count("pk", filter=Q(level=level)) for level in Level.values}
    sexes = {f"sex_{sex}": Count("pk", filter=Q(sex=sex)) for sex in Sex.values}
    ages = {f"age_{band}": Count("pk", filter=condition) for band, condition in _age_band_filters(year).items()}
    counts = pupils.aggregate(
        total=Count("pk"),
        qpv=Count("pk", filter=Q(neighbourhood_key__in=qpv_keys)),
        **levels,
        **sexes,
        sex_unknown=Count("pk", filter=Q(sex="")),
        **ages,
    )
    return {
        "total": counts["total"],
        "by_level": {level: counts[f"level_{level}"] for level in Level.values},
        "by_sex": {sex: counts[f"sex_{sex}"] for sex in [*Sex.values, "unknown"]},
        "by_age_band": {band: counts[f"age_{band}"] for band in [*AGE_BANDS, "unknown"]},
        "by_qpv": {"qpv": counts["qpv"], "not_qpv": counts["total"] - counts["qpv"]},
    }


def _tutoring_figures(active: QuerySet[Case], period: Period) -> dict:
    """Tutoring sessions of the period on active cases, joined to them as the families' contacts are: one query."""
    attended = Q(tutoring_sessions__attended=True)
    sessions = active.filter(tutoring_sessions__on__range=(period.start, period.end)).aggregate(
        n_sessions=Count("tutoring_sessions"),
        n_attended=Count("tutoring_sessions", filter=attended),
        minutes_attended=Coalesce(Sum("tutoring_sessions__duration_minutes", filter=attended), 0),
        n_pupils=Count("pupil_id", distinct=True),
    )
    return {
        "sessions": sessions["n_sessions"],
        "sessions_attended": sessions["n_attended"],
        "hours_attended": round(sessions["minutes_attended"] / 60, 1),
        "attendance_rate": (
            round(sessions["n_attended"] / sessions["n_sessions"], 3) if sessions["n_sessions"] else None
        ),
        "pupils": sessions["n_pupils"],
    }


def _support_figures(active: QuerySet[Case], period: Period) -> dict:
    """Supports given in the period on active cases, per kind, devices and connections: one query."""
    supports = dict(
        Support.objects.filter(case__in=active.values("pk"), provided_on__range=(period.start, period.end))
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
        .order_by()
    )
    return {
        "supports": {kind: supports.get(kind, 0) for kind in SupportKind.values},
        "devices_provided": sum(supports.get(kind, 0) for kind in DEVICES),
        "connections_provided": supports.get(SupportKind.INTERNET_ACCESS, 0),
    }


def _family_figures(active: QuerySet[Case], start: datetime, end: datetime) -> dict:
    """Families reached, met, and home visits with someone reached, in the period: one query.

    The contacts are joined to the active cases (one join, its conditions on both sides), not matched against a
    subquery of them: the planner then reads the year's contacts once instead of probing them case by case."""
    reached = active.filter(contacts__occurred_at__range=(start, end), contacts__result__in=FAMILY_REACHED)
    return reached.aggregate(
        families_reached=Count("pupil_id", distinct=True),
        families_met=Count("pupil_id", distinct=True, filter=Q(contacts__kind__in=IN_PERSON)),
        home_visits=Count("contacts", filter=Q(contacts__kind=ContactKind.HOME_VISIT)),
    )


def _outcome_figures(active: QuerySet[Case], start: datetime, end: datetime) -> dict:
    """Cases closed in the year, per outcome: one query."""
    return dict(
        active.filter(closed_at__range=(start, end))
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
        .order_by()
    )


def funders_report(*, cases: QuerySet[Case], year: int | None = None, period: Period | None = None) -> dict:
    """What a CAF CLAS or FEDER report asks for, for cases active during the calendar `year` or the `period` (a
    school year): one query per figure group.

    A case is active in the period if it was flagged by its end and not closed before its start. A new figure group
    is one more `_<group>_figures(active, …)` function and one more key here."""
    period = period or calendar_year(year or timezone.localdate().year)
    start, end = _day_start(period.start), _day_end(period.end)
    active = cases.filter(flagged_at__lte=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    return {
        "year": period.start.year if period.school_year is None else None,
        "school_year": period.school_year,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        # Ages are taken on 31 December of the period's first year, as the CAF counts them.
        "pupils": _pupil_figures(active, period.start.year),
        "tutoring": _tutoring_figures(active, period),
        **_support_figures(active, period),
        "families": _family_figures(active, start, end),
        "outcomes": _outcome_figures(active, start, end),
        **programme_figures(cases=cases, period=period),
    }


def funders_family_notice(*, cases: QuerySet[Case], period: Period, now: datetime | None = None) -> dict:
    """GDPR art. 14 compliance for the period: of the cases flagged during it, the share whose family was informed
    within the deadline (see family_notice_compliance)."""
    flagged = cases.filter(flagged_at__range=(_day_start(period.start), _day_end(period.end)))
    return family_notice_compliance(flagged, now=now)
