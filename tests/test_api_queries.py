"""Every list endpoint runs a fixed number of queries whatever the number of rows (no N+1).

Each test measures a request with 1 row, then with 30+ more, and asserts both equal the exact count
below. The counts include everything a request costs: the caller's grants (access_scope), the
throttle's cache reads and writes (database cache), the access-log insert of the reads that are
logged, and savepoints. A change that adds a query per row fails here; a change that adds a fixed
query fails too, on purpose: update the number after checking the new query is needed.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import models as om
from schools.models import School
from tests import factories
from tests.api_helpers import API, body_of, bulk_cases, client_for, make_case, make_pupil, world_fixtures

api_world, world, fast_passwords = world_fixtures()

MANY = 30


def _count(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:  # a streamed CSV runs its queries while it is consumed
            response.csv_text = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    return len(queries), response


def _measure(client, url, add_rows, size_of) -> tuple[int, int]:
    """Query counts for a request on the rows built so far, then after add_rows(); checks the sizes grew."""
    client.get(url)  # warm-up: per-process caches (content types) and the throttle's cache row
    few, response = _count(client, url)
    small = size_of(response)
    add_rows()
    many, response = _count(client, url)
    assert size_of(response) > small, "the second request must see more rows"
    return few, many


def _results(response):
    body = body_of(response)
    return len(body["results"]) if isinstance(body, dict) else len(body)


# Endpoint: (expected queries, same count for 1 and for 30+ rows)
EXPECTED = {
    "cases as school staff": 14,
    "cases as animator": 14,
    "cases as coordinator": 14,
    "contacts": 13,
    "tutoring": 12,
    "events": 12,
    "schools": 7,
    "centres": 8,
    "neighbourhoods": 8,
    "audit/access": 10,
    "reports/outcomes": 10,
    "reports/outcomes csv": 10,
    # 14, and the programmes: 2 for CLAS groups, 2 for devices, 1 for the cohort (outreach/programme_reports.py).
    "reports/funders": 19,
}


@pytest.mark.parametrize("actor", ["school_staff", "animator", "coordinator"])
def test_cases_list(world, actor):
    make_case(world, om.Status.IN_PROGRESS).animators.add(world.animator)
    client = client_for(getattr(world, actor))

    def add_rows():
        for case in bulk_cases(world, MANY, om.Status.IN_PROGRESS):
            case.animators.add(world.animator, world.manager)
            factories.ReturnConfirmationFactory(case=case, recorded_by=world.school_staff)
            factories.GuardianFactory(pupil=case.pupil)
            om.CaseReason.objects.create(case=case, reason=om.Reason.BEHAVIOUR)

    few, many = _measure(client, f"{API}/cases/", add_rows, _results)
    expected = EXPECTED[f"cases as {actor.replace('_', ' ')}"]
    assert (few, many) == (expected, expected)


def test_cases_list_page_size_1_and_200_over_200_cases(world):
    bulk_cases(world, 205)
    client = client_for(world.school_staff)
    client.get(f"{API}/cases/?page_size=1")
    one, response = _count(client, f"{API}/cases/?page_size=1")
    assert _results(response) == 1
    two_hundred, response = _count(client, f"{API}/cases/?page_size=200")
    assert _results(response) == 200
    assert one == two_hundred == EXPECTED["cases as school staff"]


@pytest.fixture
def working_case(world):
    return make_case(world, om.Status.IN_PROGRESS)


def test_contacts(world, working_case):
    factories.SupportFactory(
        case=working_case, contact=factories.ContactFactory(case=working_case, author=world.animator)
    )

    def add_rows():
        for _ in range(MANY):
            contact = factories.ContactFactory(case=working_case, author=world.manager)
            factories.SupportFactory(case=working_case, contact=contact, recorded_by=world.manager)

    url = f"{API}/cases/{working_case.pk}/contacts/"
    assert _measure(client_for(world.animator), url, add_rows, _results) == (EXPECTED["contacts"],) * 2


def test_tutoring(world, working_case):
    factories.TutoringSessionFactory(case=working_case, author=world.animator)

    def add_rows():
        for _ in range(MANY):
            factories.TutoringSessionFactory(case=working_case, author=world.manager)

    url = f"{API}/cases/{working_case.pk}/tutoring/"
    assert _measure(client_for(world.animator), url, add_rows, _results) == (EXPECTED["tutoring"],) * 2


def test_events(world, working_case):
    factories.CaseEventFactory(case=working_case, actor=world.school_staff)

    def add_rows():
        actors = [world.school_staff, world.animator, world.manager, world.coordinator]
        for n in range(MANY):
            factories.CaseEventFactory(case=working_case, actor=actors[n % 4], kind=om.EventKind.CONTACT_LOGGED)

    url = f"{API}/cases/{working_case.pk}/events/"
    assert _measure(client_for(world.school_staff), url, add_rows, _results) == (EXPECTED["events"],) * 2


def test_schools(world):
    def add_rows():
        factories.SchoolFactory.create_batch(MANY)

    assert School.objects.count() == 2
    result = _measure(client_for(world.nobody), f"{API}/schools/", add_rows, _results)
    assert result == (EXPECTED["schools"],) * 2


def test_centres(world):
    def add_rows():
        for _ in range(MANY):
            factories.CentreFactory(neighbourhoods=[factories.NeighbourhoodFactory(), world.neighbourhood])

    result = _measure(client_for(world.nobody), f"{API}/centres/", add_rows, _results)
    assert result == (EXPECTED["centres"],) * 2


def test_neighbourhoods(world):
    def add_rows():
        for _ in range(MANY):
            neighbourhood = factories.NeighbourhoodFactory()
            factories.NeighbourhoodPostcodeFactory.create_batch(2, neighbourhood=neighbourhood)

    result = _measure(client_for(world.nobody), f"{API}/neighbourhoods/", add_rows, _results)
    assert result == (EXPECTED["neighbourhoods"],) * 2


def test_access_log(world):
    users = [world.school_staff, world.animator, world.manager, world.coordinator]
    cases = bulk_cases(world, 4)

    def add_rows():
        for n in range(MANY):
            factories.AccessLogFactory(user=users[n % 4], case=cases[n % 4])

    result = _measure(client_for(world.coordinator), f"{API}/audit/access/", add_rows, _results)
    assert result == (EXPECTED["audit/access"],) * 2


def _report_rows(response):
    return sum(row["total"] for row in body_of(response)["rows"])


def _closed_cases(world, count):
    """Closed cases over both schools, both centres, several months, reasons and neighbourhoods."""
    now = timezone.now()
    for n in range(count):
        school, centre = ((world.school, world.centre), (world.other_school, world.other_centre))[n % 2]
        closed_at = now - timedelta(days=31 * (n % 5))
        case = make_case(
            world,
            om.Status.CLOSED,
            school=school,
            centre=centre,
            pupil=make_pupil(school, neighbourhood=("Wazemmes", "Moulins", "Fives")[n % 3]),
            closed_at=closed_at,
            outcome=om.Outcome.values[n % len(om.Outcome.values)],
        )
        extra = [reason for reason in om.Reason.values if reason != om.Reason.LONG_ABSENCE]
        om.CaseReason.objects.create(case=case, reason=extra[n % len(extra)])


@pytest.mark.parametrize("group_by", ["centre", "school", "month", "reason", "neighbourhood"])
def test_outcome_report(world, group_by):
    _closed_cases(world, 1)
    url = f"{API}/reports/outcomes/?group_by={group_by}"
    result = _measure(client_for(world.coordinator), url, lambda: _closed_cases(world, MANY), _report_rows)
    assert result == (EXPECTED["reports/outcomes"],) * 2


def test_outcome_report_csv(world):
    _closed_cases(world, 1)
    client = client_for(world.coordinator)
    url = f"{API}/reports/outcomes/?group_by=neighbourhood&format=csv"
    client.get(url)
    few, response = _count(client, url)
    assert len(response.csv_text.splitlines()) == 2  # header and one neighbourhood
    _closed_cases(world, MANY)
    many, response = _count(client, url)
    assert len(response.csv_text.splitlines()) == 4  # header and three neighbourhoods
    assert (few, many) == (EXPECTED["reports/outcomes csv"],) * 2


def _funded_cases(world, count):
    for n in range(count):
        case = make_case(world, om.Status.IN_PROGRESS, centre=world.centre)
        contact = factories.ContactFactory(case=case, author=world.animator)
        factories.SupportFactory(
            case=case, contact=contact, recorded_by=world.animator, kind=om.SupportKind.values[n % 7]
        )
        factories.TutoringSessionFactory(case=case, author=world.animator, attended=bool(n % 2))


@pytest.mark.parametrize("actor", ["manager", "coordinator"])
def test_funders_report(world, actor):
    _funded_cases(world, 1)
    url = f"{API}/reports/funders/"
    result = _measure(
        client_for(getattr(world, actor)),
        url,
        lambda: _funded_cases(world, MANY),
        lambda response: body_of(response)["pupils"]["total"],
    )
    assert result == (EXPECTED["reports/funders"],) * 2
