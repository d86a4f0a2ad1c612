"""The field day in Chromium: the animator's doorstep visit on a 390 by 844 phone from "À faire", a failed form low
on a case page, the CPE confirming a return from "À faire", a closure confirmed, the print view, and the CSV that
Excel-FR writes. axe-core checks each page the journeys land on."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from outreach import services
from outreach.models import Case, ContactKind, ContactResult, Outcome, ReturnConfirmation, Status
from tests.browser.test_journeys import PHONE, accepted, flagged, success_message

SCREEN = PHONE["height"]


@pytest.fixture
def people(transactional_db, world):
    return world


@pytest.fixture
def phone_page(browser, browser_context_args):
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True})
    yield context.new_page()
    context.close()


def _late_for_first_contact(world) -> Case:
    """Accepted nine days ago and nobody went yet: first in the animator's deadlines."""
    now = timezone.now()
    case = flagged(world)
    case = services.case_route(actor=world.coordinator, case=case, centre=world.centre, now=now - timedelta(days=10))
    return services.case_accept(actor=world.manager, case=case, now=now - timedelta(days=9))


def _top(page, selector: str) -> float:
    """Where an element starts, from the top of the page (not of the screen)."""
    return page.locator(selector).first.evaluate("element => element.getBoundingClientRect().top + window.scrollY")


def test_animator_logs_a_visit_at_the_door_from_her_todo_page_in_three_taps(
    phone_page, live_server, login, people, accessible
):
    world, page = people, phone_page
    case = _late_for_first_contact(world)
    login(page, "anim")
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:todo')}")
    accessible(page)
    taps = 0

    task = page.locator("#todo-deadlines").locator("xpath=..").locator("li.task").filter(has_text=case.reference)
    expect(task).to_contain_text("Haddad")
    task.locator("a.button.primary").tap()
    taps += 1
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}#step-log_contact")
    accessible(page)

    # Name, address, the call button and the save button, all within the first two screens.
    expect(page.locator("main h1")).to_contain_text("Yanis Haddad")
    expect(page.locator(".doorstep .address")).to_contain_text("4 rue du Faubourg")
    expect(page.locator(".doorstep a[href='tel:0611223344']")).to_be_visible()
    for selector in (
        "main h1",
        ".doorstep .address",
        ".doorstep a[href^='tel:']",
        "#step-log_contact button[type=submit]",
    ):
        assert _top(page, selector) < 2 * SCREEN, selector

    form = page.locator("#step-log_contact form")
    expect(form.locator(f"input[name='log_contact-kind'][value={ContactKind.HOME_VISIT}]")).to_be_checked()
    form.locator(f"input[name='log_contact-result'][value={ContactResult.APPOINTMENT_MADE}]").tap()
    taps += 1
    form.locator("button[type=submit]").tap()
    taps += 1

    expect(success_message(page)).to_be_visible()
    assert taps == 3
    contact = case.contacts.get()
    assert (contact.kind, contact.result) == (ContactKind.HOME_VISIT, ContactResult.APPOINTMENT_MADE)
    assert timezone.now() - contact.occurred_at < timedelta(minutes=10)
    case.refresh_from_db()
    assert case.first_contact_at is not None


def test_a_failed_form_low_on_the_page_lands_on_its_error_with_the_focus(page, live_server, login, people, accessible):
    world = people
    case = accepted(world)
    login(page, "anim")
    page.goto(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}")
    form = page.locator("#step-log_tutoring form")
    form.locator("#id_log_tutoring-duration_minutes").fill("900")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(
        f"{live_server.url}{reverse('outreach:case_step', args=[case.pk, 'log_tutoring'])}#step-log_tutoring"
    )
    summary = page.locator("#step-log_tutoring .error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary.locator("a[href='#id_log_tutoring-duration_minutes']")).to_be_visible()
    expect(page.locator("#id_log_tutoring-duration_minutes")).to_have_value("900")  # what she typed is kept
    accessible(page)
    assert not case.tutoring_sessions.exists()


def test_cpe_confirms_a_return_from_her_todo_page(page, live_server, login, people, accessible):
    world = people
    case = services.case_close(actor=world.animator, case=accepted(world), outcome=Outcome.RETURNED_TO_SCHOOL)
    login(page, "cpe")
    returns = page.locator("#todo-returns").locator("xpath=..")
    expect(returns.locator("li.task").filter(has_text=case.reference)).to_have_count(1)
    returns.locator("li.task").filter(has_text=case.reference).locator("a.button.primary").click()

    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}#step-confirm_return")
    form = page.locator("#step-confirm_return form")
    form.locator("input[name='confirm_return-attendance'][value=full]").check()
    form.locator("#id_confirm_return-half_days_missed").fill("0")
    form.locator("button[type=submit]").click()

    expect(success_message(page)).to_be_visible()
    assert ReturnConfirmation.objects.get(case=case).recorded_by == world.school_staff
    page.goto(f"{live_server.url}{reverse('outreach:todo')}")
    expect(page.locator("#todo-returns").locator("xpath=..").locator("li.task")).to_have_count(0)
    accessible(page)


def test_closing_restates_the_outcome_and_waits_for_a_confirmation(page, live_server, login, people, accessible):
    world = people
    case = accepted(world)
    login(page, "anim")
    page.goto(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}")
    form = page.locator("#step-close form")
    expect(form.locator("select[name='close-outcome']")).to_have_value("")  # nothing chosen for her
    form.locator("select[name='close-outcome']").select_option(Outcome.PARTIAL_RETURN)
    form.locator("button[type=submit]").click()

    question = page.locator("main h1")
    expect(question).to_be_focused()
    expect(question).to_contain_text(case.reference)
    expect(question).to_contain_text("partiel")  # the outcome's French label, restated
    accessible(page)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS, "nothing is closed before the confirmation"
    page.locator("main form button.primary").click()

    expect(success_message(page)).to_be_visible()
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.CLOSED, Outcome.PARTIAL_RETURN)


def test_the_print_view_is_a_summary_with_no_form(page, live_server, login, people, accessible):
    world = people
    case = accepted(world)
    login(page, "cpe")
    page.goto(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}")
    page.locator(f"a[href='{reverse('outreach:case_print', args=[case.pk])}']").click()
    expect(page.locator("main h1")).to_contain_text(case.reference)
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("ol.timeline li")).not_to_have_count(0)
    accessible(page)
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator(".no-print")).to_be_hidden()
    expect(page.locator("main h1")).to_be_visible()


def test_cpe_imports_the_csv_excel_fr_writes_with_french_headers_and_two_guardians(
    page, live_server, login, people, accessible
):
    from tests.test_excel_fr import EXCEL_FR_LINES

    world = people
    login(page, "cpe")
    page.goto(f"{live_server.url}{reverse('outreach:flag_upload')}")
    expect(page.locator("a[href='?template=1']")).to_be_visible()
    raw = ("\r\n".join(EXCEL_FR_LINES[:2]) + "\r\n").encode("cp1252")
    page.locator("#id_file").set_input_files(files=[{"name": "export.csv", "mimeType": "text/csv", "buffer": raw}])
    page.locator("form[enctype] button[type=submit]").click()

    case = Case.objects.get(pupil__external_ref="EL-20", school=world.school)
    expect(page.locator("tr.import-created").filter(has_text=case.reference)).to_have_count(1)
    assert sorted(case.pupil.guardians.values_list("name", "interpreter_needed")) == [
        ("Fatoumata Diallo", True),
        ("Mamadou Diallo", False),
    ]
    accessible(page)
