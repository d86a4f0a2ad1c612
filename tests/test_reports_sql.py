"""The funders' report and the outcome reports, on a small data set whose every figure was counted by hand."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from outreach.models import Case, ContactKind, ContactResult, Outcome, Status, SupportKind
from outreach.reports import funders_report
from tests import factories

PARIS = ZoneInfo("Europe/Paris")


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=PARIS)


def _case(pupil, *, flagged: str, closed: str | None = None, outcome: str = Outcome.RETURNED_TO_SCHOOL, **fields):
    if closed:
        return factories.CaseFactory(
            pupil=pupil, closed=True, outcome=outcome, flagged_at=_at(flagged), closed_at=_at(closed), **fields
        )
    return factories.CaseFactory(pupil=pupil, in_progress=True, flagged_at=_at(flagged), **fields)


@pytest.fixture
def year_2025(db):
    """Five pupils; four have a case active in 2025 (one of them two cases), one only in 2024."""
    factories.NeighbourhoodFactory(name="Wazemmes", is_qpv=True)
    factories.NeighbourhoodFactory(name="Moulins", is_qpv=True)
    factories.NeighbourhoodFactory(name="Fives", is_qpv=False)
    school = factories.SchoolFactory()
    pupil = factories.PupilFactory
    p1 = pupil(school=school, level="6e", sex="F", birth_date=date(2014, 3, 1), neighbourhood="wazemmes")
    p2 = pupil(school=school, level="4e", sex="M", birth_date=None, neighbourhood="Fives")
    p3 = pupil(school=school, level="3e", sex="", birth_date=None, neighbourhood="")
    p4 = pupil(school=school, level="ULIS", sex="F", birth_date=date(2010, 1, 1), neighbourhood="MOULINS")
    p5 = pupil(school=school, level="SEGPA", sex="", birth_date=date(2008, 5, 5), neighbourhood="Moulins")
    p1_old = _case(p1, flagged="2024-10-01", closed="2025-01-15")
    p1_open = _case(p1, flagged="2025-02-01")
    p2_case = _case(p2, flagged="2025-05-01", closed="2025-06-01", outcome=Outcome.PARTIAL_RETURN)
    p3_case = _case(p3, flagged="2024-01-10", closed="2024-06-01")
    _case(p4, flagged="2025-12-31")
    factories.CaseFactory(pupil=p5, status=Status.FLAGGED, flagged_at=_at("2025-03-03"))

    tutoring = factories.TutoringSessionFactory
    tutoring(case=p1_open, on=date(2025, 3, 1), duration_minutes=90, attended=True)
    tutoring(case=p1_open, on=date(2025, 4, 1), duration_minutes=60, attended=False)
    tutoring(case=p1_open, on=date(2024, 12, 1), duration_minutes=60, attended=True)
    tutoring(case=p2_case, on=date(2025, 5, 10), duration_minutes=30, attended=True)
    tutoring(case=p3_case, on=date(2025, 2, 2), duration_minutes=60, attended=True)

    factories.SupportFactory(case=p1_open, kind=SupportKind.DEVICE_TABLET, provided_on=date(2025, 3, 1))
    factories.SupportFactory(case=p1_open, kind=SupportKind.INTERNET_ACCESS, provided_on=date(2025, 3, 2))
    factories.SupportFactory(case=p2_case, kind=SupportKind.DEVICE_PC, provided_on=date(2024, 11, 1))

    contact = factories.ContactFactory
    contact(
        case=p1_open, kind=ContactKind.HOME_VISIT, result=ContactResult.REACHED_FAMILY, occurred_at=_at("2025-03-01")
    )
    contact(case=p1_open, kind=ContactKind.PHONE_CALL, result=ContactResult.NO_ANSWER, occurred_at=_at("2025-03-02"))
    contact(
        case=p2_case, kind=ContactKind.PHONE_CALL, result=ContactResult.REACHED_PUPIL, occurred_at=_at("2025-05-05")
    )
    contact(
        case=p1_old, kind=ContactKind.HOME_VISIT, result=ContactResult.APPOINTMENT_MADE, occurred_at=_at("2024-12-15")
    )


def test_funders_report_counts_each_figure_as_counted_by_hand(year_2025, django_assert_max_num_queries):
    # One query per figure group; the programmes' figures add 5 (CLAS groups 2, devices 2, cohort 1).
    with django_assert_max_num_queries(11):
        report = funders_report(cases=Case.objects.all(), year=2025)
    # The programmes' figures (CLAS, devices, cohort) have their own fixture: tests/test_programme_reports.py.
    expected = {
        "year": 2025,
        "school_year": None,
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "pupils": {
            "total": 4,
            "by_level": {"6e": 1, "5e": 0, "4e": 1, "3e": 0, "ULIS": 1, "SEGPA": 1},
            "by_sex": {"F": 2, "M": 1, "unknown": 1},
            "by_age_band": {"11_and_under": 1, "12_13": 0, "14_15": 1, "16_and_over": 1, "unknown": 1},
            "by_qpv": {"qpv": 3, "not_qpv": 1},
        },
        "tutoring": {
            "sessions": 3,
            "sessions_attended": 2,
            "hours_attended": 2.0,
            "attendance_rate": 0.667,
            "pupils": 2,
        },
        "supports": {kind: {"device_tablet": 1, "internet_access": 1}.get(kind, 0) for kind in SupportKind.values},
        "devices_provided": 1,
        "connections_provided": 1,
        "families": {"families_reached": 2, "families_met": 1, "home_visits": 1},
        "outcomes": {"returned_to_school": 1, "partial_return": 1},
    }
    assert {key: report[key] for key in expected} == expected
    assert {key: report[key] for key in expected} == expected


def test_funders_report_of_a_year_without_cases_is_all_zeros(year_2025):
    report = funders_report(cases=Case.objects.all(), year=2023)
    assert report["pupils"]["total"] == 0 and report["pupils"]["by_qpv"] == {"qpv": 0, "not_qpv": 0}
    assert report["tutoring"]["attendance_rate"] is None and report["outcomes"] == {}
