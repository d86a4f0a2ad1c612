"""Every read of identity leaves a trace, once per request: an access-log entry, and the cases it showed in one
multi-row INSERT, whatever the number of rows; the access-log page says it in words and answers "who has seen
this case"."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from outreach import models as om
from outreach.audit import about_case
from outreach.views.coordination import LIST_NAMES
from schools.models import Pupil
from tests.api_helpers import bulk_cases, client_for, make_case

pytestmark = pytest.mark.django_db


def inserts_into(queries, table: str) -> int:
    return sum(1 for query in queries if query["sql"].startswith(f'INSERT INTO "{table}"'))


def latest_read(user) -> om.AccessLog:
    return om.AccessLog.objects.filter(user=user, action=om.AccessAction.READ_LIST).order_by("-pk").first()


def shown_by(entry: om.AccessLog) -> set:
    return set(om.AccessedCase.objects.filter(access_log=entry).values_list("case_id", flat=True))


def web_get(client, user, url, query=None):
    client.force_login(user)
    response = client.get(url, query or {})
    assert response.status_code == 200
    return response


DOORS = {
    "web case list": ("school_staff", lambda client, user: web_get(client, user, "/cases/"), "case_list"),
    "API case list": (
        "school_staff",
        lambda client, user: client_for(user).get("/api/v1/cases/?page_size=200"),
        "api_case_list",
    ),
    "triage": ("coordinator", lambda client, user: web_get(client, user, "/triage/"), "triage"),
    "to do": ("coordinator", lambda client, user: web_get(client, user, "/todo/"), "todo"),
}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("rows", [1, 40])
def test_a_list_writes_one_entry_and_one_insert_of_the_cases_it_showed(client, world, door, rows):
    actor, get, what = DOORS[door]
    status = om.Status.FLAGGED if actor == "coordinator" else om.Status.IN_PROGRESS
    cases = bulk_cases(world, rows, status, centre=None if status == om.Status.FLAGGED else world.centre)
    user = getattr(world, actor)
    with CaptureQueriesContext(connection) as queries:
        get(client, user)

    assert inserts_into(queries, "outreach_accesslog") == 1
    assert inserts_into(queries, "outreach_accessedcase") == 1
    entry = latest_read(user)
    assert entry.what == what
    shown = shown_by(entry)
    assert shown and shown <= {case.pk for case in cases}
    assert len(shown) == min(rows, 20 if door == "to do" else rows)  # the to-do page shows 20 lines


def test_a_search_is_logged_with_its_query(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)

    web_get(client, world.school_staff, "/cases/", {"q": case.pupil.last_name})
    web_entry = latest_read(world.school_staff)
    client_for(world.school_staff).get("/api/v1/cases/", {"q": case.reference})
    api_entry = latest_read(world.school_staff)

    assert (web_entry.what, web_entry.detail, shown_by(web_entry)) == ("case_list", case.pupil.last_name, {case.pk})
    assert (api_entry.what, api_entry.detail, shown_by(api_entry)) == ("api_case_list", case.reference, {case.pk})


def test_an_empty_list_is_logged_with_no_case(client, world):
    with CaptureQueriesContext(connection) as queries:
        web_get(client, world.school_staff, "/cases/", {"q": "Personne"})

    assert latest_read(world.school_staff).detail == "Personne"
    assert inserts_into(queries, "outreach_accessedcase") == 0


@pytest.mark.parametrize(
    "url",
    ["/reports/?group_by=school&format=csv", "/reports/funders/?format=csv", "/api/v1/reports/outcomes/?format=csv"],
)
def test_a_report_csv_is_logged_as_an_export(client, world, url):
    if url.startswith("/api/"):
        client_for(world.coordinator).get(url)
    else:
        web_get(client, world.coordinator, url)

    entry = om.AccessLog.objects.filter(user=world.coordinator).order_by("-pk").first()
    assert entry.action == om.AccessAction.EXPORT
    assert entry.what in ("outcome_report", "funders_report")


def test_the_admin_pupil_pages_are_logged_and_read_only(admin_client, admin_user, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    changelist = reverse("admin:schools_pupil_changelist")
    change = reverse("admin:schools_pupil_change", args=[case.pupil_id])

    admin_client.get(changelist, {"q": case.pupil.last_name})
    listed = latest_read(admin_user)
    page = admin_client.get(change)
    opened = latest_read(admin_user)

    assert (listed.what, listed.detail, shown_by(listed)) == ("admin_pupil_list", case.pupil.last_name, {case.pk})
    assert (opened.what, opened.pupil_id, shown_by(opened)) == ("admin_pupil", case.pupil_id, {case.pk})
    assert b'name="_save"' not in page.content
    before = Pupil.objects.get(pk=case.pupil_id).last_name
    assert admin_client.post(change, {"last_name": "Changé"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:schools_pupil_delete", args=[case.pupil_id]), {"post": "yes"}).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:schools_pupil_add")).status_code == 403
    assert Pupil.objects.get(pk=case.pupil_id).last_name == before


def test_who_has_seen_a_case_is_one_query_and_counts_the_lists_that_showed_it(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    other = make_case(world, om.Status.IN_PROGRESS)
    web_get(client, world.school_staff, "/cases/")
    web_get(client, world.school_staff, f"/cases/{case.pk}/")
    client_for(world.animator).get("/api/v1/cases/", {"q": other.reference})

    with CaptureQueriesContext(connection) as queries:
        seen = list(
            om.AccessLog.objects.filter(about_case(reference=case.reference)).values_list("user__username", "what")
        )

    assert len(queries) == 1
    assert sorted(seen) == [("cpe", "case_list"), ("cpe", "read_case")]


def test_the_access_log_page_says_each_list_read_in_words(client, world):
    world.school_staff.first_name, world.school_staff.last_name = "Mathilde", "Roy"
    world.school_staff.save()
    bulk_cases(world, 3, om.Status.IN_PROGRESS)
    case = make_case(world, om.Status.IN_PROGRESS)
    web_get(client, world.school_staff, "/cases/")
    web_get(client, world.school_staff, "/cases/", {"q": case.reference})

    page = web_get(client, world.coordinator, "/access-log/", {"case": case.reference}).content.decode()

    with translation.override(settings.LANGUAGE_CODE):
        the_list = str(LIST_NAMES["case_list"])
        viewed = ngettext("%(user)s viewed %(list)s (%(count)s case)", "%(user)s viewed %(list)s (%(count)s cases)", 4)
        searched = ngettext(
            "%(user)s searched “%(search)s” in %(list)s (%(count)s case)",
            "%(user)s searched “%(search)s” in %(list)s (%(count)s cases)",
            1,
        )
    assert viewed % {"user": "Mathilde Roy", "list": the_list, "count": 4} in page
    assert searched % {"user": "Mathilde Roy", "list": the_list, "count": 1, "search": case.reference} in page
    assert "centre=" not in page


def test_the_api_access_log_filtered_by_case_lists_the_lists_that_showed_it(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client_for(world.school_staff).get("/api/v1/cases/")
    client_for(world.school_staff).get(f"/api/v1/cases/{case.pk}/")

    body = client_for(world.coordinator).get("/api/v1/audit/access/", {"case": str(case.pk)}).json()

    assert sorted(entry["what"] for entry in body["results"]) == ["api_case_list", "read_case"]
