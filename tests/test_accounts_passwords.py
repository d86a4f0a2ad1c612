"""Passwords: Argon2id, upgraded at login, and the CNIL 2022-100 rules."""

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

import config.settings
from tests import factories

STRONG = "Tournesol-42-bleu"


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = config.settings.PASSWORD_HASHERS


def test_new_passwords_are_hashed_with_argon2id(production_hashers):
    assert make_password(STRONG).startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_a_pbkdf2_hash_is_upgraded_to_argon2id_at_login(production_hashers, client):
    user = factories.UserFactory(username="legacy")
    user.password = make_password(STRONG, hasher="pbkdf2_sha256")
    user.save()
    response = client.post(reverse("login"), {"username": "legacy", "password": STRONG})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(STRONG)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Tournesol-42-bleu", True),  # 17 characters, four kinds
        ("Abcdefg1!xyz", True),  # exactly 12, four kinds
        ("Abcdefg1xyz!", True),
        ("Tournesol42bleu", True),  # 15 characters, no special, three kinds
        ("Abcdefgh12345", False),  # 13 characters without a special one
        ("Abcdef1!xyz", False),  # 11 characters
        ("tournesol-42-bleu", False),  # no capital
        ("TOURNESOL-42-BLEU", False),  # no small letter
        ("Tournesol-bleu-vert", False),  # no digit
        ("Megaparol12345", False),  # a common password, however well mixed
    ],
)
def test_passwords_follow_cnil_2022_100(password, accepted, db):
    if accepted:
        validate_password(password)
        return
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_weak_password_is_told_what_is_expected(db):
    with pytest.raises(ValidationError) as refused:
        validate_password("court")
    assert any("at least 12 characters" in message for message in refused.value.messages)
