"""axe-core (vendored under tests/browser/vendor) on every page each role opens, in Chromium, with data on it:
no WCAG 2.1 A or AA violation. Failed forms are checked too, since errors change what a page shows."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outreach import devices, programmes, services
from outreach.access import access_scope
from outreach.models import ContactKind, ContactResult, GroupMode, GroupSession, Outcome, Reason
from tests.browser.conftest import axe_violations


def _story(world):
    """A case in each state the pages show, written through the services."""
    now = timezone.now()

    def flag(ref: str, neighbourhood: str = "Wazemmes"):
        pupil = {
            "external_ref": ref,
            "first_name": "Inès",
            "last_name": "Martin",
            "level": "5e",
            "address": "12 rue des Tilleuls",
            "postcode": "59000",
            "city": "Lille",
            "neighbourhood": neighbourhood,
            "guardians": [{"name": "Samia Martin", "phone": "0611223344", "language": "arabe"}],
        }
        case, _created = services.case_flag(
            actor=world.school_staff, school=world.school, pupil=pupil, reasons=[Reason.LONG_ABSENCE], now=now
        )
        return case

    waiting = flag("A-1", neighbourhood="Bois-Blancs")
    routed = flag("A-2")
    working = services.case_accept(actor=world.manager, case=flag("A-3"), now=now - timedelta(days=9))
    services.contact_log(
        actor=world.animator,
        case=working,
        kind=ContactKind.HOME_VISIT,
        occurred_at=now - timedelta(days=1),
        result=ContactResult.ABSENT_NOTICE_LEFT,
        next_step="Repasser mardi",
        next_step_due_on=timezone.localdate(),
    )
    closed = services.case_accept(actor=world.manager, case=flag("A-4"), now=now - timedelta(days=20))
    services.case_close(actor=world.animator, case=closed, outcome=Outcome.RETURNED_TO_SCHOOL, note="Revenu")
    scope = access_scope(world.manager)
    group = programmes.group_create(
        actor=world.manager,
        scope=scope,
        centre=world.centre,
        name="CLAS 5e-4e mardi",
        mode=GroupMode.AT_CENTRE,
        weekday=1,
        starts_at=time(17),
        duration_minutes=90,
        animator_ids=[world.animator.pk],
    )
    programmes.group_join(actor=world.manager, scope=scope, group=group, case=working)
    session = GroupSession.objects.create(group=group, on=timezone.localdate(), starts_at=time(17), duration_minutes=90)
    device = devices.device_add(actor=world.manager, scope=scope, centre=world.centre, kind="tablet", reference="T-1")
    devices.device_lend(
        actor=world.manager,
        scope=scope,
        device=device,
        case=working,
        lent_on=timezone.localdate() - timedelta(days=60),
        due_on=timezone.localdate() - timedelta(days=1),
        condition_out="Bon état",
    )
    return {
        "waiting": waiting,
        "routed": routed,
        "working": working,
        "closed": closed,
        "group": group.pk,
        "session": session.pk,
    }


def _pages(world, cases) -> dict[str, list[str]]:
    working, closed = cases["working"].pk, cases["closed"].pk
    common = [
        *("/todo/", "/cases/", "/cases/?status=closed", "/help/", "/privacy/", "/accessibility/", "/legal/"),
        "/account/",
    ]
    return {
        "cpe": [
            *common,
            f"/cases/{working}/",
            f"/cases/{closed}/",
            f"/cases/{working}/print/",
            reverse("outreach:family_notice_print", args=[working]),
            reverse("outreach:family_notice_print", args=[working]) + "?language=ar",
            reverse("outreach:flag"),
            reverse("outreach:flag_upload"),
            reverse("outreach:flag_edit", args=[working]),
            reverse("outreach:contact_details", args=[working]),
            "/reports/",
        ],
        "anim": [
            *common,
            f"/cases/{working}/",
            f"/cases/{cases['routed'].pk}/",
            "/reports/",
            "/groups/",
            f"/groups/{cases['group']}/",
            f"/sessions/{cases['session']}/",
            "/devices/",
        ],
        "manager": [
            *common,
            f"/cases/{cases['routed'].pk}/",
            f"/cases/{working}/",
            "/handover/",
            "/reports/funders/",
            "/groups/",
            "/devices/",
        ],
        "coord": [
            *common,
            f"/cases/{cases['waiting'].pk}/",
            "/triage/",
            "/dashboard/",
            "/reports/",
            "/reports/funders/",
            "/access-log/",
            "/alerts/",
            "/family-notice/",
            reverse("outreach:family_notice_edit", args=["prs"]),
        ],
    }


def test_no_page_has_an_accessibility_violation(page, live_server, login, people):
    cases = _story(people)
    found = []
    for username, paths in _pages(people, cases).items():
        page.context.clear_cookies()
        login(page, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (username, path, response.status)
            found += [f"{username} {path}: {line}" for line in axe_violations(page)]
    page.context.clear_cookies()
    for path in ["/login/", "/help/", "/privacy/"]:
        page.goto(f"{live_server.url}{path}")
        found += [f"anonymous {path}: {line}" for line in axe_violations(page)]
    assert not found, "\n".join(found)


def test_failed_forms_stay_accessible(page, live_server, login, people, accessible):
    cases = _story(people)
    login(page, "anim")
    page.goto(f"{live_server.url}/cases/{cases['working'].pk}/")
    tutoring = page.locator("#step-log_tutoring form")
    tutoring.locator("#id_log_tutoring-duration_minutes").fill("900")
    tutoring.locator("button[type=submit]").click()
    accessible(page)
    page.context.clear_cookies()
    login(page, "cpe")
    page.goto(f"{live_server.url}{reverse('outreach:flag')}")
    page.locator("main form button.primary[type=submit]").click()
    accessible(page)


@pytest.fixture
def people(transactional_db, world):
    return world
