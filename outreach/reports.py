"""Report figures, computed in the database with a fixed number of queries whatever the volume."""

from datetime import date, datetime, time

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.utils import timezone

from outreach.access import AccessScope, cases_visible_to
from outreach.models import (
    FAMILY_REACHED,
    Case,
    CaseReason,
    Contact,
    ContactKind,
    Neighbourhood,
    Outcome,
    Support,
    SupportKind,
    TutoringSession,
)
from outreach.programme_reports import Period, calendar_year, programme_figures
from schools.models import Level, Sex

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


def _age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    if age <= 11:
        return "11_and_under"
    if age <= 13:
        return "12_13"
    if age <= 15:
        return "14_15"
    return "16_and_over"


def funders_report(*, cases: QuerySet[Case], year: int | None = None, period: Period | None = None) -> dict:
    """What a CAF CLAS or FEDER report asks for, for cases active during the calendar year or the `period` (a
    school year)."""
    period = period or calendar_year(year or timezone.localdate().year)
    year = period.start.year
    start, end = _day_start(period.start), _day_end(period.end)
    active = cases.filter(flagged_at__lte=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    qpv = Exists(Neighbourhood.objects.filter(name__iexact=OuterRef("pupil__neighbourhood"), is_qpv=True))
    pupils = (
        active.annotate(in_qpv=qpv, birth_year=ExtractYear("pupil__birth_date"))
        .values("pupil_id", "pupil__level", "pupil__sex", "birth_year", "in_qpv")
        .distinct()
    )
    by_level = {level: 0 for level in Level.values}
    by_sex = {sex: 0 for sex in [*Sex.values, "unknown"]}
    by_age = {band: 0 for band in ("11_and_under", "12_13", "14_15", "16_and_over", "unknown")}
    qpv_counts = {"qpv": 0, "not_qpv": 0}
    seen = set()
    for row in pupils:
        if row["pupil_id"] in seen:
            continue
        seen.add(row["pupil_id"])
        by_level[row["pupil__level"]] = by_level.get(row["pupil__level"], 0) + 1
        by_sex[row["pupil__sex"] or "unknown"] += 1
        by_age[_age_band(year - row["birth_year"] if row["birth_year"] else None)] += 1
        qpv_counts["qpv" if row["in_qpv"] else "not_qpv"] += 1

    sessions = TutoringSession.objects.filter(case__in=active, on__range=(period.start, period.end)).aggregate(
        n_sessions=Count("pk"),
        n_attended=Count("pk", filter=Q(attended=True)),
        minutes_attended=Coalesce(Sum("duration_minutes", filter=Q(attended=True)), 0),
        n_pupils=Count("case__pupil_id", distinct=True),
    )
    supports = dict(
        Support.objects.filter(case__in=active, provided_on__range=(period.start, period.end))
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    met = FAMILY_REACHED
    in_person = [
        ContactKind.HOME_VISIT,
        ContactKind.MEETING_AT_CENTRE,
        ContactKind.MEETING_AT_SCHOOL,
        ContactKind.VIDEO_CALL,
    ]
    contacts = Contact.objects.filter(case__in=active, occurred_at__range=(start, end))
    families = contacts.filter(result__in=met).aggregate(
        families_reached=Count("case__pupil_id", distinct=True),
        families_met=Count("case__pupil_id", distinct=True, filter=Q(kind__in=in_person)),
        home_visits=Count("pk", filter=Q(kind=ContactKind.HOME_VISIT)),
    )
    return {
        "year": year if period.school_year is None else None,
        "school_year": period.school_year,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "pupils": {
            "total": len(seen),
            "by_level": by_level,
            "by_sex": by_sex,
            "by_age_band": by_age,
            "by_qpv": qpv_counts,
        },
        "tutoring": {
            "sessions": sessions["n_sessions"],
            "sessions_attended": sessions["n_attended"],
            "hours_attended": round(sessions["minutes_attended"] / 60, 1),
            "attendance_rate": (
                round(sessions["n_attended"] / sessions["n_sessions"], 3) if sessions["n_sessions"] else None
            ),
            "pupils": sessions["n_pupils"],
        },
        "supports": {kind: supports.get(kind, 0) for kind in SupportKind.values},
        "devices_provided": sum(supports.get(kind, 0) for kind in ("device_pc", "device_tablet", "device_smartphone")),
        "connections_provided": supports.get(SupportKind.INTERNET_ACCESS, 0),
        "families": families,
        "outcomes": dict(
            active.filter(closed_at__range=(start, end))
            .values_list("outcome")
            .annotate(n=Count("pk"))
            .values_list("outcome", "n")
        ),
        **programme_figures(cases=cases, period=period),
    }
