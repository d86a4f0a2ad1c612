"""Coordinators' pages and the reports: who may open them, what they show, and what they cost in queries."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outreach import dashboard
from outreach.models import AccessLog, Case, EventKind, Outcome, Reason, Status
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

COORDINATOR_PAGES = ["outreach:triage", "outreach:dashboard", "outreach:access_log"]
ALL_PAGES = [*COORDINATOR_PAGES, "outreach:reports", "outreach:funders_report"]
SECRET_NAME = "Zyxwvutsky"


def _get(client, user, name, data=None):
    client.force_login(user)
    return client.get(reverse(name), data or {})


def _html(response) -> str:
    return response.content.decode()


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _pupil(world, school=None, **fields):
    fields.setdefault("neighbourhood", "Wazemmes")
    return factories.PupilFactory(school=school or world.school, **fields)


def _closed(world, *, school, centre, neighbourhood, outcome=Outcome.RETURNED_TO_SCHOOL, **fields):
    return factories.CaseFactory(
        pupil=_pupil(world, school, neighbourhood=neighbourhood),
        closed=True,
        centre=centre,
        outcome=outcome,
        **fields,
    )


@pytest.fixture
def busy(world):
    """A case in every status, with the events, contacts and confirmations the pages show."""
    days_ago = timezone.now() - timedelta(days=5)
    flagged = factories.CaseFactory(pupil=_pupil(world, first_name="Anastasiette", last_name=SECRET_NAME))
    declined = factories.CaseFactory(pupil=_pupil(world, neighbourhood="Bois-Blancs"), status_changed_at=days_ago)
    factories.CaseEventFactory(case=declined, kind=EventKind.DECLINED, note="Hors de notre secteur")
    late = factories.CaseFactory(
        pupil=_pupil(world, neighbourhood="Moulins"), routed=True, centre=world.centre, status_changed_at=days_ago
    )
    progress = factories.CaseFactory(
        pupil=_pupil(world),
        in_progress=True,
        centre=world.centre,
        flagged_at=days_ago,
        first_contact_at=days_ago + timedelta(days=2),
    )
    closed = _closed(world, school=world.school, centre=world.centre, neighbourhood="Wazemmes")
    factories.ReturnConfirmationFactory(case=closed, half_days_missed=1)
    factories.AccessLogFactory(user=world.coordinator, case=flagged)
    factories.AccessLogFactory(user=world.animator, case=progress)
    return {"flagged": flagged, "declined": declined, "late": late, "progress": progress, "closed": closed}


# Who may open what -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_PAGES)
def test_every_page_opens_for_the_coordinator(client, world, busy, name):
    response = _get(client, world.coordinator, name)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = _html(response)
    # Scripts are files of this site (the strict Content-Security-Policy refuses anything else); no inline style.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/js/radar.js" defer>',
        '<script src="/static/js/session.js" defer>',
    ]
    assert " style=" not in html
    assert "<h1>" in html


@pytest.mark.parametrize("name", COORDINATOR_PAGES)
@pytest.mark.parametrize("who", ["school_staff", "animator", "manager", "nobody"])
def test_coordinator_pages_are_forbidden_to_others(client, world, name, who):
    assert _get(client, getattr(world, who), name).status_code == 403


@pytest.mark.parametrize("name", ALL_PAGES)
def test_anonymous_users_are_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_reports_need_the_reports_permission(client, world):
    assert _get(client, world.nobody, "outreach:reports").status_code == 403
    assert _get(client, world.animator, "outreach:reports").status_code == 200


@pytest.mark.parametrize("who", ["animator", "school_staff", "nobody"])
def test_funders_report_is_forbidden_without_the_permission(client, world, who):
    assert _get(client, getattr(world, who), "outreach:funders_report").status_code == 403


# Triage ----------------------------------------------------------------------------------------


def test_triage_lists_waiting_cases_with_the_suggested_centre(client, world, busy):
    html = _html(_get(client, world.coordinator, "outreach:triage"))
    flagged, declined, late = busy["flagged"], busy["declined"], busy["late"]
    assert flagged.reference in html and declined.reference in html and late.reference in html
    assert busy["progress"].reference not in html and busy["closed"].reference not in html
    assert f'<option value="{world.centre.pk}" selected>' in html
    # A decline's reason is free text a person wrote: withheld from a coordinator who has not revealed the pupil.
    assert "Hors de notre secteur" not in html
    assert flagged.pupil.pseudonym_key in html and flagged.pupil.initials in html
    # The declined case has waited longer: it comes first, marked overdue.
    assert html.index(declined.reference) < html.index(flagged.reference)
    assert html.count('name="route-centre"') == 3
    assert f'action="{reverse("outreach:case_step", args=[flagged.pk, "route"])}"' in html


def test_the_inline_form_routes_the_case(client, world, busy):
    client.force_login(world.coordinator)
    case = busy["flagged"]
    response = client.post(
        reverse("outreach:case_step", args=[case.pk, "route"]), {"route-centre": world.centre.pk, "route-note": ""}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ROUTED and case.centre == world.centre
    assert case.reference not in _html(_get(client, world.coordinator, "outreach:triage"))


def test_coverage_suggestions_match_the_selector(world):
    from types import SimpleNamespace

    from outreach.models import Street
    from outreach.selectors import centres_covering

    covering_both = factories.NeighbourhoodFactory(name="Fives")
    factories.NeighbourhoodPostcodeFactory(neighbourhood=covering_both, postcode="59800")
    world.centre.neighbourhoods.add(covering_both)
    world.other_centre.neighbourhoods.add(covering_both)
    Street.objects.create(neighbourhood=world.other_neighbourhood, name="Rue de Valenciennes", postcode="59000")
    pupils = [
        SimpleNamespace(neighbourhood=name, postcode=postcode, address=address)
        for name, postcode, address in [
            ("Wazemmes", "", ""),
            ("wazemmes ", "59800", ""),
            ("WAZEMMES", "59800", "4 rue de Valenciennes"),
            ("Fives", "", ""),
            ("", "59800", ""),
            ("", "59000", ""),
            ("", "59000", "4 rue de Valenciennes"),
            ("", "59000", "4 r. de valenciennes"),
            ("Inconnu", "59000", "Rue de Valenciennes"),
            ("Inconnu", "59000", ""),
            ("Bois-Blancs", "59000", ""),
            ("", "", ""),
        ]
    ]
    coverage = dashboard.coverage()
    coverage.load_streets(pupils)
    for pupil in pupils:
        expected = centres_covering(
            neighbourhood_name=pupil.neighbourhood, postcode=pupil.postcode, address=pupil.address
        )
        assert coverage.suggest(pupil).centres == expected, pupil


# Dashboard -------------------------------------------------------------------------------------


def test_dashboard_figures(world):
    now = timezone.now()
    month = timezone.localdate(now).replace(day=1)
    # In UTC: adding days to a Paris time is wall-clock arithmetic, an hour off across a DST change.
    flagged_at = (timezone.make_aware(datetime(month.year, month.month, 1, 9)) - timedelta(days=40)).astimezone(UTC)
    flag_month = timezone.localtime(flagged_at).date().replace(day=1)
    for days in (1, 2, 10):
        factories.CaseFactory(
            pupil=_pupil(world),
            in_progress=True,
            flagged_at=flagged_at,
            first_contact_at=flagged_at + timedelta(days=days),
        )
    cases = Case.objects.all()
    months = dashboard.last_months(12, timezone.localdate(now))
    delays = {row["month"]: row for row in dashboard.first_contact_delays(cases, months)}
    assert delays[flag_month]["cases"] == 3
    assert delays[flag_month]["median_days"] == 2.0 and delays[flag_month]["average_days"] == 4.3
    factories.CaseFactory(
        pupil=_pupil(world), in_progress=True, flagged_at=flagged_at, first_contact_at=flagged_at + timedelta(days=5)
    )
    delays = {row["month"]: row for row in dashboard.first_contact_delays(cases, months)}
    assert delays[flag_month]["median_days"] == 3.5 and delays[flag_month]["average_days"] == 4.5
    assert dict(dashboard.flags_per_month(cases, months))[flag_month] == 4

    closed = _closed(world, school=world.school, centre=world.centre, neighbourhood="Wazemmes", half_days_missed=10)
    factories.ReturnConfirmationFactory(case=closed, half_days_missed=8, on=timezone.localdate() - timedelta(days=9))
    factories.ReturnConfirmationFactory(case=closed, half_days_missed=2)
    other = _closed(world, school=world.other_school, centre=world.other_centre, neighbourhood="", half_days_missed=6)
    factories.ReturnConfirmationFactory(case=other, half_days_missed=4)
    attendance = dashboard.attendance_before_after(cases)
    assert attendance["overall"] == {"cases": 2, "before": 8.0, "after": 3.0}
    assert [(row["label"], row["before"], row["after"]) for row in attendance["schools"]] == [
        ("Collège A", 10.0, 2.0),
        ("Collège B", 6.0, 4.0),
    ]

    overdue = dashboard.overdue_by_deadline(cases, now)
    assert overdue["first_contact"] == 0 and overdue["family_notice"] == 4
    figures = dashboard.kpis(cases, now)
    assert figures == {"open": 4, "overdue": 4, "awaiting_triage": 0, "closed_this_school_year": 2}


def test_dashboard_escapes_labels_and_describes_its_charts(client, world):
    evil = factories.CentreFactory(name="<b>Evil</b> & co")
    _closed(world, school=world.school, centre=evil, neighbourhood="Wazemmes")
    html = _html(_get(client, world.coordinator, "outreach:dashboard"))
    assert "<b>Evil" not in html and "&lt;b&gt;Evil&lt;/b&gt; &amp; co" in html
    assert html.count('role="img"') == html.count("<svg") == 3  # flags, outcomes by centre and by school
    assert html.count("<table") >= 6 and html.count("<caption>") >= 6


def test_dashboard_figures_are_kept_for_the_cache_time_and_show_their_age(client, world, settings):
    settings.RADAR_DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    first = _get(client, world.coordinator, "outreach:dashboard")
    factories.CaseFactory(pupil=_pupil(world))
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        second = _get(client, world.coordinator, "outreach:dashboard")
    assert second.context["kpis"] == first.context["kpis"]
    assert second.context["age_minutes"] == 3 and 'id="figures-age"' in _html(second)
    settings.RADAR_DASHBOARD_CACHE_SECONDS = 0
    third = _get(client, world.coordinator, "outreach:dashboard")
    assert third.context["kpis"]["open"] == first.context["kpis"]["open"] + 1 and third.context["age_minutes"] == 0


# Reports ---------------------------------------------------------------------------------------


@pytest.fixture
def two_schools(world):
    mine = _closed(world, school=world.school, centre=world.centre, neighbourhood="Wazemmes")
    theirs = _closed(
        world, school=world.other_school, centre=world.other_centre, neighbourhood="Moulins", outcome=Outcome.REFERRED
    )
    return mine, theirs


def test_school_staff_see_only_their_school_figures(client, world, two_schools):
    by_centre = _html(_get(client, world.school_staff, "outreach:reports", {"group_by": "centre"}))
    assert "Centre A" in by_centre and "Centre B" not in by_centre
    by_area = _html(_get(client, world.school_staff, "outreach:reports", {"group_by": "neighbourhood"}))
    assert "Wazemmes" in by_area and "Moulins" not in by_area
    by_school = _get(client, world.school_staff, "outreach:reports", {"group_by": "school"})
    assert [row["label"] for row in by_school.context["rows"]] == ["Collège A"]
    assert by_school.context["totals"]["total"] == 1
    everything = _get(client, world.coordinator, "outreach:reports", {"group_by": "school"})
    assert [row["label"] for row in everything.context["rows"]] == ["Collège A", "Collège B"]


@pytest.mark.parametrize("group_by", ["centre", "school", "month", "reason", "neighbourhood"])
def test_reports_group_every_way(client, world, two_schools, group_by):
    factories.CaseReasonFactory(case=two_schools[0])
    response = _get(client, world.coordinator, "outreach:reports", {"group_by": group_by})
    assert response.status_code == 200 and response.context["totals"]["total"] >= 1
    csv_response = _get(client, world.coordinator, "outreach:reports", {"group_by": group_by, "format": "csv"})
    assert len(_csv(csv_response)) == len(response.context["rows"]) + 1


def test_reports_label_outcomes_and_reasons_and_validate_dates(client, world, two_schools):
    factories.CaseReasonFactory(case=two_schools[0], reason=Reason.NO_DIGITAL_ACCESS)
    client.force_login(world.coordinator)
    response = client.get(reverse("outreach:reports"), {"group_by": "reason"}, HTTP_ACCEPT_LANGUAGE="en")
    html = _html(response)
    assert "Returned to school</th>" in html and "No digital access</th>" in html
    assert "no_digital_access" not in html
    bad = _get(client, world.coordinator, "outreach:reports", {"from": "2026-05-01", "to": "2026-04-01"})
    assert bad.status_code == 400


def test_reports_csv_is_escaped_against_formulas(client, world):
    _closed(world, school=world.school, centre=world.centre, neighbourhood="=cmd")
    response = _get(client, world.school_staff, "outreach:reports", {"group_by": "neighbourhood", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[1][0] == "'=cmd" and rows[1][1] == "1"
    assert all(not cell.startswith("=") for row in rows for cell in row)


# Funders' report -------------------------------------------------------------------------------


def _figure(response, section: str, index: int = 0):
    return next(s for s in response.context["sections"] if s["key"] == section)["items"][index][1]


def test_centre_manager_reports_on_their_own_centre(client, world):
    mine = factories.CaseFactory(pupil=_pupil(world), in_progress=True, centre=world.centre)
    factories.TutoringSessionFactory(case=mine, duration_minutes=90)
    theirs = factories.CaseFactory(pupil=_pupil(world, world.other_school), in_progress=True, centre=world.other_centre)
    factories.SupportFactory(case=theirs)
    response = _get(client, world.manager, "outreach:funders_report")
    assert response.status_code == 200
    assert _figure(response, "pupils") == 1
    assert _figure(response, "tutoring", 0) == 1 and _figure(response, "supports", 0) == 0
    everything = _get(client, world.coordinator, "outreach:funders_report")
    assert _figure(everything, "pupils") == 2 and _figure(everything, "supports", 0) == 1
    csv_response = _get(client, world.manager, "outreach:funders_report", {"format": "csv", "year": "1999"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert len(_csv(csv_response)) > 10


# Access log ------------------------------------------------------------------------------------


def test_access_log_filters_and_pages(client, world, busy):
    for _ in range(105):
        factories.AccessLogFactory(user=world.animator, case=busy["progress"])
    first = _get(client, world.coordinator, "outreach:access_log")
    assert len(first.context["entries"]) == 100 and first.context["older_url"]
    second = client.get(reverse("outreach:access_log") + first.context["older_url"])
    assert len(second.context["entries"]) == 7
    seen = {entry.pk for entry in first.context["entries"]} | {entry.pk for entry in second.context["entries"]}
    assert seen == set(AccessLog.objects.values_list("pk", flat=True))
    back = client.get(reverse("outreach:access_log") + second.context["newer_url"])
    assert [e.pk for e in back.context["entries"]] == [e.pk for e in first.context["entries"]]
    only = _get(client, world.coordinator, "outreach:access_log", {"case": busy["flagged"].reference.lower()})
    assert [entry.case_id for entry in only.context["entries"]] == [busy["flagged"].pk]
    by_user = _get(client, world.coordinator, "outreach:access_log", {"user": "COORD", "action": "read_case"})
    assert {entry.user_id for entry in by_user.context["entries"]} == {world.coordinator.pk}
    for garbage in ("nonsense", "2026-13-45T00:00:00_5", "2026-01-01T00:00:00_x"):
        assert _get(client, world.coordinator, "outreach:access_log", {"after": garbage}).status_code == 200
    assert _get(client, world.coordinator, "outreach:access_log", {"from": "yesterday"}).status_code == 400


# Privacy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COORDINATOR_PAGES)
def test_coordinators_never_see_pupil_names(client, world, busy, name):
    html = _html(_get(client, world.coordinator, name))
    assert SECRET_NAME not in html
    assert busy["flagged"].pupil.first_name not in html


# Query counts ----------------------------------------------------------------------------------


def _queries(client, user, name) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name)).status_code == 200
    return len(captured)


def _add_cases(world, count: int) -> None:
    now = timezone.now()
    for index in range(count):
        neighbourhood = ("Wazemmes", "Moulins", "Bois-Blancs", "")[index % 4]
        when = now - timedelta(days=40 * (index % 9) + 3)
        flagged = factories.CaseFactory(pupil=_pupil(world, neighbourhood=neighbourhood), status_changed_at=when)
        factories.CaseReasonFactory(case=flagged)
        factories.CaseEventFactory(case=flagged, kind=EventKind.DECLINED, note="Complet")
        factories.CaseFactory(pupil=_pupil(world), routed=True, centre=world.other_centre, status_changed_at=when)
        progress = factories.CaseFactory(
            pupil=_pupil(world, world.other_school),
            in_progress=True,
            centre=world.centre,
            flagged_at=when,
            first_contact_at=when + timedelta(days=index % 5),
        )
        factories.ContactFactory(case=progress)
        closed = _closed(world, school=world.school, centre=world.other_centre, neighbourhood=neighbourhood)
        factories.ReturnConfirmationFactory(case=closed, half_days_missed=index % 3)
        factories.AccessLogFactory(user=world.animator, case=progress)
        factories.AccessLogFactory(user=world.coordinator, case=flagged, action="reveal", detail="Appel du juge")


@pytest.mark.parametrize("name", ALL_PAGES)
def test_query_count_does_not_grow_with_the_data(client, world, name):
    _add_cases(world, 2)
    few = _queries(client, world.coordinator, name)
    _add_cases(world, 28)
    assert _queries(client, world.coordinator, name) == few
