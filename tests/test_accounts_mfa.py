"""The second factor: forced enrolment, a code at each login, recovery codes, the admin's reset, the API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from outreach import models as om
from outreach.mfa import ENROL, VERIFY, mfa_required, pending_at_login, recovery_codes_issue
from tests import factories
from tests.api_helpers import PASSWORD

API = "/api/v1"
CASES = "/cases/"


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    recovery_codes_issue(user=user)
    return device


def login(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.fixture
def mfa_on(settings):
    settings.RADAR_REQUIRE_MFA = True


@pytest.mark.parametrize(
    ("holder", "required"),
    [
        ("school_staff", True),
        ("animator", True),
        ("manager", True),
        ("coordinator", True),  # may reveal an identity
        ("nobody", False),
    ],
)
def test_mfa_is_required_for_every_account_that_can_read_identity(world, mfa_on, holder, required):
    assert mfa_required(getattr(world, holder)) is required


def test_an_administrator_must_enrol(mfa_on, db):
    assert mfa_required(factories.UserFactory(is_staff=True))


def test_with_the_setting_off_nobody_is_forced(world, settings):
    settings.RADAR_REQUIRE_MFA = False
    assert pending_at_login(world.school_staff) is None


def test_enrolment_is_forced_at_the_next_login(world, mfa_on, client):
    login(client, world.school_staff)
    response = client.get(CASES)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("outreach:mfa_setup"))
    page = client.get(reverse("outreach:mfa_setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body, "the QR code is drawn here"
    assert "http" not in body.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", ""), (
        "no outside service"
    )
    assert "no-store" in page["Cache-Control"]
    device = TOTPDevice.objects.get(user=world.school_staff, confirmed=False)
    wrong = client.post(reverse("outreach:mfa_setup"), {"otp": "000000" if code_of(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    done = client.post(reverse("outreach:mfa_setup"), {"otp": code_of(device), "next": CASES})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert client.get(CASES).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_an_account_with_a_device_gives_a_code_at_login(world, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    device = enrolled(world.animator)
    login(client, world.animator)
    response = client.get(CASES)
    assert response["Location"].startswith(reverse("outreach:mfa_verify"))
    assert client.get(f"{API}/me/").status_code == 403, "nor the API through the session"
    wrong = client.post(reverse("outreach:mfa_verify"), {"otp": "12345"})
    assert wrong.status_code == 400
    assert client.get(CASES).status_code == 302
    time_machine.shift(timedelta(seconds=5))  # django-otp slows down guessing after a wrong code
    ok = client.post(reverse("outreach:mfa_verify"), {"otp": code_of(device), "next": CASES})
    assert ok.status_code == 302
    assert ok["Location"] == CASES
    assert client.get(CASES).status_code == 200


def test_a_recovery_code_logs_in_once_and_is_logged(world, client):
    enrolled(world.animator)
    code = StaticToken.objects.filter(device__user=world.animator).first().token
    login(client, world.animator)
    assert client.post(reverse("outreach:mfa_verify"), {"otp": code}).status_code == 302
    assert client.get(CASES).status_code == 200
    assert om.AccessLog.objects.filter(user=world.animator, what="mfa_recovery_code_used").exists()
    client.logout()
    login(client, world.animator)
    assert client.post(reverse("outreach:mfa_verify"), {"otp": code}).status_code == 400, "single use"


def test_the_next_url_stays_on_this_site(world, client):
    device = enrolled(world.animator)
    login(client, world.animator)
    response = client.post(reverse("outreach:mfa_verify"), {"otp": code_of(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_an_admin_resets_a_lost_phone_and_it_is_logged(world, admin_client, mfa_on, client):
    enrolled(world.animator)
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [world.animator.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.animator).exists()
    assert not StaticToken.objects.filter(device__user=world.animator).exists()
    assert om.AccessLog.objects.filter(what="mfa_reset", detail="anim").exists()
    assert pending_at_login(world.animator) == ENROL


def test_an_enrolled_user_makes_new_recovery_codes(world, client):
    device = enrolled(world.animator)
    old = set(StaticToken.objects.filter(device__user=world.animator).values_list("token", flat=True))
    login(client, world.animator)
    client.post(reverse("outreach:mfa_verify"), {"otp": code_of(device)})
    assert "1" in client.get(reverse("outreach:mfa_setup")).content.decode()
    response = client.post(reverse("outreach:mfa_setup"), {"codes": "1"})
    assert set(response.context["codes"]).isdisjoint(old)
    assert pending_at_login(world.animator) == VERIFY


def test_the_api_asks_an_account_with_a_device_for_its_code(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    device = enrolled(world.school_staff)
    client = APIClient()
    url = f"{API}/auth/token/"
    missing = client.post(url, {"username": "cpe", "password": PASSWORD}, format="json")
    assert missing.status_code == 400
    assert "otp" in missing.json()["fields"]
    wrong = client.post(url, {"username": "cpe", "password": PASSWORD, "otp": "000001"}, format="json")
    assert wrong.status_code == 400
    assert "otp" in wrong.json()["fields"]
    time_machine.shift(timedelta(seconds=5))
    ok = client.post(url, {"username": "cpe", "password": PASSWORD, "otp": code_of(device)}, format="json")
    assert ok.status_code == 200
    assert "token" in ok.json()


def test_the_api_refuses_a_token_to_a_required_account_not_enrolled(world, mfa_on):
    response = APIClient().post(f"{API}/auth/token/", {"username": "cpe", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrolment_required"


def test_the_api_gives_a_token_without_a_code_to_an_account_without_a_device(world):
    response = APIClient().post(f"{API}/auth/token/", {"username": "cpe", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_the_otp_field_is_documented(client, db):
    schema = client.get("/api/schema/?format=json").json()
    request = schema["components"]["schemas"]["TokenRequestRequest"]
    assert "otp" in request["properties"]
