import pytest

from outreach.services import role_grant
from schools.permissions import Role
from tests import factories


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashers cost ~0.2 s per user; tests check permissions, not hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """Two schools, two centres each covering its own neighbourhood, and one user per role and place."""

    class World:
        pass

    w = World()
    w.school = factories.SchoolFactory(name="Collège A")
    w.other_school = factories.SchoolFactory(name="Collège B")
    w.neighbourhood = factories.NeighbourhoodFactory(name="Wazemmes")
    factories.NeighbourhoodPostcodeFactory(neighbourhood=w.neighbourhood, postcode="59000")
    w.other_neighbourhood = factories.NeighbourhoodFactory(name="Moulins")
    w.uncovered_neighbourhood = factories.NeighbourhoodFactory(name="Bois-Blancs")
    w.centre = factories.CentreFactory(name="Centre A", neighbourhoods=[w.neighbourhood])
    w.other_centre = factories.CentreFactory(name="Centre B", neighbourhoods=[w.other_neighbourhood])

    def user(name, role, organisation=None):
        account = factories.UserFactory(username=name)
        role_grant(user=account, role=role, organisation=organisation)
        return account

    w.school_staff = user("cpe", Role.SCHOOL_STAFF, w.school)
    w.other_school_staff = user("cpe.other", Role.SCHOOL_STAFF, w.other_school)
    w.animator = user("anim", Role.ANIMATOR, w.centre)
    w.other_animator = user("anim.other", Role.ANIMATOR, w.other_centre)
    w.manager = user("manager", Role.CENTRE_MANAGER, w.centre)
    w.other_manager = user("manager.other", Role.CENTRE_MANAGER, w.other_centre)
    w.coordinator = user("coord", Role.COORDINATOR)
    w.nobody = factories.UserFactory(username="nobody")
    return w


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
