"""The deadlines of SPEC §3, read from settings.RADAR_DEADLINES (days).

triage 2 (flagged, unrouted), acceptance 2 (routed, unaccepted), first contact 7 after acceptance,
no contact for 14 on an open case, family informed within 30 of flagging. A case past any of them
is overdue; a closed case never is.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from outreach.models import Case, Status
from outreach.selectors import overdue_conditions, overdue_q, overdue_reasons, with_overdue
from tests import factories

pytestmark = pytest.mark.clock

DEADLINE_NAMES = ["triage", "acceptance", "first_contact", "no_contact", "family_notice"]
SECOND = timedelta(seconds=1)


@pytest.fixture
def now():
    return timezone.now()


def make_case(now, status, **columns) -> Case:
    """A case whose clock columns are all fresh unless given: it misses no deadline but the one under test."""
    traits = {
        Status.FLAGGED: {},
        Status.ROUTED: {"routed": True},
        Status.IN_PROGRESS: {"in_progress": True},
        Status.CLOSED: {"closed": True},
    }[status]
    case = factories.CaseFactory(**traits)
    fresh = {"flagged_at": now, "status_changed_at": now}
    if status == Status.IN_PROGRESS:
        fresh.update(accepted_at=now, first_contact_at=now, last_contact_at=now)
    fresh.update(columns)
    Case.objects.filter(pk=case.pk).update(**fresh)  # backdates, bypassing auto fields and services
    Case.objects.get(pk=case.pk).save(update_fields=["next_deadline_at"])  # what save() keeps from those columns
    return case


def evaluated(case, now=None) -> Case:
    return with_overdue(Case.objects.filter(pk=case.pk), now).get()


def reasons(case, now=None) -> list[str]:
    return overdue_reasons(evaluated(case, now))


def assert_overdue(case, now, expected_reasons):
    annotated = evaluated(case, now)
    assert overdue_reasons(annotated) == expected_reasons
    assert annotated.overdue is bool(expected_reasons)
    for name in DEADLINE_NAMES:
        assert getattr(annotated, f"overdue_{name}") is (name in expected_reasons), name
    # The filter agrees with the annotation, both ways.
    assert Case.objects.filter(overdue_q(now), pk=case.pk).exists() is bool(expected_reasons)
    assert Case.objects.exclude(overdue_q(now)).filter(pk=case.pk).exists() is not bool(expected_reasons)
    assert with_overdue(Case.objects.filter(pk=case.pk), now).filter(overdue=bool(expected_reasons)).exists()


def test_deadlines_have_the_spec_names_and_defaults(settings):
    assert list(overdue_conditions()) == DEADLINE_NAMES
    assert settings.RADAR_DEADLINES == {
        "triage": 2,
        "acceptance": 2,
        "first_contact": 7,
        "no_contact": 14,
        "family_notice": 30,
    }


# One deadline at a time, just inside and just outside -------------------------------------------

BOUNDARIES = [
    # (deadline, status, column that starts the clock, days)
    ("triage", Status.FLAGGED, "status_changed_at", 2),
    ("acceptance", Status.ROUTED, "status_changed_at", 2),
    ("first_contact", Status.IN_PROGRESS, "accepted_at", 7),
    ("no_contact", Status.IN_PROGRESS, "last_contact_at", 14),
    ("family_notice", Status.IN_PROGRESS, "flagged_at", 30),
]
IDS = [boundary[0] for boundary in BOUNDARIES]


def clock_columns(deadline, column, started_at) -> dict:
    columns = {column: started_at}
    if deadline == "first_contact":
        columns.update(first_contact_at=None, last_contact_at=None)
    if deadline in ("triage", "acceptance") or column == "flagged_at":
        columns.setdefault("family_informed_on", None)
    return columns


@pytest.mark.django_db
@pytest.mark.parametrize(("deadline", "status", "column", "days"), BOUNDARIES, ids=IDS)
def test_just_inside_the_deadline_is_not_overdue(now, deadline, status, column, days):
    case = make_case(now, status, **clock_columns(deadline, column, now - timedelta(days=days) + SECOND))
    assert_overdue(case, now, [])


@pytest.mark.django_db
@pytest.mark.parametrize(("deadline", "status", "column", "days"), BOUNDARIES, ids=IDS)
def test_exactly_on_the_deadline_is_not_overdue_yet(now, deadline, status, column, days):
    case = make_case(now, status, **clock_columns(deadline, column, now - timedelta(days=days)))
    assert_overdue(case, now, [])


@pytest.mark.django_db
@pytest.mark.parametrize(("deadline", "status", "column", "days"), BOUNDARIES, ids=IDS)
def test_just_outside_the_deadline_is_overdue(now, deadline, status, column, days):
    case = make_case(now, status, **clock_columns(deadline, column, now - timedelta(days=days) - SECOND))
    assert_overdue(case, now, [deadline])


@pytest.mark.django_db
@pytest.mark.parametrize(("deadline", "status", "column", "days"), BOUNDARIES, ids=IDS)
def test_default_now_is_the_current_time(deadline, status, column, days):
    """Without an explicit `now`, an hour either side of the deadline decides."""
    current = timezone.now()
    inside = make_case(current, status, **clock_columns(deadline, column, current - timedelta(days=days, hours=-1)))
    outside = make_case(current, status, **clock_columns(deadline, column, current - timedelta(days=days, hours=1)))
    assert reasons(inside) == []
    assert reasons(outside) == [deadline]
    assert set(Case.objects.filter(overdue_q()).values_list("pk", flat=True)) == {outside.pk}


# What stops each clock ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_first_contact_stops_the_first_contact_clock_even_if_late(now):
    late = now - timedelta(days=20)
    case = make_case(now, Status.IN_PROGRESS, accepted_at=late, first_contact_at=now - timedelta(days=1))
    assert_overdue(case, now, [])


@pytest.mark.django_db
def test_in_progress_case_never_contacted_is_late_for_first_contact_only(now):
    case = make_case(
        now,
        Status.IN_PROGRESS,
        accepted_at=now - timedelta(days=20),
        first_contact_at=None,
        last_contact_at=None,
    )
    assert_overdue(case, now, ["first_contact"])


@pytest.mark.django_db
def test_recording_the_family_notice_stops_the_family_notice_clock(now):
    case = make_case(
        now, Status.IN_PROGRESS, flagged_at=now - timedelta(days=45), family_informed_on=timezone.localdate()
    )
    assert_overdue(case, now, [])


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.FLAGGED, Status.ROUTED])
def test_family_notice_deadline_runs_on_every_open_status(now, status):
    case = make_case(now, status, flagged_at=now - timedelta(days=31), family_informed_on=None)
    assert_overdue(case, now, ["family_notice"])


@pytest.mark.django_db
def test_status_deadlines_only_apply_to_their_status(now):
    long_ago = now - timedelta(days=100)
    # A routed case is not waiting for triage; an accepted case is not waiting for acceptance.
    routed = make_case(now, Status.ROUTED, status_changed_at=long_ago, accepted_at=long_ago, last_contact_at=long_ago)
    assert_overdue(routed, now, ["acceptance"])
    flagged = make_case(now, Status.FLAGGED, status_changed_at=long_ago, last_contact_at=long_ago)
    assert_overdue(flagged, now, ["triage"])


@pytest.mark.django_db
def test_several_deadlines_missed_at_once_are_all_named_in_order(now):
    case = make_case(
        now,
        Status.IN_PROGRESS,
        flagged_at=now - timedelta(days=60),
        accepted_at=now - timedelta(days=50),
        first_contact_at=None,
        last_contact_at=None,
        family_informed_on=None,
    )
    assert_overdue(case, now, ["first_contact", "family_notice"])
    contacted_once = make_case(
        now,
        Status.IN_PROGRESS,
        flagged_at=now - timedelta(days=60),
        accepted_at=now - timedelta(days=50),
        first_contact_at=now - timedelta(days=40),
        last_contact_at=now - timedelta(days=40),
        family_informed_on=None,
    )
    assert_overdue(contacted_once, now, ["no_contact", "family_notice"])


@pytest.mark.django_db
def test_closed_cases_are_never_overdue(now):
    long_ago = now - timedelta(days=365)
    case = make_case(
        now,
        Status.CLOSED,
        flagged_at=long_ago,
        status_changed_at=long_ago,
        routed_at=long_ago,
        accepted_at=long_ago,
        first_contact_at=None,
        last_contact_at=long_ago,
        family_informed_on=None,
        closed_at=long_ago,
    )
    assert_overdue(case, now, [])
    assert_overdue(case, now + timedelta(days=3650), [])


@pytest.mark.django_db
def test_with_overdue_annotates_a_list_and_filters_both_ways(now):
    fresh = make_case(now, Status.IN_PROGRESS, first_contact_at=None, last_contact_at=None)
    never_contacted = make_case(now, Status.IN_PROGRESS, last_contact_at=None)  # null column, not overdue
    late = make_case(now, Status.ROUTED, status_changed_at=now - timedelta(days=3))
    closed = make_case(now, Status.CLOSED, status_changed_at=now - timedelta(days=300))
    annotated = {case.pk: case for case in with_overdue(Case.objects.all(), now)}
    assert {pk for pk, case in annotated.items() if case.overdue} == {late.pk}
    on_time = set(with_overdue(Case.objects.all(), now).filter(overdue=False).values_list("pk", flat=True))
    assert on_time == {fresh.pk, never_contacted.pk, closed.pk}
    assert set(Case.objects.exclude(overdue_q(now)).values_list("pk", flat=True)) == on_time


# Settings ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_overriding_the_setting_moves_the_deadlines(settings, now):
    waiting = make_case(now, Status.FLAGGED, status_changed_at=now - timedelta(days=3))
    no_news = make_case(now, Status.IN_PROGRESS, last_contact_at=now - timedelta(days=10))
    assert reasons(waiting, now) == ["triage"]
    assert reasons(no_news, now) == []

    settings.RADAR_DEADLINES = {**settings.RADAR_DEADLINES, "triage": 5, "no_contact": 7}

    assert reasons(waiting, now) == []
    assert reasons(no_news, now) == ["no_contact"]
    # The overdue filter reads the stored next deadline: `manage.py refresh_deadlines` brings it up to date.
    call_command("refresh_deadlines", stdout=io.StringIO())
    assert set(Case.objects.filter(overdue_q(now)).values_list("pk", flat=True)) == {no_news.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(("deadline", "status", "column", "days"), BOUNDARIES, ids=IDS)
def test_each_deadline_follows_its_own_setting(settings, now, deadline, status, column, days):
    case = make_case(now, status, **clock_columns(deadline, column, now - timedelta(days=days) - SECOND))
    assert reasons(case, now) == [deadline]
    settings.RADAR_DEADLINES = {**settings.RADAR_DEADLINES, deadline: days + 1}
    assert reasons(case, now) == []
    settings.RADAR_DEADLINES = {**settings.RADAR_DEADLINES, deadline: 0}
    assert reasons(case, now) == [deadline]
