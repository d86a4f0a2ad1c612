"""Changing a password, and getting a new one by email without telling who has an account."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from knox.models import AuthToken

from tests.api_helpers import PASSWORD

NEW = "Tournesol-42-bleu"


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_user_changes_their_password_and_their_tokens_are_revoked(client, world):
    AuthToken.objects.create(world.school_staff)
    client.force_login(world.school_staff)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    world.school_staff.refresh_from_db()
    assert world.school_staff.check_password(NEW)
    assert not AuthToken.objects.filter(user=world.school_staff).exists()
    assert client.get(reverse("outreach:case_list")).status_code == 200, "this session goes on"


def test_a_weak_new_password_is_refused_with_the_rule(client, world):
    client.force_login(world.school_staff)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    world.school_staff.refresh_from_db()
    assert world.school_staff.check_password(PASSWORD)


def test_the_password_change_page_needs_a_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_forgotten_password_is_reset_through_a_link_sent_by_email(client, world):
    AuthToken.objects.create(world.school_staff)
    response = client.post(reverse("password_reset"), {"email": world.school_staff.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.school_staff.email]
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    world.school_staff.refresh_from_db()
    assert world.school_staff.check_password(NEW)
    assert not AuthToken.objects.filter(user=world.school_staff).exists()
    assert client.get(link, follow=True).context["validlink"] is False, "the link works once"


def test_a_reset_answers_the_same_whether_the_address_is_known_or_not(client, world):
    known = client.post(reverse("password_reset"), {"email": world.school_staff.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody-here@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


def test_the_login_page_links_to_the_forgotten_password_page(client, db):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
