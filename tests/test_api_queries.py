"""Every list endpoint runs a fixed number of queries whatever the number of rows (no N+1).

Each test measures a request with 1 row, then with 30+ more, and asserts both equal the exact count
below. The counts include everything a request costs: the caller's grants (access_scope, two
queries), the access-log insert of the reads that are logged, and savepoints; the throttle costs none
(its history is in Redis, or in memory without REDIS_URL). These clients are authenticated without a
token: a token costs one query more (test_fixed_cost_of_a_token_request). A change that adds a query
per row fails here; a change that adds a fixed query fails too, on purpose: update the number after
checking the new query is needed.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from outreach import models as om
from outreach.roles import Role
from outreach.services import role_revoke
from schools.models import School
from tests import factories
from tests.api_helpers import API, PASSWORD, body_of, bulk_cases, client_for, make_case, make_pupil, world_fixtures

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


# Endpoint: (expected queries, same count for 1 and for 30+ rows). A list of cases writes its access-log entry and
# one multi-row INSERT of the cases shown (+2); a report's CSV its access-log entry (+1).
EXPECTED = {
    "cases as school staff": 9,
    "cases as animator": 9,
    "cases as coordinator": 9,
    "contacts": 6,
    "tutoring": 5,
    "events": 5,
    "schools": 1,
    "centres": 2,
    "neighbourhoods": 2,
    "audit/access": 3,
    "reports/outcomes": 3,
    "reports/outcomes csv": 4,
    # 7, and the programmes: 2 for CLAS groups, 2 for devices, 1 for the cohort (outreach/programme_reports.py).
    "reports/funders": 12,
    "case detail": 8,
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


def test_case_detail_reads_its_case_once(world):
    """The gate and the representation share one read of the case (with its counts and related rows)."""
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(world.school_staff)
    url = f"{API}/cases/{case.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(MANY):
        factories.ReturnConfirmationFactory(case=case, recorded_by=world.school_staff)
        factories.GuardianFactory(pupil=case.pupil)
        factories.ContactFactory(case=case, author=world.animator)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert body_of(response)["counts"]["contacts"] == MANY
    case_reads = [q["sql"] for q in many.captured_queries if 'FROM "outreach_case" ' in q["sql"]]
    assert len(case_reads) == 1
    assert len(few) == len(many) == EXPECTED["case detail"]


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


# The fixed cost of an API request ------------------------------------------------------------------------------

PREFIX_TABLES = {"knox_authtoken": "token", "auth_permission": "scope", "radar_cache": "throttle"}


def _prefix_queries(queries) -> dict[str, int]:
    counts = dict.fromkeys(PREFIX_TABLES.values(), 0)
    for query in queries.captured_queries:
        for table, part in PREFIX_TABLES.items():
            if table in query["sql"]:
                counts[part] += 1
    return counts


def _token_client(user) -> APIClient:
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.parametrize("actor", ["school_staff", "animator", "coordinator"])
def test_fixed_cost_of_a_token_request(world, actor):
    """Authentication, throttling and the caller's scope: three queries at most, whatever the user holds."""
    bulk_cases(world, 3, om.Status.IN_PROGRESS)
    client = _token_client(getattr(world, actor))
    client.get(f"{API}/cases/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/cases/")
    assert _results(response) > 0
    assert _prefix_queries(queries) == {"token": 1, "scope": 2, "throttle": 0}
    assert len(queries) == EXPECTED[f"cases as {actor.replace('_', ' ')}"] + 1


def test_using_a_token_never_extends_it(world):
    instance, token = AuthToken.objects.create(world.school_staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/cases/").status_code == 200
    assert not [query for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert AuthToken.objects.get(pk=instance.pk).expiry == instance.expiry


def test_a_revoked_role_is_refused_on_the_very_next_request(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    token_client = _token_client(world.school_staff)
    session_client = APIClient()
    session_client.force_login(world.school_staff)
    assert token_client.get(f"{API}/cases/{case.pk}/").status_code == 200
    assert session_client.get(f"{API}/cases/{case.pk}/").status_code == 200
    role_revoke(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.school)
    # The revocation takes the user's tokens with it; a session still open sees the scope of the next request.
    assert token_client.get(f"{API}/cases/{case.pk}/").status_code == 401
    assert session_client.get(f"{API}/cases/{case.pk}/").status_code == 404
    assert _results(session_client.get(f"{API}/cases/")) == 0


def test_a_deactivated_user_is_refused_on_the_very_next_request(world):
    client = _token_client(world.school_staff)
    assert client.get(f"{API}/cases/").status_code == 200
    type(world.school_staff).objects.filter(pk=world.school_staff.pk).update(is_active=False)
    assert client.get(f"{API}/cases/").status_code == 401


def test_login_deletes_the_users_expired_tokens(world):
    AuthToken.objects.create(world.school_staff, expiry=timedelta(seconds=-1))
    live, _token = AuthToken.objects.create(world.school_staff)
    response = APIClient().post(f"{API}/auth/token/", {"username": "cpe", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(AuthToken.objects.filter(user=world.school_staff).values_list("pk", flat=True)) == {
        live.pk,
        AuthToken.objects.latest("created").pk,
    }
