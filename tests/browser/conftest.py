"""Browser journeys: pytest-playwright driving Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures are
# still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("RADAR_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    # The site's Content-Security-Policy (script-src 'self') would refuse axe-core, which the tests inject into each
    # page: the policy itself is checked by the server-side tests.
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris", "bypass_csp": True}


def axe_violations(page) -> list[str]:
    """WCAG 2.1 A and AA violations axe-core finds on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        WCAG_AA,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary']}"
        for violation in violations
        for node in violation["nodes"]
    ]


@pytest.fixture
def accessible():
    """`accessible(page)` fails the test if axe-core finds a WCAG 2.1 A/AA violation on the page."""

    def check(page) -> None:
        violations = axe_violations(page)
        assert not violations, f"{page.url}:\n" + "\n".join(violations)

    return check


@pytest.fixture
def login(live_server):
    def do_login(page, username: str, password: str = "radar-test") -> None:  # noqa: S107 (test accounts)
        page.goto(f"{live_server.url}/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    return do_login


@pytest.fixture
def screenshot():
    """Saves what the screen shows (not the whole page: small files) for the README tour, when RADAR_SCREENSHOTS=1
    (make screenshots)."""

    def take(page, name: str) -> None:
        if os.environ.get("RADAR_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

    return take
