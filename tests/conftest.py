import pytest

from tests.api_helpers import build_world


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashers cost ~0.2 s per user; tests check permissions, not hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """Two schools, two centres each covering its own neighbourhood, and one user per role and place."""
    return build_world()


@pytest.fixture
def pupil_data():
    def make(external_ref="EL-1", neighbourhood="Wazemmes", postcode="59000", **overrides):
        data = {
            "external_ref": external_ref,
            "first_name": "Inès",
            "last_name": "Martin",
            "birth_date": None,
            "level": "5e",
            "class_name": "5e B",
            "address": "12 rue des Tilleuls",
            "postcode": postcode,
            "city": "Lille",
            "neighbourhood": neighbourhood,
            "guardians": [{"name": "Samia Martin", "relationship": "mère", "phone": "0600000000"}],
        }
        data.update(overrides)
        return data

    return make
