"""The field day: "À faire" for every role, contact details the school must check, confirmed closures and
withdrawals, failed forms that land on their errors, the print view and the public pages."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from outreach import models as om
from outreach import services
from outreach.templatetags.radar import long_date
from tests import factories
from tests.api_helpers import API, client_for, make_case, make_pupil

pytestmark = pytest.mark.django_db


def _html(client, user, url, **query) -> str:
    client.force_login(user)
    response = client.get(url, query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _section(html: str, key: str) -> str:
    start = html.index(f'id="todo-{key}"')
    end = html.find("</section>", start)
    return html[start:end]


def _contact(world, case, result, hours_ago: int, **fields) -> om.Contact:
    return services.contact_log(
        actor=world.animator,
        case=case,
        kind="home_visit",
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        result=result,
        **fields,
    )


# "À faire" ------------------------------------------------------------------------------------------------------


@pytest.mark.clock
def test_a_centre_sees_next_steps_deadlines_acceptances_and_thinning_follow_up(client, world):
    now = timezone.now()
    due = make_case(world, om.Status.IN_PROGRESS, pupil=make_pupil(world.school, last_name="Duesteps"))
    _contact(world, due, "reached_family", 2, next_step="Rappeler la mère", next_step_due_on=timezone.localdate())
    make_case(
        world,
        om.Status.IN_PROGRESS,
        pupil=make_pupil(world.school, last_name="Overduekid"),
        accepted_at=now - timedelta(days=10),
        status_changed_at=now - timedelta(days=10),
        family_informed_on=timezone.localdate(),
    )
    routed = make_case(world, om.Status.ROUTED, pupil=make_pupil(world.school, last_name="Routedkid"))
    sparse = make_case(
        world,
        om.Status.IN_PROGRESS,
        pupil=make_pupil(world.school, last_name="Sparsekid"),
        accepted_at=now - timedelta(days=60),
        family_informed_on=timezone.localdate(),
    )
    _contact(world, sparse, "reached_family", 24 * 40)
    elsewhere = make_case(world, om.Status.ROUTED, school=world.other_school, centre=world.other_centre)

    manager = _html(client, world.manager, "/todo/")
    assert "Duesteps" in _section(manager, "next_steps") and "Rappeler la mère" in _section(manager, "next_steps")
    assert "Overduekid" in _section(manager, "deadlines")
    assert "Routedkid" in _section(manager, "to_accept")
    assert "Sparsekid" in _section(manager, "thinning")
    assert elsewhere.reference not in manager
    # Accept is one tap from the line; the others open the step on the case page.
    assert f'action="/cases/{routed.pk}/do/accept/"' in _section(manager, "to_accept")
    assert f"/cases/{due.pk}/#step-log_contact" in _section(manager, "next_steps")
    animator = _html(client, world.animator, "/todo/")
    assert 'id="todo-to_accept"' not in animator, "an animator does not accept cases"
    assert "Overduekid" in animator


@pytest.mark.clock
def test_an_animator_sees_the_cases_assigned_to_them_and_those_nobody_has(client, world):
    today = timezone.localdate()

    def due(name):
        return make_case(
            world, om.Status.IN_PROGRESS, pupil=make_pupil(world.school, last_name=name), next_step_due_on=today
        )

    due("Minekid").animators.add(world.animator)
    due("Theirskid").animators.add(world.manager)
    nobodys = due("Nobodyskid")
    html = _html(client, world.animator, "/todo/")
    assert "Minekid" in html and "Nobodyskid" in html and "Theirskid" not in html
    assert nobodys.reference in html


@pytest.mark.clock
def test_a_school_sees_returns_details_to_check_notices_and_news(client, world):
    now = timezone.now()
    closed = make_case(world, om.Status.CLOSED, pupil=make_pupil(world.school, last_name="Closedkid"), closed_at=now)
    make_case(
        world,
        om.Status.CLOSED,
        pupil=make_pupil(world.school, last_name="Movedkid"),
        outcome=om.Outcome.MOVED_AWAY,
        closed_at=now,
    )
    doubtful = make_case(
        world,
        om.Status.IN_PROGRESS,
        pupil=make_pupil(world.school, last_name="Doubtfulkid"),
        details_to_check_since=now,
        family_informed_on=timezone.localdate(),
    )
    make_case(world, om.Status.ROUTED, pupil=make_pupil(world.school, last_name="Uninformedkid"))
    html = _html(client, world.school_staff, "/todo/")
    assert "Closedkid" in _section(html, "returns") and "Movedkid" not in _section(html, "returns")
    assert "Doubtfulkid" in _section(html, "details")
    assert reverse("outreach:contact_details", args=[doubtful.pk]) in _section(html, "details")
    assert "Uninformedkid" in _section(html, "notices")
    assert "Closedkid" not in _section(html, "news")
    # The next visit shows what happened since the previous one.
    factories.CaseEventFactory(case=closed, kind=om.EventKind.CLOSED, actor=world.animator, at=now + timedelta(hours=1))
    html = _html(client, world.school_staff, "/todo/")
    assert "Closedkid" in _section(html, "news")


def test_a_coordinator_sees_triage_and_overdue_counts_with_pupils_pseudonymised(client, world):
    waiting = make_case(
        world,
        om.Status.FLAGGED,
        pupil=make_pupil(world.school, last_name="Waitingkid"),
        status_changed_at=timezone.now() - timedelta(days=5),
    )
    html = _html(client, world.coordinator, "/todo/")
    triage = _section(html, "triage")
    assert waiting.reference in triage and "Waitingkid" not in html
    assert waiting.pupil.pseudonym_key in triage
    assert "overdue=true" in _section(html, "overdue")


@pytest.mark.parametrize("actor", ["school_staff", "manager", "coordinator"])
def test_the_todo_page_costs_the_same_queries_for_few_and_many_cases(client, world, actor):
    client.force_login(getattr(world, actor))
    client.get("/todo/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/todo/").status_code == 200
        return len(queries)

    def add_cases():
        old = timezone.now() - timedelta(days=40)
        make_case(world, om.Status.IN_PROGRESS, next_step_due_on=timezone.localdate(), accepted_at=old)
        make_case(world, om.Status.ROUTED, status_changed_at=old)
        make_case(world, om.Status.FLAGGED, status_changed_at=old)
        make_case(world, om.Status.CLOSED, closed_at=timezone.now())

    add_cases()
    few = count()
    for _ in range(12):
        add_cases()
    assert count() == few


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/todo/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# Contact details to check -----------------------------------------------------------------------------------------


def test_three_unanswered_attempts_in_a_row_ask_the_school_to_check_the_details(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    _contact(world, case, "no_answer", 5)
    _contact(world, case, "absent_notice_left", 4)
    assert om.Case.objects.get(pk=case.pk).details_to_check_since is None
    _contact(world, case, "no_answer", 3)
    stored = om.Case.objects.get(pk=case.pk)
    assert stored.details_to_check_since is not None
    assert stored.events.filter(kind=om.EventKind.DETAILS_TO_CHECK).count() == 1
    _contact(world, case, "no_answer", 2)
    assert stored.events.filter(kind=om.EventKind.DETAILS_TO_CHECK).count() == 1, "asked once"


def test_an_answer_between_unanswered_attempts_starts_the_count_again(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    for result, hours in (("no_answer", 5), ("no_answer", 4), ("appointment_made", 3), ("no_answer", 2)):
        _contact(world, case, result, hours)
    assert om.Case.objects.get(pk=case.pk).details_to_check_since is None


def test_two_wrong_details_ask_the_school_to_check_them(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    _contact(world, case, "wrong_details", 5)
    _contact(world, case, "reached_family", 4)
    _contact(world, case, "wrong_details", 3)
    assert om.Case.objects.get(pk=case.pk).details_to_check_since is not None


def _doubtful_case(world) -> om.Case:
    case = make_case(world, om.Status.IN_PROGRESS, details_to_check_since=timezone.now())
    factories.GuardianFactory(pupil=case.pupil, name="Ancien Responsable", phone="0600000000")
    return case


def test_the_school_updates_the_details_on_its_page_and_the_request_is_answered(client, world):
    case = _doubtful_case(world)
    client.force_login(world.school_staff)
    page = client.get(reverse("outreach:contact_details", args=[case.pk]))
    assert "Ancien Responsable" in page.content.decode()
    data = {
        "address": "7 rue Neuve",
        "postcode": "59000",
        "city": "Lille",
        "neighbourhood": "Wazemmes",
        "guardians-TOTAL_FORMS": "2",
        "guardians-INITIAL_FORMS": "0",
        "guardians-0-name": "Nadia Benali",
        "guardians-0-phone": "0612345678",
        "guardians-1-name": "",
    }
    response = client.post(reverse("outreach:contact_details", args=[case.pk]), data)
    assert response.status_code == 302
    stored = om.Case.objects.get(pk=case.pk)
    assert stored.details_to_check_since is None
    assert [guardian.name for guardian in stored.pupil.guardians.all()] == ["Nadia Benali"]
    assert stored.pupil.address == "7 rue Neuve"
    assert stored.events.filter(kind=om.EventKind.DETAILS_UPDATED).exists()


def test_the_details_page_refuses_no_guardian_with_the_error_shown(client, world):
    case = _doubtful_case(world)
    client.force_login(world.school_staff)
    data = {"address": "7 rue Neuve", "guardians-TOTAL_FORMS": "1", "guardians-INITIAL_FORMS": "0"}
    response = client.post(reverse("outreach:contact_details", args=[case.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Give at least one guardian" in response.content.decode()
    assert om.Case.objects.get(pk=case.pk).details_to_check_since is not None


@pytest.mark.parametrize(("actor", "status"), [("animator", 403), ("other_school_staff", 404), ("coordinator", 403)])
def test_only_the_school_updates_the_details(client, world, actor, status):
    case = _doubtful_case(world)
    client.force_login(getattr(world, actor))
    assert client.get(reverse("outreach:contact_details", args=[case.pk])).status_code == status


def test_the_api_updates_the_details_too(world):
    case = _doubtful_case(world)
    response = client_for(world.school_staff).post(
        f"{API}/cases/{case.pk}/update-contact-details/",
        {"address": "7 rue Neuve", "guardians": [{"name": "Nadia Benali", "phone": "0612345678"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["details_to_check"] is False


def test_a_school_re_sending_the_guardians_answers_the_request(world, pupil_data):
    case = _doubtful_case(world)
    data = pupil_data(external_ref=case.pupil.external_ref, guardians=[{"name": "Nadia Benali"}])
    services.case_flag(actor=world.school_staff, school=world.school, pupil=data, reasons=["long_absence"])
    assert om.Case.objects.get(pk=case.pk).details_to_check_since is None


# Confirmed closures and withdrawals; failed forms land on their errors ------------------------------------------


def test_closing_asks_to_confirm_the_outcome_first(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client.force_login(world.animator)
    url = f"/cases/{case.pk}/do/close/"
    data = {"close-outcome": "returned_to_school", "close-note": "Retour en classe lundi"}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Returned to school" in html and 'name="confirmed" value="yes"' in html
    assert om.Case.objects.get(pk=case.pk).status == om.Status.IN_PROGRESS
    response = client.post(url, {**data, "confirmed": "yes"})
    assert response.status_code == 302
    assert om.Case.objects.get(pk=case.pk).outcome == om.Outcome.RETURNED_TO_SCHOOL


def test_the_close_form_has_no_outcome_chosen_in_advance(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    html = _html(client, world.animator, f"/cases/{case.pk}/")
    close = html[html.index('id="step-close"') :]
    close = close[: close.index("</form>")]
    assert "selected" not in close.replace('value="" selected', "")


def test_withdrawing_needs_a_reason_in_both_doors(client, world):
    case = make_case(world, om.Status.ROUTED)
    client.force_login(world.school_staff)
    response = client.post(f"/cases/{case.pk}/do/withdraw/", {"withdraw-note": ""})
    assert response.status_code == 400
    api = client_for(world.school_staff).post(f"{API}/cases/{case.pk}/withdraw/", {}, format="json")
    assert api.status_code == 400 and "note" in api.json()["fields"]
    assert om.Case.objects.get(pk=case.pk).status == om.Status.ROUTED


def test_a_failed_form_low_on_the_page_carries_its_anchor_and_a_focused_summary(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client.force_login(world.animator)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/do/log_tutoring/#step-log_tutoring"' in html
    response = client.post(
        f"/cases/{case.pk}/do/log_tutoring/", {"log_tutoring-on": "", "log_tutoring-duration_minutes": "900"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    section = html[html.index('id="step-log_tutoring"') :]
    summary = section[section.index('class="error-summary"') :]
    assert "autofocus" in summary[:200]
    assert 'href="#id_log_tutoring-duration_minutes"' in summary


def test_decline_looks_secondary_beside_accept(client, world):
    case = make_case(world, om.Status.ROUTED)
    html = _html(client, world.manager, f"/cases/{case.pk}/")
    accept, decline = html.index('id="step-accept"'), html.index('id="step-decline"')
    assert accept < decline
    assert 'class="secondary"' in html[decline : html.index("</section>", decline)]


# The doorstep, the print view, public pages ----------------------------------------------------------------------


def test_the_doorstep_puts_address_directions_and_calls_before_the_visit_form(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    factories.GuardianFactory(pupil=case.pupil, phone="0611223344", language="arabe", interpreter_needed=True)
    html = _html(client, world.animator, f"/cases/{case.pk}/")
    doorstep = html.index('class="panel doorstep"')
    assert doorstep < html.index('id="step-log_contact"') < html.index('<details class="fold"')
    assert 'href="tel:0611223344"' in html and 'href="sms:0611223344"' in html
    assert "openstreetmap.org/search?query=" in html
    assert 'class="panel doorstep"' not in _html(client, world.school_staff, f"/cases/{case.pk}/")


def test_the_print_view_shows_the_case_without_forms_and_is_logged(client, world):
    case = make_case(world, om.Status.IN_PROGRESS, details="Absent depuis lundi")
    _contact(world, case, "reached_family", 2, notes="Mère rencontrée")
    school = _html(client, world.school_staff, f"/cases/{case.pk}/print/")
    assert "<form" not in school[school.index("<main") : school.index("</main>")]
    assert "Absent depuis lundi" in school and "Mère rencontrée" not in school
    assert "Mère rencontrée" in _html(client, world.animator, f"/cases/{case.pk}/print/")
    assert om.AccessLog.objects.filter(case=case, what="print").count() == 2
    client.force_login(world.other_school_staff)
    assert client.get(f"/cases/{case.pk}/print/").status_code == 404


@pytest.mark.parametrize("url", ["/help/", "/accessibility/", "/legal/", "/privacy/"])
def test_help_and_legal_pages_are_public_and_linked_from_every_page(client, url):
    assert client.get(url).status_code == 200
    assert f'href="{url}"' in client.get("/login/").content.decode()


def test_the_language_switcher_names_each_language_in_itself(client):
    html = client.get("/login/").content.decode()
    assert ">English</option>" in html and ">Français</option>" in html


def test_the_first_of_a_month_is_an_ordinal_in_french():
    with translation.override("fr"):
        assert long_date(date(2026, 9, 1)) == "1er septembre 2026"
        assert long_date(date(2026, 9, 2)) == "2 septembre 2026"
    with translation.override("en"):
        assert long_date(date(2026, 9, 1)) == "1 September 2026"
