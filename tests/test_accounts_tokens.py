"""API tokens end with the password, the account or the role that earned them."""

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

import config.settings
from outreach.roles import Role
from outreach.services import role_grant, role_revoke
from tests import factories

API = "/api/v1"
STRONG = "Tournesol-42-bleu"


def token_for(user) -> APIClient:
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_password_change_revokes_the_api_tokens(world):
    client = token_for(world.school_staff)
    assert client.get(f"{API}/me/").status_code == 200
    world.school_staff.set_password(STRONG)
    world.school_staff.save()
    assert client.get(f"{API}/me/").status_code == 401
    assert not AuthToken.objects.filter(user=world.school_staff).exists()


def test_a_deactivation_revokes_the_api_tokens(world):
    client = token_for(world.animator)
    world.animator.is_active = False
    world.animator.save()
    assert not AuthToken.objects.filter(user=world.animator).exists()
    assert client.get(f"{API}/me/").status_code == 401


@pytest.mark.parametrize("holder", ["school_staff", "coordinator"])
def test_a_role_revocation_revokes_the_api_tokens(world, holder):
    user = getattr(world, holder)
    organisation = world.school if holder == "school_staff" else None
    client = token_for(user)
    role = Role.SCHOOL_STAFF if holder == "school_staff" else Role.COORDINATOR
    role_revoke(user=user, role=role, organisation=organisation)
    assert client.get(f"{API}/me/").status_code == 401


def test_other_users_keep_their_tokens(world):
    kept = token_for(world.other_school_staff)
    world.school_staff.set_password(STRONG)
    world.school_staff.save()
    role_revoke(user=world.animator, role=Role.ANIMATOR, organisation=world.centre)
    assert kept.get(f"{API}/me/").status_code == 200


def test_a_role_grant_or_a_profile_edit_keeps_the_tokens(world):
    client = token_for(world.school_staff)
    role_grant(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.other_school)
    world.school_staff.first_name = "Aline"
    world.school_staff.save()
    assert client.get(f"{API}/me/").status_code == 200


@pytest.mark.django_db
def test_a_hash_upgraded_at_login_is_not_a_password_change(settings, client):
    settings.PASSWORD_HASHERS = config.settings.PASSWORD_HASHERS
    user = factories.UserFactory(username="legacy")
    user.password = make_password(STRONG, hasher="pbkdf2_sha256")
    user.save()
    api = token_for(user)
    assert client.post(reverse("login"), {"username": "legacy", "password": STRONG}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert api.get(f"{API}/me/").status_code == 200
