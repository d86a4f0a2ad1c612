"""Mon compte: who the user is, their roles, and the daily digest they may turn off."""

import pytest
from django.urls import reverse

from outreach.account import wants_daily_digest
from outreach.models import AccessLog, NotificationPreference

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "role", "organisation"),
    [
        ("school_staff", "School staff", "Collège A"),
        ("animator", "Animator", "Centre A"),
        ("manager", "Centre manager", "Centre A"),
        ("coordinator", "Coordinator", ""),
    ],
)
def test_the_account_page_shows_the_user_and_their_roles(client, world, settings, who, role, organisation):
    settings.LANGUAGE_CODE = "en"
    user = getattr(world, who)
    client.force_login(user)
    html = client.get(reverse("outreach:account"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert user.username in html
    assert role in html
    assert organisation in html


def test_every_page_links_to_the_account_page(client, world):
    client.force_login(world.nobody)
    html = client.get(reverse("outreach:no_role")).content.decode()
    assert f'href="{reverse("outreach:account")}"' in html


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("outreach:account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_digest_is_on_until_the_user_turns_it_off(client, world):
    user = world.animator
    assert wants_daily_digest(user.pk)
    client.force_login(user)
    response = client.post(reverse("outreach:account"), {})
    assert response.status_code == 302
    assert not wants_daily_digest(user.pk)
    assert AccessLog.objects.filter(user=user, what="daily_digest", detail="off").exists()
    client.post(reverse("outreach:account"), {"daily_digest": "on"})
    assert wants_daily_digest(user.pk)
    assert NotificationPreference.objects.filter(user=user).count() == 1


def test_the_form_shows_the_current_choice(client, world):
    client.force_login(world.manager)
    client.post(reverse("outreach:account"), {})
    html = client.get(reverse("outreach:account")).content.decode()
    assert 'name="daily_digest"' in html and "checked" not in html.split('name="daily_digest"')[1].split(">")[0]
