"""Bad input is refused with a 4xx, never a 500: malformed Authorization headers, JSON nested too deep, NUL
characters (PostgreSQL cannot store them) in a body, a path, a query string or a CSV cell, and paths holding an
encoded newline under /api/. On both databases."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH
from outreach.models import Case

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def lenient_client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "header",
    ["Token \xff\xff", "Token é", "Token \x7fabc", "Token\tabc", "\xff", "Token", "Token a b", "Bearer x"],
    ids=["latin-1 bytes", "accented", "DEL", "tab", "one byte", "no token", "two tokens", "other scheme"],
)
def test_a_malformed_authorization_header_is_401_json(lenient_client, header):
    response = lenient_client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Token"


def nested(depth: int) -> str:
    """A JSON array nested `depth` deep, written out (json.dumps itself gives up at about 1,000)."""
    return "[" * depth + '"x"' + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 3000])
def test_json_nested_deeper_than_the_limit_is_400_invalid_input(lenient_client, depth):
    body = '{"username": ' + nested(depth - 1) + ', "password": "x"}'
    response = lenient_client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_json_at_the_depth_limit_is_read_and_judged_by_its_fields(lenient_client):
    body = '{"username": ' + nested(MAX_JSON_DEPTH - 1) + ', "password": "x"}'
    response = lenient_client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] != "invalid_input"


def flag(external_ref: str) -> dict:
    return {
        "pupil": {"external_ref": external_ref, "first_name": "Inès", "last_name": "Martin", "level": "5e"},
        "reasons": ["long_absence"],
    }


def test_a_nul_character_in_a_json_string_is_a_field_error_and_nothing_is_written(world):
    client = APIClient()
    client.force_authenticate(world.school_staff)
    response = client.post("/api/v1/cases/", flag("EL-\x00"), format="json")
    assert response.status_code == 400
    assert "pupil.external_ref" in response.json()["fields"]
    assert not Case.objects.exists()


def test_a_nul_character_in_one_bulk_item_blocks_none_of_the_others(world):
    client = APIClient()
    client.force_authenticate(world.school_staff)
    response = client.post("/api/v1/cases/bulk/", [flag("EL-\x00"), flag("EL-2")], format="json")
    assert response.status_code == 200
    first, second = response.json()
    assert "error" in first and "error" not in second
    assert list(Case.objects.values_list("pupil__external_ref", flat=True)) == ["EL-2"]


@pytest.mark.parametrize("url", ["/api/v1/cases/?q=a%00b", "/api/v1/cases/%00/", "/api/v1/cases/?%00=1"])
def test_a_nul_character_in_the_path_or_query_is_400(world, url):
    client = Client(raise_request_exception=False)
    client.force_login(world.school_staff)
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("path", ["/api/foo%0A", "/api/v1/cases/%0A", "/api/v1/%0A%0Acases/", "/api/%0D%0A"])
def test_every_answer_under_api_is_json_even_for_an_encoded_newline(lenient_client, settings, debug, path):
    settings.DEBUG = debug
    response = lenient_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_nul_character_in_a_csv_cell_is_an_error_on_that_row_and_the_others_are_flagged(world):
    client = Client()
    client.force_login(world.school_staff)
    lines = [
        "external_ref,first_name,last_name,level,postcode,neighbourhood,reasons",
        "EL-1,Inès,Martin,5e,59000,Wazemmes,long_absence",
        "EL-2,Lé\x00o,Petit,4e,59000,Wazemmes,long_absence",
    ]
    upload = SimpleUploadedFile("flags.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")
    response = client.post(reverse("outreach:flag_upload"), {"file": upload}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    rows = dict(re.findall(r"<tr class=\"import-\w+\">\s*<td[^>]*>(\d+)</td>(.*?)</tr>", html, re.S))
    assert "<code>first_name</code>: This cell holds a NUL character" in rows["3"]
    flagged = Case.objects.get()
    assert flagged.pupil.external_ref == "EL-1" and flagged.reference in rows["2"]
