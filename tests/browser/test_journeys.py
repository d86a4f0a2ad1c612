"""One journey per role, driven through Chromium as a user would: typing, ticking, clicking, pressing keys.

flag (CPE) → route from triage (coordinator) → accept (centre manager) → home visit on a phone (animator)
→ see the visit and confirm the return (CPE), plus the CSV upload and the language switch.

Each step is its own test; the state the previous step leaves is prepared through outreach.services, the
same calls the pages make. Locators use ids, names, values and URLs, never wording, so they hold whatever the
French catalogue says; only the language-switch test reads wording, to prove the language changes.
Assertions check both what the page shows and what the database holds.
"""

import re
from datetime import timedelta

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from outreach import services
from outreach.models import (
    AccessAction,
    AccessLog,
    Case,
    ContactKind,
    ContactResult,
    EventKind,
    Outcome,
    Reason,
    ReturnConfirmation,
    Status,
    SupportKind,
)
from schools.models import Pupil
from tests import factories

PHONE = {"width": 390, "height": 844}
CONNECTION_DETAIL = "Recharge 4G offerte par Emmaüs Connect"
VISIT_NOTES = "Mère rencontrée sur le pas de la porte ; Yanis reviendra lundi."


# Data --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def people(transactional_db, world):
    """The world's accounts with stable names (they appear on the pages and in the screenshots)."""
    for account, first, last in [
        (world.school_staff, "Claire", "Morel"),
        (world.animator, "Karim", "Benali"),
        (world.manager, "Sophie", "Laurent"),
        (world.coordinator, "Hélène", "Roussel"),
    ]:
        account.first_name, account.last_name = first, last
        account.save(update_fields=["first_name", "last_name"])
    return world


def pupil(world, external_ref="EL-2026-031", neighbourhood="Bois-Blancs", **overrides):
    """A pupil as case_flag takes it. Bois-Blancs is a known neighbourhood no centre covers: the case waits in
    triage instead of being routed automatically."""
    return {
        "external_ref": external_ref,
        "first_name": "Yanis",
        "last_name": "Haddad",
        "level": "5e",
        "class_name": "5e C",
        "address": "4 rue du Faubourg",
        "postcode": "59000",
        "city": "Lille",
        "neighbourhood": neighbourhood,
        "guardians": [{"name": "Nora Haddad", "relationship": "mère", "phone": "0611223344"}],
        **overrides,
    }


def flagged(world) -> Case:
    """What the CPE's flag leaves: a case awaiting triage."""
    case, created = services.case_flag(
        actor=world.school_staff,
        school=world.school,
        pupil=pupil(world),
        reasons=[Reason.LONG_ABSENCE, Reason.FAMILY_UNREACHABLE],
        details="Absent depuis le 3 novembre.",
        half_days_missed=12,
    )
    assert created and case.status == Status.FLAGGED
    return case


def routed(world) -> Case:
    """What the coordinator's routing leaves: the case with Centre A, awaiting its acceptance."""
    return services.case_route(actor=world.coordinator, case=flagged(world), centre=world.centre)


def accepted(world) -> Case:
    """What the manager's acceptance leaves: the case in progress at Centre A."""
    return services.case_accept(actor=world.manager, case=routed(world))


def visited(world) -> Case:
    """What the animator's home visit leaves: a contact with a 4G top-up given (devices are lent as loans)."""
    case = accepted(world)
    services.contact_log(
        actor=world.animator,
        case=case,
        kind=ContactKind.HOME_VISIT,
        occurred_at=timezone.now() - timedelta(hours=2),
        result=ContactResult.REACHED_FAMILY,
        duration_minutes=40,
        notes=VISIT_NOTES,
        supports=[{"kind": SupportKind.INTERNET_ACCESS, "detail": CONNECTION_DETAIL}],
    )
    return case


def history(world) -> list[Case]:
    """Closed cases from the past months, so the dashboard and the reports have something to draw."""
    now = timezone.now()
    rows = [
        # (months ago flagged, school, centre, outcome, days to first contact, half-days missed after)
        (5, world.school, world.centre, Outcome.RETURNED_TO_SCHOOL, 3, 0),
        (4, world.school, world.centre, Outcome.PARTIAL_RETURN, 6, 3),
        (3, world.other_school, world.other_centre, Outcome.RETURNED_TO_SCHOOL, 2, 1),
        (2, world.other_school, world.centre, Outcome.FAMILY_DECLINED, 9, None),
        (1, world.school, world.other_centre, Outcome.REFERRED, 4, None),
    ]
    cases = []
    for number, (months, school, centre, outcome, days, after) in enumerate(rows, start=1):
        flagged_at = now - timedelta(days=30 * months)
        case = factories.CaseFactory(
            reference=f"R-2024-{number:05d}",
            pupil=factories.PupilFactory(
                school=school, first_name=f"Élève{number}", last_name="Ancien", external_ref=f"OLD-{number}"
            ),
            status=Status.CLOSED,
            centre=centre,
            outcome=outcome,
            flagged_by=world.school_staff,
            flagged_at=flagged_at,
            status_changed_at=now,
            routed_at=flagged_at + timedelta(days=1),
            accepted_at=flagged_at + timedelta(days=2),
            first_contact_at=flagged_at + timedelta(days=days),
            last_contact_at=flagged_at + timedelta(days=days + 10),
            half_days_missed=10,
            closed_at=now,
        )
        factories.CaseReasonFactory(case=case, reason=Reason.LONG_ABSENCE)
        if after is not None:
            factories.ReturnConfirmationFactory(case=case, half_days_missed=after, recorded_by=world.school_staff)
        cases.append(case)
    return cases


def other_open_cases(world) -> list[Case]:
    """Two more open cases of the CPE's school, so her list is not a single row."""
    now = timezone.now()
    in_progress = factories.CaseFactory(
        reference="R-2024-00101",
        pupil=factories.PupilFactory(school=world.school, first_name="Lina", last_name="Bouchard", level="4e"),
        status=Status.IN_PROGRESS,
        centre=world.centre,
        flagged_by=world.school_staff,
        flagged_at=now - timedelta(days=12),
        status_changed_at=now - timedelta(days=10),
        routed_at=now - timedelta(days=11),
        accepted_at=now - timedelta(days=10),
        first_contact_at=now - timedelta(days=8),
        last_contact_at=now - timedelta(days=2),
    )
    routed_case = factories.CaseFactory(
        reference="R-2024-00102",
        pupil=factories.PupilFactory(school=world.school, first_name="Adam", last_name="Petit", level="6e"),
        status=Status.ROUTED,
        centre=world.centre,
        flagged_by=world.school_staff,
        flagged_at=now - timedelta(days=1),
        status_changed_at=now - timedelta(days=1),
        routed_at=now - timedelta(days=1),
    )
    for case in (in_progress, routed_case):
        factories.CaseReasonFactory(case=case, reason=Reason.INTERMITTENT_ABSENCE)
    return [in_progress, routed_case]


# Page helpers ------------------------------------------------------------------------------------------------------


def nav_link(page, url_name: str):
    return page.locator(f"header nav a[href='{reverse(url_name)}']")


def case_row(page, case: Case):
    """The row of a case in a list, found by the link to its page."""
    return page.locator("tbody tr").filter(has=page.locator(f"a[href='{reverse('outreach:case', args=[case.pk])}']"))


def success_message(page):
    return page.locator(".messages .message-success")


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide on a {PHONE['width']}px screen"


def case_url_pattern(live_server) -> re.Pattern:
    return re.compile(re.escape(live_server.url) + r"/cases/([0-9a-f-]{36})/$")


# Journeys ----------------------------------------------------------------------------------------------------------


def test_cpe_flags_a_pupil_correcting_one_mistake_and_sees_it_in_her_list(page, live_server, login, screenshot, people):
    world = people
    others = other_open_cases(world)
    login(page, "cpe")
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:todo')}")  # her home page

    nav_link(page, "outreach:flag").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:flag')}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # The pupil.
    page.locator("#id_external_ref").fill("EL-2026-031")
    page.locator("#id_first_name").fill("Yanis")
    page.locator("#id_last_name").fill("Haddad")
    page.locator("#id_birth_date").fill("2013-05-02")
    page.get_by_role("radio", name="5e", exact=True).check()
    page.locator("#id_class_name").fill("5e C")
    # Where the family lives: a known neighbourhood no centre covers, so the case goes to triage.
    page.locator("#id_address").fill("4 rue du Faubourg")
    page.locator("#id_postcode").fill("59000")
    page.locator("#id_city").fill("Lille")
    page.locator("#id_neighbourhood").fill("Bois-Blancs")
    # One guardian.
    page.locator("#id_guardians-0-name").fill("Nora Haddad")
    page.locator("#id_guardians-0-relationship").fill("mère")
    page.locator("#id_guardians-0-phone").fill("0611223344")
    page.locator("#id_guardians-0-language").fill("arabe")
    page.locator("#id_guardians-0-interpreter_needed").check()
    # Why: she types the details and the half-days but forgets to tick a reason.
    page.locator("#id_details").fill("Absent depuis le 3 novembre, la famille ne répond plus au téléphone.")
    page.locator("#id_half_days_missed").fill("12")
    page.locator("#id_half_days_missed").press("Enter")  # submits the form, as a keyboard user would

    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_count(1)
    expect(summary.locator("a[href='#id_reasons_0']")).to_be_visible()
    expect(page.locator("#id_reasons_error")).to_be_visible()
    expect(page.locator(".field.has-error")).to_have_count(1)
    # Nothing typed is lost, and nothing was flagged.
    expect(page.locator("#id_first_name")).to_have_value("Yanis")
    expect(page.locator("#id_neighbourhood")).to_have_value("Bois-Blancs")
    expect(page.locator("#id_guardians-0-name")).to_have_value("Nora Haddad")
    expect(page.locator("#id_guardians-0-interpreter_needed")).to_be_checked()
    expect(page.locator("#id_half_days_missed")).to_have_value("12")
    assert not Case.objects.filter(pupil__external_ref="EL-2026-031").exists()
    screenshot(page, "flag-form")

    # The correction: the summary's link takes her to the first reason, she ticks it with the space bar,
    # then ticks a second one with the mouse.
    summary.locator("a[href='#id_reasons_0']").click()
    expect(page.locator("#id_reasons_0")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(f"input[name=reasons][value={Reason.UNJUSTIFIED_ABSENCE}]")).to_be_checked()
    page.locator(f"input[name=reasons][value={Reason.FAMILY_UNREACHABLE}]").check()
    page.locator("input[name=urgency][value=high]").check()
    page.locator(f"form[action='{reverse('outreach:flag')}'] .actions button[type=submit]").click()

    expect(page).to_have_url(case_url_pattern(live_server))
    case = Case.objects.get(pupil__external_ref="EL-2026-031", pupil__school=world.school)
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert case.status == Status.FLAGGED and case.centre is None
    assert case.flagged_by == world.school_staff
    assert case.urgency == "high" and case.half_days_missed == 12
    assert set(case.reasons.values_list("reason", flat=True)) == {Reason.UNJUSTIFIED_ABSENCE, Reason.FAMILY_UNREACHABLE}
    assert (case.pupil.first_name, case.pupil.last_name, case.pupil.neighbourhood) == ("Yanis", "Haddad", "Bois-Blancs")
    assert str(case.pupil.birth_date) == "2013-05-02"
    guardian = case.pupil.guardians.get()
    assert (guardian.name, guardian.language, guardian.interpreter_needed) == ("Nora Haddad", "arabe", True)
    expect(success_message(page)).to_contain_text(case.reference)
    expect(page.locator("h1")).to_contain_text(case.reference)
    expect(page.locator("h1 .badge-flagged")).to_be_visible()

    # Her list: the new case, on top, with its status, next to the cases she flagged before.
    nav_link(page, "outreach:case_list").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(case.reference)
    row = case_row(page, case)
    expect(row).to_contain_text("Yanis Haddad")
    expect(row.locator(".badge-flagged")).to_be_visible()
    for other in others:
        expect(case_row(page, other).locator(f".badge-{other.status}")).to_be_visible()
    screenshot(page, "school-cases")


def test_coordinator_routes_from_triage_and_sees_it_on_the_dashboard(page, live_server, login, screenshot, people):
    world = people
    closed = history(world)
    case = flagged(world)
    login(page, "coord")
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:todo')}")  # her home page
    expect(page.locator("#todo-triage").locator("xpath=..")).to_contain_text(case.reference)
    nav_link(page, "outreach:triage").click()

    row = case_row(page, case)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(case.pupil.pseudonym_key)
    expect(row).not_to_contain_text("Haddad")  # pseudonymised for the coordination
    centre_select = page.locator(f"#route-centre-{case.pk}")
    expect(centre_select).to_have_value("")  # no centre covers Bois-Blancs: nothing is suggested
    screenshot(page, "triage")
    centre_select.select_option(label=world.centre.name)
    page.locator(f"#route-note-{case.pk}").fill("Bois-Blancs : Centre A est le plus proche.")
    row.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:triage')}")
    expect(success_message(page)).to_contain_text(world.centre.name)
    expect(case_row(page, case)).to_have_count(0)
    case.refresh_from_db()
    assert case.status == Status.ROUTED and case.centre == world.centre and case.routed_at is not None
    event = case.events.get(kind=EventKind.ROUTED)
    assert event.actor == world.coordinator and event.note == "Bois-Blancs : Centre A est le plus proche."

    # The dashboard counts it: open, no longer awaiting triage, flagged this month.
    nav_link(page, "outreach:dashboard").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:dashboard')}")
    kpis = page.locator("ul.kpis > li")
    expect(kpis.filter(has=page.locator(f"a[href='{reverse('outreach:case_list')}']")).locator(".kpi")).to_have_text(
        "1"
    )
    expect(kpis.filter(has=page.locator(f"a[href='{reverse('outreach:triage')}']")).locator(".kpi")).to_have_text("0")
    # Closed this school year: the one key figure that is not a link.
    expect(kpis.filter(has_not=page.locator("a")).locator(".kpi")).to_have_text(str(len(closed)))
    flags_chart = page.locator("#chart-flags-caption").locator("xpath=..")
    expect(flags_chart.locator("svg rect")).not_to_have_count(0)
    screenshot(page, "dashboard")
    flags_chart.locator("summary").click()  # the figures under the chart
    this_month = flags_chart.locator("tbody tr").last
    expect(this_month).to_be_visible()
    expect(this_month.locator("td").first).to_have_text("1")

    # Reports: the closed cases by centre.
    nav_link(page, "outreach:reports").click()
    centre_a = page.locator("tbody tr").filter(has=page.locator("th", has_text=world.centre.name))
    expect(centre_a.locator("td").first).to_have_text(str(sum(1 for c in closed if c.centre == world.centre)))
    expect(page.locator("tfoot td").first).to_have_text(str(len(closed)))
    screenshot(page, "reports")

    # The access log keeps her routing, found by the case's reference.
    nav_link(page, "outreach:access_log").click()
    page.locator("#id_case").fill(case.reference)
    page.locator("#id_case").press("Enter")
    entries = page.locator("tbody tr")
    expect(entries.first).to_be_visible()
    # Its own entries, and the lists that showed it (triage, "À faire").
    logged = AccessLog.objects.filter(Q(case=case) | Q(cases_shown__case=case)).distinct()
    expect(entries).to_have_count(logged.count())
    expect(entries.filter(has_text="coord").filter(has_text=case.reference)).not_to_have_count(0)
    assert logged.filter(user=world.coordinator, action=AccessAction.WRITE, what=EventKind.ROUTED).exists()
    screenshot(page, "access-log")


def test_centre_manager_accepts_the_routed_case_from_his_todo_page(page, live_server, login, people, accessible):
    world = people
    case = routed(world)
    login(page, "manager")
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:todo')}")
    accessible(page)

    waiting = page.locator("#todo-to_accept").locator("xpath=..").locator("li.task").filter(has_text=case.reference)
    expect(waiting).to_have_count(1)
    waiting.locator(f"form[action='{reverse('outreach:case_step', args=[case.pk, 'accept'])}'] button").click()

    expect(success_message(page)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:todo')}")  # back to what is left to do
    expect(page.locator("#todo-to_accept").locator("xpath=..").locator("li.task")).to_have_count(0)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.accepted_at is not None
    assert case.events.filter(kind=EventKind.ACCEPTED, actor=world.manager).count() == 1


@pytest.fixture
def phone_page(browser, browser_context_args):
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True})
    yield context.new_page()
    context.close()


def test_animator_logs_a_home_visit_on_a_phone_with_a_connection_given(
    phone_page, live_server, login, screenshot, people
):
    world, page = people, phone_page
    case = accepted(world)
    login(page, "anim")
    assert page.viewport_size == PHONE
    no_horizontal_scroll(page)
    page.goto(f"{live_server.url}{reverse('outreach:case_list')}")

    case_row(page, case).locator("a").tap()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}")
    no_horizontal_scroll(page)

    form = page.locator("#step-log_contact form")
    expect(form.locator(f"input[name='log_contact-kind'][value={ContactKind.HOME_VISIT}]")).to_be_checked()
    expect(form.locator("#id_log_contact-occurred_at")).not_to_have_value("")  # now, filled in for her
    form.locator(f"input[name='log_contact-result'][value={ContactResult.REACHED_FAMILY}]").tap()
    form.locator("details.more > summary").tap()  # duration, support, notes and next step are folded
    form.locator("#id_log_contact-duration_minutes").fill("40")
    form.locator(f"input[name='log_contact-supports'][value={SupportKind.INTERNET_ACCESS}]").tap()
    form.locator("#id_log_contact-support_detail").fill(CONNECTION_DETAIL)
    form.locator("#id_log_contact-notes").fill(VISIT_NOTES)
    form.locator("#id_log_contact-next_step").fill("Appeler le collège lundi")
    form.locator("#id_log_contact-duration_minutes").evaluate("field => field.scrollIntoView()")
    screenshot(page, "visit-phone")
    form.locator("button[type=submit]").tap()

    expect(success_message(page)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}#main")
    screenshot(page, "case-phone")
    contact = case.contacts.get()
    assert (contact.kind, contact.result, contact.author) == (
        ContactKind.HOME_VISIT,
        ContactResult.REACHED_FAMILY,
        world.animator,
    )
    assert contact.duration_minutes == 40 and contact.notes == VISIT_NOTES
    assert timezone.now() - contact.occurred_at < timedelta(minutes=10)
    support = contact.supports.get()
    assert (support.kind, support.detail, support.case_id) == (SupportKind.INTERNET_ACCESS, CONNECTION_DETAIL, case.pk)
    page.locator("section[aria-labelledby=contacts-title]").locator("xpath=..").locator("summary").tap()
    visit = page.locator("section[aria-labelledby=contacts-title] tbody tr")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text(CONNECTION_DETAIL)
    expect(visit).to_contain_text(VISIT_NOTES)  # the centre reads its notes
    no_horizontal_scroll(page)


def test_cpe_sees_the_visit_on_the_timeline_and_confirms_the_return(page, live_server, login, screenshot, people):
    world = people
    case = visited(world)
    login(page, "cpe")
    nav_link(page, "outreach:case_list").click()
    case_row(page, case).locator("a").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}")

    # flagged, routed, accepted, contact logged: the last one by the animator.
    timeline = page.locator("ol.timeline li")
    expect(timeline).to_have_count(4)
    expect(timeline.last).to_contain_text("Karim Benali")
    visit = page.locator("section[aria-labelledby=contacts-title] tbody tr")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text(CONNECTION_DETAIL)
    expect(page.locator("main")).not_to_contain_text(VISIT_NOTES)  # the school never reads the centre's notes

    form = page.locator("#step-confirm_return form")
    form.locator("input[name='confirm_return-attendance'][value=full]").check()
    form.locator("#id_confirm_return-half_days_missed").fill("1")
    expect(form.locator("#id_confirm_return-on")).to_have_value(timezone.localdate().isoformat())
    form.locator("button[type=submit]").click()

    expect(success_message(page)).to_be_visible()
    expect(timeline).to_have_count(5)
    expect(timeline.last).to_contain_text("Claire Morel")
    confirmation = ReturnConfirmation.objects.get(case=case)
    assert (confirmation.attendance, confirmation.half_days_missed, confirmation.recorded_by) == (
        "full",
        1,
        world.school_staff,
    )
    assert confirmation.on == timezone.localdate()
    assert case.events.filter(kind=EventKind.RETURN_CONFIRMED, actor=world.school_staff).exists()
    # The case's facts end with the attendance she gave: today's date (French short format), 1 half-day.
    attendance = page.locator("section[aria-labelledby=case-title] dl.facts dd").last
    expect(attendance).to_contain_text(f"({timezone.localdate().strftime('%d/%m/%Y')}, 1 ")


def test_csv_upload_reports_the_one_bad_row(page, live_server, login, screenshot, people):
    world = people
    header = "external_ref;first_name;last_name;birth_date;level;class_name;neighbourhood;reasons;half_days_missed"
    rows = [
        "EL-2026-101;Sami;Bensaïd;2012-09-14;4e;4e A;Wazemmes;long_absence;14",
        "EL-2026-102;Jade;Lefebvre;31/02/2013;5e;5e B;Wazemmes;absences perlées;6",  # no 31 February
        "EL-2026-103;Noah;Dupont;03/01/2014;6e;6e D;Moulins;Décrochage|famille injoignable;9",
    ]
    login(page, "cpe")
    nav_link(page, "outreach:flag_upload").click()
    page.locator("#id_file").set_input_files(
        files=[{"name": "signalements.csv", "mimeType": "text/csv", "buffer": "\n".join([header, *rows]).encode()}]
    )
    page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()

    report = page.locator("section[aria-labelledby=report-title]")
    expect(report).to_be_visible()
    expect(report.locator("tr.import-created")).to_have_count(2)
    expect(report.locator("tr.import-existing")).to_have_count(0)
    bad = report.locator("tr.import-error")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("EL-2026-102")
    expect(bad.locator("td").first).to_have_text("3")  # the file's line
    expect(bad.locator(".errorlist code")).to_have_text(["Date de naissance"])  # named as the French template does
    expect(report.locator("[role=status]")).to_contain_text(re.compile(r"\b2\b.*\b0\b.*\b1\b"))

    created = Case.objects.filter(school=world.school).order_by("reference")
    assert [c.pupil.external_ref for c in created] == ["EL-2026-101", "EL-2026-103"]
    assert not Pupil.objects.filter(external_ref="EL-2026-102").exists()
    sami, noah = created
    assert sami.status == Status.ROUTED and sami.centre == world.centre  # Wazemmes: routed automatically
    assert noah.status == Status.ROUTED and noah.centre == world.other_centre
    assert set(noah.reasons.values_list("reason", flat=True)) == {Reason.DISENGAGEMENT, Reason.FAMILY_UNREACHABLE}
    for case in created:
        expect(report.locator(f"a[href='{reverse('outreach:case', args=[case.pk])}']")).to_have_text(case.reference)
    report.scroll_into_view_if_needed()
    screenshot(page, "csv-import")


def test_english_switch_translates_the_page(page, live_server, login, people):
    """The one test that reads wording: French first (locale/fr), English after the switch, and back."""
    login(page, "cpe")
    html, h1 = page.locator("html"), page.locator("main h1")
    log_out = page.locator("header form.logout button[type=submit]")
    language = page.locator("footer form.language")
    nav_link(page, "outreach:case_list").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(h1).to_have_text("Dossiers")
    expect(log_out).to_have_text("Se déconnecter")
    expect(language.locator("label[for=language]")).to_have_text("Langue")

    language.locator("#language").select_option("en")
    language.locator("button[type=submit]").click()

    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:case_list')}")  # back where she was
    expect(h1).to_have_text("Cases")
    expect(log_out).to_have_text("Log out")
    expect(language.locator("label[for=language]")).to_have_text("Language")
    page.locator("details.filters-fold > summary").click()  # folded on a first visit: the list comes first
    expect(page.get_by_label("Search", exact=True)).to_be_visible()

    # The choice sticks for the next page, and she can switch back.
    nav_link(page, "outreach:flag").click()
    expect(html).to_have_attribute("lang", "en")
    expect(h1).to_have_text("Flag a pupil")
    expect(page.locator("label[for=id_first_name]")).to_have_text("First name")
    language.locator("#language").select_option("fr")
    language.locator("button[type=submit]").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:flag')}")
    expect(h1).to_have_text("Signaler un élève")
    expect(page.locator("label[for=id_first_name]")).to_have_text("Prénom")
