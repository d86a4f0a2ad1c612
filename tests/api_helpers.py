"""Shared helpers for the API tests (tests/test_api_*.py).

Each module declares `api_world, world, fast_passwords = world_fixtures()`: the world of
tests/conftest.py is then built once per module (its eight password hashes alone cost seconds with the
production hasher) instead of once per test, which keeps a few hundred matrix cells fast.
"""

import itertools
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from outreach import models as om
from outreach.roles import Role
from outreach.services import role_grant
from schools.models import Pupil
from tests import factories

PASSWORD = "radar-test"
API = "/api/v1"

# Factory references live in a year no real flag uses, so they never collide with the gap-free
# counter (R-<current year>-00001…) that flagging through the API starts in every test.
_reference_numbers = itertools.count(1)
_pupil_numbers = itertools.count(1)

# The actors of SPEC §4, by the username the `world` fixture gives them.
ACTOR_ATTRIBUTES = {
    "cpe": "school_staff",
    "cpe.other": "other_school_staff",
    "anim": "animator",
    "anim.other": "other_animator",
    "manager": "manager",
    "manager.other": "other_manager",
    "coord": "coordinator",
    "nobody": "nobody",
}


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_world():
    """The layout of tests/conftest.py::world: two schools, two centres, one user per role and place."""

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


def world_fixtures():
    """Fixtures for a test module: `world` built once per module, each test rolled back to it.

    The module's world lives in an outer transaction that is rolled back after the module; every test
    runs in a savepoint inside it (pytest-django's `db`), so tests stay isolated from each other and
    leave nothing behind for other modules. Use: `api_world, world, fast_passwords = world_fixtures()`.
    Tests must not change the world's Python objects (re-read from the database instead).
    """

    @pytest.fixture(scope="module", name="api_world")
    def api_world(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            outer = transaction.atomic()
            outer.__enter__()
            try:
                built = build_world()
            except BaseException:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                raise
        try:
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)

    @pytest.fixture(name="world")
    def world(api_world, db):
        return api_world

    @pytest.fixture(autouse=True, name="fast_passwords")
    def fast_passwords(settings):
        settings.PASSWORD_HASHERS = FAST_HASHERS

    return api_world, world, fast_passwords


def user_of(world, actor: str):
    """The `world` user behind an actor name; None for "anonymous"."""
    return None if actor == "anonymous" else getattr(world, ACTOR_ATTRIBUTES[actor])


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body_of(response):
    """The decoded JSON body; fails the test when the response is not JSON."""
    content_type = response.get("Content-Type", "")
    assert content_type.startswith("application/json"), (response.status_code, content_type, response.content[:200])
    return json.loads(response.content)


def raw_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def assert_error(response, status: int, code: str | None = None) -> dict:
    """SPEC §5: an error is JSON with a stable code and a human message, never HTML."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = body_of(response)
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def next_reference() -> str:
    return f"R-1999-{next(_reference_numbers):05d}"


def make_pupil(school, **fields) -> Pupil:
    fields.setdefault("external_ref", f"API{next(_pupil_numbers):06d}")
    fields.setdefault("neighbourhood", "Wazemmes")
    return factories.PupilFactory(school=school, **fields)


def make_case(world, status: str = om.Status.ROUTED, *, school=None, centre=None, pupil=None, **fields) -> om.Case:
    """A case written straight to the database in `status`, flagged by world.school, routed to world.centre."""
    school = school or world.school
    now = timezone.now()
    pupil = pupil or make_pupil(school)
    values = {
        "pupil": pupil,
        "school": school,
        "reference": next_reference(),
        "status": status,
        "flagged_by": world.school_staff,
        "flagged_at": now,
        "status_changed_at": now,
    }
    if status != om.Status.FLAGGED:
        values["centre"] = centre or world.centre
        values["routed_at"] = now
    if status in (om.Status.IN_PROGRESS, om.Status.CLOSED):
        values["accepted_at"] = now
    if status == om.Status.CLOSED:
        values["outcome"] = om.Outcome.RETURNED_TO_SCHOOL
        values["closed_at"] = now
    values.update(fields)
    case = om.Case.objects.create(**values)
    om.CaseReason.objects.create(case=case, reason=om.Reason.LONG_ABSENCE)
    return case


def bulk_cases(world, count: int, status: str = om.Status.ROUTED, *, school=None, centre=None, **fields):
    """`count` cases in a few queries (bulk_create), for volume tests."""
    school = school or world.school
    now = timezone.now()
    pupils = Pupil.objects.bulk_create(
        Pupil(
            school=school,
            external_ref=f"BULK{next(_pupil_numbers):06d}",
            first_name="Prénom",
            last_name="Nom",
            level="5e",
            neighbourhood="Wazemmes",
        )
        for _ in range(count)
    )
    if not all(pupil.pk for pupil in pupils):  # backends that do not return ids from bulk inserts
        pupils = list(Pupil.objects.filter(external_ref__in=[p.external_ref for p in pupils], school=school))
    cases = []
    for index, pupil in enumerate(pupils):
        at = now - timedelta(seconds=index)
        values = {
            "pupil": pupil,
            "school": school,
            "reference": next_reference(),
            "status": status,
            "flagged_by": world.school_staff,
            "flagged_at": at,
            "status_changed_at": at,
        }
        if status != om.Status.FLAGGED:
            values["centre"] = centre or world.centre
            values["routed_at"] = at
        if status in (om.Status.IN_PROGRESS, om.Status.CLOSED):
            values["accepted_at"] = at
        if status == om.Status.CLOSED:
            values["outcome"] = om.Outcome.RETURNED_TO_SCHOOL
            values["closed_at"] = at
        values.update(fields)
        cases.append(om.Case(**values))
    cases = om.Case.objects.bulk_create(cases)
    om.CaseReason.objects.bulk_create(om.CaseReason(case=case, reason=om.Reason.LONG_ABSENCE) for case in cases)
    return cases


def flag_body(world, pupil_data, *, external_ref: str = "EL-NEW", school: bool | str = True, **overrides) -> dict:
    """A valid POST /cases/ body: for world.school (True), for the UAI given (str), or with no school (False)."""
    body = {
        "pupil": pupil_data(external_ref=external_ref),
        "reasons": ["long_absence"],
        "details": "Absent depuis trois semaines.",
        "urgency": "normal",
        "half_days_missed": 12,
        "last_seen_on": timezone.localdate().isoformat(),
    }
    if school:
        body["school"] = world.school.uai if school is True else school
    body.update(overrides)
    return body


def case_state(case) -> tuple:
    """What a refused request must leave untouched."""
    case = om.Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.centre_id,
        case.outcome,
        case.updated_at,
        om.CaseEvent.objects.filter(case=case).count(),
        om.Contact.objects.filter(case=case).count(),
        om.TutoringSession.objects.filter(case=case).count(),
    )
