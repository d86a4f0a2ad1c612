"""Web sessions end after 30 minutes without a request and 12 hours after the login, and say so."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

CASES = "/cases/"


@pytest.fixture
def logged_in(client, world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(world.school_staff)
    return client


def test_a_session_idle_for_30_minutes_ends_and_sends_back_to_the_page(logged_in, time_machine):
    assert logged_in.get(CASES).status_code == 200
    time_machine.shift(timedelta(minutes=30))
    response = logged_in.get(CASES)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?reason=idle&next=/cases/"
    assert "_auth_user_id" not in logged_in.session


def test_activity_keeps_the_session_alive(logged_in, time_machine):
    for _ in range(4):
        time_machine.shift(timedelta(minutes=20))
        assert logged_in.get(CASES).status_code == 200


def test_a_session_ends_12_hours_after_the_login_whatever_the_activity(logged_in, time_machine):
    for _ in range(35):
        time_machine.shift(timedelta(minutes=20))
        assert logged_in.get(CASES).status_code == 200
    time_machine.shift(timedelta(minutes=20))
    response = logged_in.get(CASES)
    assert response.status_code == 302
    assert "reason=max_age" in response["Location"]


def test_the_limits_are_settings(logged_in, time_machine, settings):
    settings.RADAR_SESSION_IDLE_MINUTES = 5
    time_machine.shift(timedelta(minutes=5))
    assert logged_in.get(CASES).status_code == 302


def test_asking_how_long_is_left_is_not_activity(logged_in, time_machine):
    time_machine.shift(timedelta(minutes=20))
    status = logged_in.get(reverse("outreach:session_status"))
    assert status.json() == {"seconds_left": 600}
    time_machine.shift(timedelta(minutes=10))
    assert logged_in.get(CASES).status_code == 302


def test_staying_logged_in_restarts_the_idle_clock(logged_in, time_machine):
    time_machine.shift(timedelta(minutes=28))
    response = logged_in.post(reverse("outreach:session_status"))
    assert response.json() == {"seconds_left": 30 * 60}
    time_machine.shift(timedelta(minutes=28))
    assert logged_in.get(CASES).status_code == 200


def test_the_login_page_says_why_the_session_ended(client, db):
    idle = client.get(reverse("login") + "?reason=idle").content.decode()
    assert "30 minutes without activity" in idle
    assert "12 hours" in client.get(reverse("login") + "?reason=max_age").content.decode()
    assert "without activity" not in client.get(reverse("login") + "?reason=<script>").content.decode()


def test_a_logged_in_page_carries_the_warning_dialog_and_its_script(logged_in):
    page = logged_in.get(CASES).content.decode()
    assert 'role="alertdialog"' in page
    assert "js/session.js" in page
    assert 'data-session-seconds="1800"' in page


def test_the_login_page_carries_no_session_timer(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "session.js" not in page
    assert "alertdialog" not in page


def test_an_ended_session_is_refused_by_the_api(logged_in, time_machine):
    assert logged_in.get("/api/v1/me/").status_code == 200
    time_machine.shift(timedelta(minutes=31))
    assert logged_in.get("/api/v1/me/").status_code in (401, 403)
