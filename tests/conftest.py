import os
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import caches

from tests.api_helpers import build_world

# The instant, Paris time, at which tests marked `clock` run: `make test-dates` sets RADAR_TEST_NOW to each
# instant where calendars go wrong (DST changes, new year, 29 February).
TEST_NOW = datetime.fromisoformat(os.environ.get("RADAR_TEST_NOW", "2026-05-12T10:15")).replace(
    tzinfo=ZoneInfo("Europe/Paris")
)


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """A test whose figures depend on the date runs with the clock stopped at TEST_NOW, so it passes on any day.
    `@pytest.mark.clock(at="2026-05-12T10:15")` pins a test whose data are written at fixed dates to its instant."""
    marker = request.node.get_closest_marker("clock")
    if marker is None:
        yield None
        return
    pinned = marker.kwargs.get("at")
    instant = datetime.fromisoformat(pinned).replace(tzinfo=ZoneInfo("Europe/Paris")) if pinned else TEST_NOW
    with time_machine.travel(instant, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashers cost ~0.2 s per user; tests check permissions, not hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def throttle_history_of_this_test_only():
    """The throttle cache may be a Redis shared by parallel test processes and outlives each test's database:
    each test counts its requests under its own key prefix, as if it were the only client."""
    throttle_cache = caches["throttle"]
    shared_prefix = throttle_cache.key_prefix
    throttle_cache.key_prefix = f"test-{uuid.uuid4().hex}"
    yield throttle_cache
    throttle_cache.key_prefix = shared_prefix


@pytest.fixture(autouse=True)
def dashboard_uncached(settings):
    """Figures computed on every visit, so a test sees what it just wrote; tests of the cache turn it back on."""
    settings.RADAR_DASHBOARD_CACHE_SECONDS = 0


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
