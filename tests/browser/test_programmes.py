"""The centre's programmes in Chromium: a manager creates a group and adds three cases, an animator takes the register
on a 390 by 844 phone, a device is lent and returned. Locators use ids, names, values and URLs, never wording."""

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from outreach import devices, programmes
from outreach.access import access_scope
from outreach.models import DeviceLoan, DeviceState, GroupMode, GroupSession, Presence, TutoringGroup, TutoringSession
from tests import factories
from tests.browser.test_journeys import PHONE, no_horizontal_scroll, success_message


@pytest.fixture
def people(transactional_db, world):
    return world


@pytest.fixture
def phone_page(browser, browser_context_args):
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True})
    yield context.new_page()
    context.close()


def cases_of_the_centre(world, count=3):
    names = [("Inès", "Martin"), ("Yanis", "Haddad"), ("Lina", "Benali"), ("Noah", "Lefebvre")]
    return [
        factories.CaseFactory(
            in_progress=True,
            centre=world.centre,
            pupil=factories.PupilFactory(school=world.school, first_name=first, last_name=last),
        )
        for first, last in names[:count]
    ]


def test_manager_creates_a_group_and_adds_three_cases(page, live_server, login, people, accessible):
    world = people
    cases = cases_of_the_centre(world)
    login(page, "manager")
    page.goto(f"{live_server.url}{reverse('outreach:groups')}")
    accessible(page)
    page.locator("#id_name").fill("CLAS 5e-4e mardi")
    page.locator("#id_mode").select_option(GroupMode.AT_CENTRE)
    page.locator("#id_weekday").select_option("1")
    page.locator("#id_starts_at").fill("17:00")
    page.locator("#id_duration_minutes").fill("90")
    page.locator(f"input[name=animators][value='{world.animator.pk}']").check()
    page.locator("main form button[type=submit]").click()

    group = TutoringGroup.objects.get()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:group', args=[group.pk])}")
    for case in cases:
        page.locator("#id_choice").select_option(str(case.pk))
        page.locator(f"form[action='{reverse('outreach:group_join', args=[group.pk])}'] button").click()
        expect(success_message(page)).to_be_visible()
    members = page.locator("ul.members li")
    expect(members).to_have_count(3)
    expect(members.first).to_contain_text("Benali")  # by last name
    accessible(page)
    assert sorted(programmes.current_members(group).values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert list(group.animators.all()) == [world.animator]


def test_animator_takes_the_register_on_a_phone(phone_page, live_server, login, people, accessible, screenshot):
    world, page = people, phone_page
    scope = access_scope(world.manager)
    group = programmes.group_create(
        actor=world.manager,
        scope=scope,
        centre=world.centre,
        name="CLAS 5e-4e mardi",
        mode=GroupMode.AT_CENTRE,
        weekday=timezone.localdate().weekday(),
        starts_at=time(17),
        duration_minutes=90,
        animator_ids=[world.animator.pk],
    )
    cases = cases_of_the_centre(world, 4)
    for case in cases:
        programmes.group_join(actor=world.manager, scope=scope, group=group, case=case)
    session = GroupSession.objects.create(group=group, on=timezone.localdate(), starts_at=time(17), duration_minutes=90)

    login(page, "anim")
    assert page.viewport_size == PHONE
    # Today's session is on her "À faire" page, one tap from the register.
    page.locator(f"a[href='{reverse('outreach:register', args=[session.pk])}']").tap()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:register', args=[session.pk])}")
    no_horizontal_scroll(page)
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)  # no default
    accessible(page)
    marks = [Presence.PRESENT, Presence.PRESENT, Presence.ABSENT]
    for case, presence in zip(cases[:3], marks, strict=True):
        page.locator(f"input[name='presence_{case.pk}'][value={presence}]").tap()
    page.locator(f"#id_note_{cases[3].pk}").fill("Rendez-vous médical")
    page.locator("form.register button[type=submit]").tap()
    # The fourth pupil was not marked: the page says so next to her line, nothing is saved.
    expect(page.locator(f"#id_presence_{cases[3].pk}_error")).to_be_visible()
    assert not TutoringSession.objects.exists()
    accessible(page)
    # Again from a fresh page: all four marked, one note.
    page.goto(f"{live_server.url}{reverse('outreach:register', args=[session.pk])}")
    for case, presence in zip(cases, [*marks, Presence.EXCUSED], strict=True):
        page.locator(f"input[name='presence_{case.pk}'][value={presence}]").tap()
    page.locator(f"#id_note_{cases[3].pk}").fill("Rendez-vous médical")
    no_horizontal_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "register-phone")
    page.locator("form.register button[type=submit]").tap()
    expect(success_message(page)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}{reverse('outreach:group', args=[group.pk])}")
    no_horizontal_scroll(page)
    lines = dict(TutoringSession.objects.values_list("case_id", "presence"))
    assert lines == {case.pk: presence for case, presence in zip(cases, [*marks, Presence.EXCUSED], strict=True)}
    assert TutoringSession.objects.get(case=cases[3]).notes == "Rendez-vous médical"


def test_a_device_is_lent_and_returned(page, live_server, login, people, accessible):
    world = people
    [case] = cases_of_the_centre(world, 1)
    device = devices.device_add(
        actor=world.manager,
        scope=access_scope(world.manager),
        centre=world.centre,
        kind="tablet",
        reference="EC-TAB-0001",
        partner="Emmaüs Connect",
    )
    login(page, "anim")
    page.goto(f"{live_server.url}{reverse('outreach:devices')}")
    accessible(page)
    lend = page.locator("section[aria-labelledby=lend-title] form")
    lend.locator("#id_device").select_option(str(device.pk))
    lend.locator("#id_case").select_option(str(case.pk))
    lend.locator("#id_condition_out").fill("Neuve, chargeur et housse")
    lend.locator("button[type=submit]").click()
    expect(success_message(page)).to_be_visible()
    loan = DeviceLoan.objects.get()
    assert (loan.case, loan.reference_out, loan.condition_out) == (case, "EC-TAB-0001", "Neuve, chargeur et housse")

    # The return, from the case page.
    page.goto(f"{live_server.url}{reverse('outreach:case', args=[case.pk])}")
    page.locator("details#groups > summary").click()  # folded below the doorstep form on her case page
    end = page.locator(f"form[action='{reverse('outreach:loan_end', args=[loan.pk])}']")
    end.locator("xpath=..").locator("summary").click()
    end.locator("input[name='end-end'][value=returned]").check()
    end.locator(f"#id_loan{loan.pk}_end-condition_back").fill("Écran rayé")
    end.locator("button[type=submit]").click()
    expect(success_message(page)).to_be_visible()
    accessible(page)
    loan.refresh_from_db()
    device.refresh_from_db()
    assert (loan.end, loan.condition_back, device.state) == ("returned", "Écran rayé", DeviceState.AVAILABLE)
