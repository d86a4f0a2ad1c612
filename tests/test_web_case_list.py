"""The web case list: the API's CaseFilter behind it, keyset pages, a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import models as om
from outreach.views.cases import PAGE_SIZE
from tests import factories
from tests.api_helpers import bulk_cases, make_case, make_pupil

pytestmark = pytest.mark.django_db


def _references(response) -> list[str]:
    return re.findall(r">(R-\d{4}-\d{5})</a>", response.content.decode())


def _page(client, user, **query):
    client.force_login(user)
    return client.get("/cases/", query)


def test_each_filter_narrows_the_list_as_the_api_does(client, world):
    now = timezone.now()
    mine = make_case(world, om.Status.IN_PROGRESS)
    mine.animators.add(world.animator)
    urgent = make_case(world, om.Status.IN_PROGRESS, urgency=om.Urgency.HIGH)
    om.CaseReason.objects.create(case=urgent, reason=om.Reason.BEHAVIOUR)
    old = make_case(world, om.Status.ROUTED, flagged_at=now - timedelta(days=60), status_changed_at=now)
    elsewhere = make_case(world, om.Status.ROUTED, school=world.other_school, centre=world.other_centre)
    cases = {"mine": mine, "urgent": urgent, "old": old, "elsewhere": elsewhere}

    def shown(user, **query):
        references = set(_references(_page(client, user, **query)))
        return {name for name, case in cases.items() if case.reference in references}

    assert shown(world.coordinator) == set(cases)
    assert shown(world.coordinator, school=world.other_school.uai) == {"elsewhere"}
    assert shown(world.coordinator, centre=world.centre.pk) == {"mine", "urgent", "old"}
    assert shown(world.manager, animator=world.animator.pk) == {"mine"}
    assert shown(world.animator, assigned_to="me") == {"mine"}
    assert shown(world.coordinator, urgency="high") == {"urgent"}
    assert shown(world.coordinator, reason="behaviour") == {"urgent"}
    assert shown(world.coordinator, flagged_before=(now - timedelta(days=30)).date().isoformat()) == {"old"}
    assert shown(world.school_staff, q=mine.reference) == {"mine"}
    assert shown(world.school_staff, q=mine.pupil.last_name) == {"mine"}
    assert shown(world.school_staff) == {"mine", "urgent", "old"}, "a school sees its own cases only"


@pytest.mark.clock
def test_a_school_first_sees_open_cases_and_those_closed_lately_with_the_return_to_confirm(client, world):
    now = timezone.now()
    open_case = make_case(world, om.Status.IN_PROGRESS)
    closed = make_case(world, om.Status.CLOSED, closed_at=now - timedelta(days=5))
    confirmed = make_case(world, om.Status.CLOSED, closed_at=now - timedelta(days=6))
    factories.ReturnConfirmationFactory(case=confirmed, recorded_by=world.school_staff, on=timezone.localdate(now))
    long_closed = make_case(world, om.Status.CLOSED, closed_at=now - timedelta(days=40))
    response = _page(client, world.school_staff)
    assert set(_references(response)) == {open_case.reference, closed.reference, confirmed.reference}
    html = response.content.decode()
    row = html[html.index(closed.reference) :]
    assert "badge-return" in row[: row.index("</tr>")]
    row = html[html.index(confirmed.reference) :]
    assert "badge-return" not in row[: row.index("</tr>")]
    assert long_closed.reference in _references(_page(client, world.school_staff, status="closed"))


def test_a_centre_first_sees_its_open_cases(client, world):
    open_case = make_case(world, om.Status.IN_PROGRESS)
    make_case(world, om.Status.CLOSED)
    assert _references(_page(client, world.animator)) == [open_case.reference]


def test_the_mine_and_animator_filters_show_only_where_they_mean_something(client, world):
    make_case(world, om.Status.IN_PROGRESS)
    school_page = _page(client, world.school_staff).content.decode()
    manager_page = _page(client, world.manager).content.decode()
    assert 'name="assigned_to"' not in school_page and 'name="animator"' not in school_page
    assert 'name="assigned_to"' in manager_page and 'name="animator"' in manager_page


def test_a_bad_filter_is_a_400_with_the_error_by_the_field(client, world):
    response = _page(client, world.coordinator, centre="not-a-number")
    assert response.status_code == 400
    assert "field-error" in response.content.decode()


def test_next_and_previous_pages_walk_every_case_once_in_order(client, world):
    bulk_cases(world, PAGE_SIZE * 2 + 5, om.Status.ROUTED)
    client.force_login(world.school_staff)
    seen, url, pages = [], "/cases/?ordering=-flagged_at", []
    while url:
        response = client.get(url)
        pages.append(_references(response))
        seen += pages[-1]
        found = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', response.content.decode())
        url = "/cases/?" + found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == PAGE_SIZE * 2 + 5
    assert [len(page) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 5]
    previous = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="prev"', response.content.decode()).group(1)
    assert _references(client.get("/cases/?" + previous.replace("&amp;", "&"))) == pages[1]


def test_the_count_is_capped(client, world, monkeypatch):
    monkeypatch.setattr("outreach.views.paging.COUNT_CAP", 3)
    bulk_cases(world, 5, om.Status.ROUTED)
    html = _page(client, world.school_staff).content.decode()
    assert "More than 3 cases" in html or "Plus de 3 dossiers" in html


@pytest.mark.parametrize("actor", ["school_staff", "manager", "coordinator"])
def test_the_list_costs_the_same_queries_for_1_and_for_60_cases(client, world, actor):
    make_case(world, om.Status.IN_PROGRESS, pupil=make_pupil(world.school)).animators.add(world.animator)
    user = getattr(world, actor)
    client.force_login(user)
    client.get("/cases/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/cases/").status_code == 200
        return len(queries)

    few = count()
    for case in bulk_cases(world, 60, om.Status.IN_PROGRESS):
        case.animators.add(world.animator)
    assert count() == few


def test_a_page_reads_one_range_of_cases_without_distinct_and_counts_keys_only(client, world):
    bulk_cases(world, 3, om.Status.FLAGGED)
    client.force_login(world.coordinator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/cases/", {"status": [om.Status.FLAGGED, om.Status.CLOSED]})
    assert response.status_code == 200
    case_reads = [query["sql"] for query in captured.captured_queries if 'FROM "outreach_case"' in query["sql"]]
    assert case_reads and not any("DISTINCT" in sql for sql in case_reads)
    count = next(sql for sql in case_reads if sql.startswith("SELECT COUNT(*)"))
    assert "outreach_contact" not in count  # the rows' annotations are not computed to count them
