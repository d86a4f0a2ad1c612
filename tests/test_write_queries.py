"""A write costs a fixed number of queries, and the caller's grants are read once per request whichever door.

Before the core was shared, a web contact POST read the caller's permissions three times (the gate, the service's
own check, the redirect): 21 queries, 9 of them on permission tables. The scope is now loaded once per request
(outreach.access.request_scope) and handed to the gate and the service.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import models as om
from tests.api_helpers import API, client_for, make_case

pytestmark = pytest.mark.django_db

# The two queries of access_scope: global and organisation grants in one, case shares.
SCOPE_QUERIES = 2


def _permission_reads(queries) -> int:
    return sum(1 for query in queries.captured_queries if "auth_permission" in query["sql"])


def _contact_body() -> dict:
    return {"kind": "home_visit", "occurred_at": timezone.now().isoformat(), "result": "reached_family"}


def test_api_contact_post_loads_the_scope_once(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(world.animator)
    client.post(f"{API}/cases/{case.pk}/contacts/", _contact_body(), format="json")  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{API}/cases/{case.pk}/contacts/", _contact_body(), format="json")
    assert response.status_code == 201
    assert _permission_reads(queries) == SCOPE_QUERIES
    # throttle 0 (not in the database), scope 2, gate 1, lock 1, contact 1, case 1, event 1, log 1, savepoints 2,
    # the contact read back with its supports 2
    assert len(queries) == 12


def test_web_contact_post_loads_the_scope_once(client, world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client.force_login(world.animator)
    data = {
        "log_contact-kind": "phone_call",
        "log_contact-result": "reached_family",
        "log_contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/cases/{case.pk}/do/log_contact/", data)
    assert response.status_code == 302
    assert _permission_reads(queries) == SCOPE_QUERIES
    # session 1, user 1, scope 2, gate 1, lock 1, contact 1, case 1, event 1, log 1, savepoints 2, still visible 1
    assert len(queries) == 13
    assert case.contacts.count() == 1
