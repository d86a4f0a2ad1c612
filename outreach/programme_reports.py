"""The funders' figures of the centre's programmes, computed in the database: one function per figure group, each a
fixed number of queries whatever the volume. The funders' report adds them to its own (`programme_figures`).

- CLAS: groups, sessions held, pupils enrolled, hours attended per pupil, attendance rate (present / (present +
  absent)), from the registers.
- Devices: loans, devices out at the period's end, returns, gifts; and the tutoring attendance of pupils with a
  device lent during the period against those without.
- Cohort: of the pupils flagged during the period whose return was confirmed, the share chronically absent
  (10 % of half-days or more) at flagging, and at their latest return confirmation.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from outreach.models import Case, DeviceLoan, GroupMembership, LoanEnd, Presence, ReturnConfirmation, TutoringSession

# A collège week is 9 half-days (Wednesday afternoon off): the 4 weeks that `half_days_missed` covers are 36.
HALF_DAYS_IN_FOUR_WEEKS = 36
# Chronic absence: 10 % of half-days or more (the Ministry's "absentéisme" threshold).
CHRONIC_SHARE = 0.10


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    school_year: int | None = None

    @property
    def label(self) -> str:
        if self.school_year is not None:
            return f"{self.school_year}-{self.school_year + 1}"
        return str(self.start.year)


def school_year(year: int) -> Period:
    """The school year that starts on 1 September of `year` (CAF CLAS reports by school year)."""
    return Period(date(year, 9, 1), date(year + 1, 8, 31), school_year=year)


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def current_school_year(today: date | None = None) -> int:
    today = today or timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _presence_counts(prefix: str = "") -> dict:
    """Present and absent lines: a register's own marks, and one-to-one sessions by `attended`. Excused lines count
    for neither."""
    return {
        f"{prefix}present": Count("pk", filter=Q(attended=True)),
        f"{prefix}absent": Count("pk", filter=Q(attended=False) & ~Q(presence=Presence.EXCUSED)),
    }


def clas_figures(*, cases: QuerySet[Case], period: Period) -> dict:
    """Group tutoring during the period, from the registers of the given cases: two queries."""
    lines = TutoringSession.objects.filter(
        case__in=cases.values("pk"), group_session__isnull=False, on__range=(period.start, period.end)
    ).aggregate(
        groups=Count("group_session__group_id", distinct=True),
        sessions=Count("group_session_id", distinct=True),
        minutes_present=Coalesce(Sum("duration_minutes", filter=Q(attended=True)), 0),
        **_presence_counts(),
    )
    enrolled = (
        GroupMembership.objects.filter(case__in=cases.values("pk"), joined_on__lte=period.end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=period.start))
        .aggregate(pupils=Count("case__pupil_id", distinct=True))["pupils"]
    )
    hours = lines["minutes_present"] / 60
    return {
        "groups": lines["groups"],
        "sessions_held": lines["sessions"],
        "pupils_enrolled": enrolled,
        "hours_attended": round(hours, 1),
        "hours_attended_per_pupil": round(hours / enrolled, 1) if enrolled else None,
        "attendance_rate": _rate(lines["present"], lines["present"] + lines["absent"]),
    }


def device_figures(*, cases: QuerySet[Case], period: Period) -> dict:
    """Loans of the period, devices out at its end, returns and gifts; attendance with and without a device."""
    loans = DeviceLoan.objects.filter(case__in=cases.values("pk")).aggregate(
        loans=Count("pk", filter=Q(lent_on__range=(period.start, period.end))),
        out_at_end=Count(
            "pk", filter=Q(lent_on__lte=period.end) & (Q(ended_on__isnull=True) | Q(ended_on__gt=period.end))
        ),
        returns=Count("pk", filter=Q(end=LoanEnd.RETURNED, ended_on__range=(period.start, period.end))),
        given=Count("pk", filter=Q(end=LoanEnd.GIVEN, ended_on__range=(period.start, period.end))),
    )
    lent_during = DeviceLoan.objects.filter(case_id=OuterRef("case_id"), lent_on__lte=period.end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
    )
    attendance = (
        TutoringSession.objects.filter(case__in=cases.values("pk"), on__range=(period.start, period.end))
        .alias(with_device=Exists(lent_during))
        .aggregate(
            with_present=Count("pk", filter=Q(with_device=True, attended=True)),
            with_absent=Count("pk", filter=Q(with_device=True, attended=False) & ~Q(presence=Presence.EXCUSED)),
            without_present=Count("pk", filter=Q(with_device=False, attended=True)),
            without_absent=Count("pk", filter=Q(with_device=False, attended=False) & ~Q(presence=Presence.EXCUSED)),
            with_pupils=Count("case__pupil_id", distinct=True, filter=Q(with_device=True)),
            without_pupils=Count("case__pupil_id", distinct=True, filter=Q(with_device=False)),
        )
    )
    return {
        **loans,
        "attendance_with_device": _rate(
            attendance["with_present"], attendance["with_present"] + attendance["with_absent"]
        ),
        "pupils_with_device": attendance["with_pupils"],
        "attendance_without_device": _rate(
            attendance["without_present"], attendance["without_present"] + attendance["without_absent"]
        ),
        "pupils_without_device": attendance["without_pupils"],
    }


def _chronic(column: str) -> Q:
    """Missed 10 % of the half-days of 4 weeks or more."""
    return Q(**{f"{column}__gte": HALF_DAYS_IN_FOUR_WEEKS * CHRONIC_SHARE})


def cohort_figure(*, cases: QuerySet[Case], period: Period) -> dict:
    """Pupils flagged during the period with a return confirmed: chronically absent at flagging, and at the latest
    confirmation. One query."""
    later = ReturnConfirmation.objects.filter(case=OuterRef("case")).filter(
        Q(on__gt=OuterRef("on"))
        | Q(on=OuterRef("on"), created_at__gt=OuterRef("created_at"))
        | Q(on=OuterRef("on"), created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    flagged = cases.filter(flagged_at__date__gte=period.start, flagged_at__date__lte=period.end)
    figures = (
        ReturnConfirmation.objects.filter(case__in=flagged.values("pk"))
        .filter(~Exists(later))
        .alias(at_flagging=F("case__half_days_missed"))
        .aggregate(
            pupils=Count("pk"),
            chronic_at_flagging=Count("pk", filter=_chronic("at_flagging")),
            chronic_at_return=Count("pk", filter=_chronic("half_days_missed")),
        )
    )
    return {
        "pupils": figures["pupils"],
        "chronic_at_flagging": figures["chronic_at_flagging"],
        "chronic_at_return": figures["chronic_at_return"],
        "share_at_flagging": _rate(figures["chronic_at_flagging"], figures["pupils"]),
        "share_at_return": _rate(figures["chronic_at_return"], figures["pupils"]),
    }


def programme_figures(*, cases: QuerySet[Case], period: Period) -> dict:
    """The three figure groups, as the funders' report adds them."""
    return {
        "clas": clas_figures(cases=cases, period=period),
        "devices": device_figures(cases=cases, period=period),
        "cohort": cohort_figure(cases=cases, period=period),
    }


def dashboard_cases(cases: QuerySet[Case], *, flagged_from=None, flagged_to=None, centre=None, school=None):
    """The dashboard's filters: cases flagged during a period, of one centre, of one school (indexed columns)."""
    if flagged_from:
        cases = cases.filter(flagged_at__date__gte=flagged_from)
    if flagged_to:
        cases = cases.filter(flagged_at__date__lte=flagged_to)
    if centre:
        cases = cases.filter(centre_id=centre.pk)
    if school:
        cases = cases.filter(school_id=school.pk)
    return cases
