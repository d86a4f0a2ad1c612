"""The funders' report by school year, against figures computed by hand from a small fixture."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from outreach.models import (
    DeviceLoan,
    GroupMembership,
    GroupMode,
    GroupSession,
    ReturnConfirmation,
    TutoringGroup,
    TutoringSession,
)
from tests import factories
from tests.api_helpers import API, assert_error, body_of, client_for, world_fixtures

api_world, world, fast_passwords = world_fixtures()
PARIS = ZoneInfo("Europe/Paris")


def day(text: str) -> date:
    return date.fromisoformat(text)


def flagged(centre, on: str, half_days: int):
    moment = datetime.combine(day(on), time(9), tzinfo=PARIS)
    return factories.CaseFactory(in_progress=True, centre=centre, flagged_at=moment, half_days_missed=half_days)


@pytest.fixture
def fixture(world):
    """School year 2025-2026 (1 Sep 2025 to 31 Aug 2026) at world.centre, and noise around it."""
    author = world.manager
    c1 = flagged(world.centre, "2025-09-10", 8)  # chronic when flagged (8 ≥ 3.6 of 36 half-days)
    c2 = flagged(world.centre, "2025-09-12", 3)  # not chronic when flagged
    c3 = flagged(world.centre, "2025-09-01", 4)  # chronic, but no return confirmed: out of the cohort
    c5 = flagged(world.centre, "2025-11-01", 10)
    before = flagged(world.centre, "2025-08-01", 9)  # flagged in the previous school year
    elsewhere = flagged(world.other_centre, "2025-09-20", 9)  # another centre: not in its manager's report

    def group(name, centre=world.centre):
        return TutoringGroup.objects.create(
            centre=centre,
            name=name,
            mode=GroupMode.AT_CENTRE,
            weekday=1,
            starts_at=time(17),
            duration_minutes=90,
            created_by=author,
        )

    g1, g2, g_other = group("CLAS mardi"), group("CLAS jeudi"), group("Autre centre", world.other_centre)
    GroupMembership.objects.create(group=g1, case=c1, joined_on=day("2025-09-15"))
    GroupMembership.objects.create(group=g1, case=c2, joined_on=day("2025-09-15"))
    GroupMembership.objects.create(group=g2, case=c3, joined_on=day("2025-10-01"), left_on=day("2026-01-10"))
    GroupMembership.objects.create(group=g_other, case=elsewhere, joined_on=day("2025-09-20"))

    def session(group, on, minutes):
        return GroupSession.objects.create(group=group, on=day(on), starts_at=time(17), duration_minutes=minutes)

    def line(case, session, presence, minutes=None):
        TutoringSession.objects.create(
            case=case,
            author=author,
            on=session.on,
            duration_minutes=minutes or session.duration_minutes,
            attended=presence == "present",
            presence=presence,
            group_session=session,
        )

    s0, s1, s2 = session(g1, "2025-06-10", 90), session(g1, "2025-09-16", 90), session(g1, "2025-09-23", 90)
    s3, s_other = session(g2, "2025-10-07", 120), session(g_other, "2025-10-07", 120)
    line(c1, s0, "present")  # the previous school year
    line(c1, s1, "present")
    line(c2, s1, "absent")
    line(c1, s2, "present")
    line(c2, s2, "excused")
    line(c3, s3, "present")
    line(elsewhere, s_other, "present")
    # A one-to-one session: no register, attended.
    TutoringSession.objects.create(case=c2, author=author, on=day("2025-11-05"), duration_minutes=60, attended=True)

    def device(reference, centre=world.centre):
        return factories.DeviceFactory(centre=centre, reference=reference)

    def loan(device, case, lent_on, due_on, ended_on=None, end=""):
        DeviceLoan.objects.create(
            device=device,
            case=case,
            lent_on=day(lent_on),
            due_on=day(due_on),
            condition_out="Bon état",
            reference_out=device.reference,
            lent_by=author,
            ended_on=day(ended_on) if ended_on else None,
            end=end,
        )

    loan(device("D1"), c1, "2025-09-20", "2025-12-20", "2026-01-05", "returned")
    loan(device("D2"), c2, "2026-03-01", "2026-06-01")  # still out
    loan(device("D3"), c3, "2025-05-01", "2025-06-01", "2025-06-30", "given")  # before the school year
    loan(device("D5", world.other_centre), elsewhere, "2025-10-01", "2025-12-01")

    def confirmed(case, on, half_days):
        ReturnConfirmation.objects.create(
            case=case, attendance="partial", half_days_missed=half_days, on=day(on), recorded_by=world.school_staff
        )

    confirmed(c1, "2025-12-01", 6)
    confirmed(c1, "2026-02-01", 2)  # the latest: not chronic any more
    confirmed(c2, "2026-01-15", 5)  # chronic now
    confirmed(c5, "2026-03-01", 0)
    confirmed(before, "2025-10-01", 0)
    confirmed(elsewhere, "2026-01-01", 9)


# By hand, for world.centre's manager and the school year 2025:
EXPECTED = {
    # groups g1, g2; sessions s1, s2, s3; pupils c1, c2, c3; present minutes 90 + 90 + 120 = 5 h over 3 pupils;
    # present 3 (c1 twice, c3), absent 1 (c2 on s1), the excused line counts for neither.
    "clas": {
        "groups": 2,
        "sessions_held": 3,
        "pupils_enrolled": 3,
        "hours_attended": 5.0,
        "hours_attended_per_pupil": 1.7,
        "attendance_rate": 0.75,
    },
    # Lent D1 and D2; D2 still out on 31 August; D1 returned; D3 given before the school year.
    # c1 and c2 had a device: present 3 (c1 twice, c2's one-to-one), absent 1; c3 had none: present 1.
    "devices": {
        "loans": 2,
        "out_at_end": 1,
        "returns": 1,
        "given": 0,
        "attendance_with_device": 0.75,
        "pupils_with_device": 2,
        "attendance_without_device": 1.0,
        "pupils_without_device": 1,
    },
    # c1 (8 then 2), c2 (3 then 5), c5 (10 then 0): chronic when flagged c1 and c5, at the latest return c2.
    "cohort": {
        "pupils": 3,
        "chronic_at_flagging": 2,
        "chronic_at_return": 1,
        "share_at_flagging": 0.667,
        "share_at_return": 0.333,
    },
}


def test_the_school_year_report_matches_the_hand_computed_figures(world, fixture):
    report = body_of(client_for(world.manager).get(f"{API}/reports/funders/?school_year=2025"))
    assert (report["year"], report["school_year"], report["period"]) == (
        None,
        2025,
        {"start": "2025-09-01", "end": "2026-08-31"},
    )
    assert {key: report[key] for key in EXPECTED} == EXPECTED
    # The tutoring figures count the school year's sessions only: s1, s2, s3 and the one-to-one session.
    assert report["tutoring"]["sessions"] == 6


def test_the_calendar_year_stays_beside_the_school_year(world, fixture):
    report = body_of(client_for(world.manager).get(f"{API}/reports/funders/?year=2025"))
    assert (report["year"], report["school_year"]) == (2025, None)
    # 2025 holds s0 (June) as well as s1, s2, s3.
    assert report["clas"]["sessions_held"] == 4
    response = client_for(world.manager).get(f"{API}/reports/funders/?year=2025&school_year=2025")
    assert "school_year" in assert_error(response, 400)["fields"]
    assert (
        "school_year"
        in assert_error(client_for(world.manager).get(f"{API}/reports/funders/?school_year=25"), 400)["fields"]
    )


def test_a_coordinator_sees_every_centre_in_the_figures(world, fixture):
    report = body_of(client_for(world.coordinator).get(f"{API}/reports/funders/?school_year=2025"))
    assert report["clas"]["groups"] == 3
    assert report["devices"]["loans"] == 3


@pytest.mark.clock(at="2026-05-12T10:15")
def test_the_web_report_defaults_to_the_current_school_year(world, fixture):
    """The fixture is the 2025-2026 school year: the clock is pinned in it."""
    client = Client()
    client.force_login(world.manager)
    page = client.get("/reports/funders/").content.decode()
    assert "2025-2026" in page  # TEST_NOW is 12 May 2026
    assert "75,0" in page  # the CLAS attendance rate


@pytest.mark.clock
def test_the_dashboard_filters_by_centre_school_and_period(world, fixture):
    factories.CaseFactory(closed=True, centre=world.centre)  # closed today, at world.centre
    client = Client()
    client.force_login(world.coordinator)
    everything = client.get("/dashboard/")
    assert everything.status_code == 200
    filtered = client.get(f"/dashboard/?centre={world.other_centre.pk}&flagged_from=2025-09-01")
    assert filtered.status_code == 200
    assert filtered.context["kpis"]["open"] == 1
    assert everything.context["kpis"]["open"] == 6

    def outcomes_by_centre(response):
        return next(chart for chart in response.context["charts"] if chart.id == "chart-outcomes-centre")

    assert not outcomes_by_centre(everything).empty
    assert outcomes_by_centre(filtered).empty
    wrong = client.get("/dashboard/?flagged_from=yesterday")
    assert wrong.context["filters"].errors and wrong.context["kpis"]["open"] == 6
