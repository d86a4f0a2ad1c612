"""The session warning and the kept form, in Chromium: the page's clock (Playwright) and the server's (time-machine)
are moved together, so nobody waits 30 minutes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect


@pytest.fixture
def short_sessions(settings, transactional_db, world):
    settings.RADAR_SESSION_IDLE_MINUTES = 3
    return world


def move_clocks(page, time_machine, seconds: int) -> None:
    time_machine.shift(timedelta(seconds=seconds))
    page.clock.fast_forward(seconds * 1000)


def test_a_warning_offers_to_stay_logged_in_and_a_form_being_typed_comes_back_after_logging_in_again(
    page, live_server, login, short_sessions, time_machine, accessible
):
    time_machine.move_to(timezone.now(), tick=True)
    page.clock.install()
    login(page, "cpe")
    page.goto(f"{live_server.url}/cases/new/")
    dialog = page.locator("#session-warning")
    expect(dialog).to_be_hidden()

    move_clocks(page, time_machine, 61)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("role", "alertdialog")
    expect(page.locator("#session-stay")).to_be_focused()
    accessible(page)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()

    page.locator("#id_first_name").fill("Yanis")
    page.locator("#id_last_name").fill("Haddad")
    move_clocks(page, time_machine, 61)
    expect(dialog).to_be_visible()
    move_clocks(page, time_machine, 125)
    page.wait_for_url("**/login/?reason=idle**")
    expect(page.locator("main p[role=status]")).to_be_visible()

    page.locator("#id_username").fill("cpe")
    page.locator("#id_password").fill("radar-test")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/cases/new/")
    expect(page.locator("#id_first_name")).to_have_value("")
    accessible(page)
    page.locator("[data-draft=restore]").click()
    expect(page.locator("#id_first_name")).to_have_value("Yanis")
    expect(page.locator("#id_last_name")).to_have_value("Haddad")


def test_the_account_security_pages_pass_axe(page, live_server, login, transactional_db, world, settings, accessible):
    settings.RADAR_REQUIRE_MFA = True
    page.goto(f"{live_server.url}/login/?reason=max_age")
    accessible(page)
    page.goto(f"{live_server.url}/password-reset/")
    accessible(page)
    page.locator("#id_email").fill("nobody@example.org")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/password-reset/sent/")
    accessible(page)

    login(page, "cpe")
    page.wait_for_url("**/account/mfa/**")
    expect(page.locator(".qr-code svg")).to_be_visible()
    accessible(page)
    page.locator("#id_otp").fill("12345")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    accessible(page)

    settings.RADAR_REQUIRE_MFA = False
    page.context.clear_cookies()
    login(page, "anim")
    page.goto(f"{live_server.url}/account/password/")
    accessible(page)
    page.context.clear_cookies()
    login(page, "cpe")
    page.goto(f"{live_server.url}/account/integrations/")
    expect(page.locator("#id_name")).to_be_visible()
    accessible(page)
