"""Failed logins: an account is locked for one address, an address for everyone only after many more failures."""

import threading
from datetime import timedelta

import axes.utils
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from outreach.lockout import client_ip
from tests.api_helpers import PASSWORD

API = "/api/v1"
OFFICE = "192.0.2.10"
STRANGER = "198.51.100.7"


@pytest.fixture(autouse=True)
def clean_axes(db):
    axes.utils.reset()
    cache.clear()
    yield
    axes.utils.reset()
    cache.clear()


def web_login(username, password, address=OFFICE, **headers):
    return Client(REMOTE_ADDR=address, **headers).post(reverse("login"), {"username": username, "password": password})


def fail(username, times, address=OFFICE):
    for _ in range(times):
        assert web_login(username, "wrong", address).status_code in (200, 429)


def test_ten_failures_lock_the_account_from_that_address_and_say_when_to_retry(world, settings):
    fail("cpe", settings.AXES_FAILURE_LIMIT)
    response = web_login("cpe", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    expected = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    assert expected.strftime("%H:") in page
    assert "_auth_user_id" not in response.client.session


def test_a_stranger_cannot_lock_an_account_out_from_another_address(world, settings):
    fail("cpe", settings.AXES_FAILURE_LIMIT * 3, address=STRANGER)
    assert web_login("cpe", PASSWORD, address=OFFICE).status_code == 302


def test_a_colleague_behind_the_same_address_is_not_locked_by_another_account(world, settings):
    fail("cpe", settings.AXES_FAILURE_LIMIT)
    assert web_login("anim", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(world, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    fail("cpe", settings.AXES_FAILURE_LIMIT)
    assert web_login("cpe", PASSWORD).status_code == 429
    time_machine.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    assert web_login("cpe", PASSWORD).status_code == 302


def test_an_address_spraying_many_accounts_is_locked_for_every_account(world, settings):
    settings.RADAR_ADDRESS_FAILURE_LIMIT = 12
    for number in range(12):
        assert web_login(f"ghost{number}", "wrong", STRANGER).status_code == 200
    assert web_login("cpe", PASSWORD, address=STRANGER).status_code == 429
    assert web_login("cpe", PASSWORD, address=OFFICE).status_code == 302


def test_an_admin_unlocks_an_account(world, settings, admin_client):
    fail("cpe", settings.AXES_FAILURE_LIMIT)
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_logins", "_selected_action": [world.school_staff.pk]},
    )
    assert response.status_code == 302
    assert web_login("cpe", PASSWORD).status_code == 302


def test_the_api_says_when_to_retry(world, settings):
    client = APIClient(REMOTE_ADDR=OFFICE)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(f"{API}/auth/token/", {"username": "cpe", "password": "wrong"}, format="json")
    response = client.post(f"{API}/auth/token/", {"username": "cpe", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "locked"
    retry = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    assert retry.strftime("%H:") in response.json()["message"]


class FakeRequest:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (STRANGER, "203.0.113.5", STRANGER),  # not a trusted proxy: its header is ignored
        ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.2", "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client cannot prepend an address
        ("10.0.0.2", "203.0.113.5, 10.0.0.3", "203.0.113.5"),  # two trusted proxies in a row
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
        ("10.0.0.2", None, "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_through_trusted_proxies_only(settings, remote, forwarded, expected):
    settings.RADAR_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(FakeRequest(remote, forwarded)) == expected


def test_a_forged_forwarded_header_does_not_dodge_the_lock(world, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        web_login("cpe", "wrong", STRANGER, HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert web_login("cpe", PASSWORD, STRANGER, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_still_lock(settings):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent connections need PostgreSQL")
    get_user_model().objects.create_user("target", password=PASSWORD)
    barrier = threading.Barrier(20)
    statuses = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(web_login("target", "wrong").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 20
    assert web_login("target", PASSWORD).status_code == 429
