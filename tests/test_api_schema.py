"""The OpenAPI schema says what the API does, and the API refuses what the schema calls invalid.

.ci/schemathesis checks both against a running server; these tests pin the fixes it led to.
"""

import base64
import json
from datetime import UTC, datetime

from rest_framework.test import APIClient

from outreach import models as om
from tests import factories
from tests.api_helpers import API, assert_error, body_of, client_for, make_case, world_fixtures

api_world, world, fast_passwords = world_fixtures()


def _schema() -> dict:
    return json.loads(APIClient().get("/api/schema/?format=json").content)


def test_every_operation_declares_its_errors_with_the_shared_component(world):
    document = _schema()
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"429", "503"} <= codes, (method, path)
            if path != "/api/v1/auth/token/":
                assert "401" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, (method, path, code)
    case_write = document["paths"]["/api/v1/cases/{id}/accept/"]["post"]
    assert {"409", "412"} <= set(case_write["responses"])
    assert "If-Match" in {parameter["name"] for parameter in case_write["parameters"]}
    assert "204" in document["paths"]["/api/v1/cases/{id}/decline/"]["post"]["responses"]
    page = document["components"]["schemas"]["PaginatedCaseList"]
    assert page["required"] == ["next", "previous", "results"]


def test_ids_are_typed_and_role_dependent_fields_are_optional(world):
    document = _schema()
    case_id = document["paths"]["/api/v1/cases/{case_id}/events/"]["get"]["parameters"][0]
    assert case_id["schema"] == {"type": "string", "format": "uuid"}
    detail = document["paths"]["/api/v1/cases/{id}/"]["get"]["parameters"][0]
    assert detail["schema"]["format"] == "uuid"
    case = document["components"]["schemas"]["Case"]
    assert not {"details", "outcome_note"} & set(case["required"])
    assert set(document["components"]["schemas"]["CasePupil"]["oneOf"][0]) == {"$ref"}
    assert "Pupil" in document["components"]["schemas"]


def test_bad_page_sizes_and_cursors_are_refused(world):
    client = client_for(world.school_staff)
    for value in ("0", "-5", "abc", "1.5", ""):
        assert "page_size" in assert_error(client.get(f"{API}/cases/?page_size={value}"), 400, "invalid")["fields"]
    assert body_of(client.get(f"{API}/schools/?page_size=1000"))["results"] is not None
    assert_error(client.get(f"{API}/cases/?cursor=%C3%A9t%C3%A9"), 404, "not_found")
    # A well-formed cursor whose position is not a date: a 404 like any other bad cursor, not a 500.
    hand_made = base64.b64encode(b"p=not-a-date").decode()
    assert_error(client.get(f"{API}/cases/?cursor={hand_made}"), 404, "not_found")


def test_typed_filters_refuse_empty_and_out_of_range_values(world):
    client = client_for(world.coordinator)
    for query in ("overdue=", "status=", "urgency=", "centre=", "centre=1.5", "centre=0", f"centre={2**70}"):
        assert_error(client.get(f"{API}/cases/?{query}"), 400, "invalid")
    assert client.get(f"{API}/cases/?q=&school=").status_code == 200
    assert_error(client.get(f"{API}/audit/access/?from="), 400, "invalid")
    assert_error(client.get(f"{API}/audit/access/?user={2**70}"), 400, "invalid")
    assert "from" in assert_error(client.get(f"{API}/audit/access/?from=x"), 400, "invalid")["fields"]


def test_reports_refuse_empty_dates_and_unknown_formats(world):
    client = client_for(world.coordinator)
    for query in ("to=", "from=20260101", "from=2026-W01-1"):
        assert_error(client.get(f"{API}/reports/outcomes/?{query}"), 400, "invalid")
    assert "format" in assert_error(client.get(f"{API}/reports/outcomes/?format=xml"), 400, "invalid")["fields"]
    assert "year" in assert_error(client.get(f"{API}/reports/funders/?year="), 400, "invalid")["fields"]


def test_json_bodies_must_have_the_declared_types(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(world.coordinator)
    response = client.post(f"{API}/cases/{case.pk}/reveal/", {"reason": 0}, format="json")
    assert "reason" in assert_error(response, 400, "invalid")["fields"]
    response = client.post(f"{API}/cases/{case.pk}/reveal/", {"reason": "   "}, format="json")
    assert "reason" in assert_error(response, 400, "invalid")["fields"]
    animator = client_for(world.animator)
    response = animator.post(
        f"{API}/cases/{case.pk}/tutoring/", {"on": "2026-01-05", "duration_minutes": "60"}, format="json"
    )
    assert "duration_minutes" in assert_error(response, 400, "invalid")["fields"]
    response = animator.post(
        f"{API}/cases/{case.pk}/tutoring/",
        {"on": "2026-01-05", "duration_minutes": 60, "attended": "yes"},
        format="json",
    )
    assert "attended" in assert_error(response, 400, "invalid")["fields"]
    manager = client_for(world.manager)
    response = manager.post(f"{API}/cases/{case.pk}/assign/", {"animators": [2**70]}, format="json")
    assert "animators.0" in assert_error(response, 400, "invalid")["fields"]


def test_a_contact_dated_before_2000_is_refused(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(world.animator)
    body = {"kind": "home_visit", "occurred_at": "0899-01-04T18:45:16Z", "result": "no_answer"}
    response = client.post(f"{API}/cases/{case.pk}/contacts/", body, format="json")
    assert "occurred_at" in assert_error(response, 400, "invalid")["fields"]
    contact = factories.ContactFactory(case=case, author=world.animator)
    response = client.patch(
        f"{API}/cases/{case.pk}/contacts/{contact.pk}/", {"occurred_at": "1999-12-31T12:00:00Z"}, format="json"
    )
    assert "occurred_at" in assert_error(response, 400, "invalid")["fields"]
    assert om.Contact.objects.get(pk=contact.pk).occurred_at > datetime(2000, 1, 1, tzinfo=UTC)


def test_a_write_to_an_unknown_url_is_a_json_404_not_a_csrf_page(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.school_staff)
    assert_error(client.post(f"{API}/cases/0.5/accept/"), 404, "not_found")
    assert_error(client.patch(f"{API}/cases/{make_case(world).pk}/contacts/abc/", {}), 404, "not_found")


def test_each_collection_of_a_case_documents_its_own_records(world):
    document = _schema()
    for collection, component in (("contacts", "Contact"), ("tutoring", "Tutoring"), ("supports", "CaseSupport")):
        operations = document["paths"][f"/api/v1/cases/{{case_id}}/{collection}/"]
        listed = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert listed == {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}}, collection
        created = operations["post"]["responses"]["201"]["content"]["application/json"]["schema"]
        assert created == {"$ref": f"#/components/schemas/{component}"}, collection
