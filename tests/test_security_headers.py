"""Headers and the public surface: Permissions-Policy everywhere, no-store on every API answer, security.txt, and
the API schema and docs closed to anonymous callers in production."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/login/", "/api/v1/me/", "/api/nowhere/", "/healthz"])
def test_every_response_has_a_permissions_policy_denying_devices(client, url):
    policy = client.get(url)["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/me/", "/api/v1/schools/", "/api/v1/audit/access/"])
def test_every_authenticated_api_answer_is_no_store(world, url):
    client = APIClient()
    client.force_authenticate(world.coordinator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_api_errors_are_no_store_too(client):
    assert client.get("/api/v1/cases/")["Cache-Control"] == "no-store"


def test_security_txt_names_the_contact_and_an_expiry_under_a_year(client, settings):
    settings.RADAR_SECURITY_CONTACT = "mailto:securite@radar.example.org"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:securite@radar.example.org"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert datetime.now(UTC) < expires < datetime.now(UTC) + timedelta(days=365)


def test_security_txt_is_404_until_a_contact_is_set(client, settings):
    settings.RADAR_SECURITY_CONTACT = ""
    assert client.get("/.well-known/security.txt").status_code == 404


def production(code: str, **environment: str) -> str:
    """Runs `code` with Radar's production settings (DEBUG off) in a fresh interpreter, and returns its output."""
    # The browser tests' conftest allows Django's sync calls in Playwright's loop: a test setting, never production's.
    inherited = {name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-key-that-is-long-and-random-enough-0123456789",
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite://:memory:",
        "RADAR_BASE_URL": "https://radar.example.org",
        **environment,
    }
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


ANONYMOUS_DOCS = (
    "from django.core.management import call_command; call_command('createcachetable'); "
    "from django.test import Client; c = Client(); "
    "print(c.get('/api/schema/', secure=True).status_code, c.get('/api/docs/', secure=True).status_code)"
)


def test_api_schema_and_docs_require_login_in_production():
    assert production(ANONYMOUS_DOCS) == "401 401"


def test_api_schema_and_docs_can_be_opened_by_a_setting():
    # The docs page itself needs collectstatic's manifest in production, which this test does not build.
    assert production(ANONYMOUS_DOCS, RADAR_API_DOCS_REQUIRE_LOGIN="0").startswith("200 ")


def test_signed_in_users_read_the_schema(world):
    client = APIClient()
    client.force_authenticate(world.school_staff)
    assert client.get("/api/schema/").status_code == 200


def test_production_settings_pass_the_deploy_check_with_no_warning():
    """`check` raises SystemCheckError, and `production` fails, on any warning (the drf-spectacular ones too)."""
    output = production(
        "from django.core.management import call_command; call_command('check', deploy=True, fail_level='WARNING')"
    )
    assert "no issues" in output
