"""The REST API contract of SPEC §5: flagging, bulk, filters, pagination, ETags, errors, CSV, tokens."""

import csv
import io
import json
from datetime import timedelta

import axes.utils
import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from api import views as api_views
from outreach import models as om
from outreach.exports import csv_safe
from outreach.roles import Role
from outreach.services import role_grant
from tests import factories
from tests.api_helpers import (
    API,
    PASSWORD,
    assert_error,
    body_of,
    bulk_cases,
    case_state,
    client_for,
    flag_body,
    make_case,
    make_pupil,
    raw_text,
    world_fixtures,
)

api_world, world, fast_passwords = world_fixtures()


def _ids(response) -> set[str]:
    return {item["id"] for item in body_of(response)["results"]}


# Flagging ----------------------------------------------------------------------------------------


def test_flag_creates_then_returns_the_open_case_with_the_same_shape(world, pupil_data):
    client = client_for(world.school_staff)
    first = client.post(f"{API}/cases/", flag_body(world, pupil_data), format="json")
    assert first.status_code == 201
    again_body = flag_body(world, pupil_data, reasons=["behaviour"], urgency="high")
    again = client.post(f"{API}/cases/", again_body, format="json")
    assert again.status_code == 200
    created, existing = body_of(first), body_of(again)
    assert existing["id"] == created["id"]
    assert set(existing) == set(created)
    assert set(existing["pupil"]) == set(created["pupil"])
    assert existing["reasons"] == ["long_absence"], "the open case is returned as it is"
    assert om.Case.objects.filter(pupil__external_ref="EL-NEW").count() == 1
    assert first["ETag"] and again["ETag"] == first["ETag"]


def test_flag_updates_the_pupil_record_by_school_and_external_ref(world, pupil_data):
    client = client_for(world.school_staff)
    body = flag_body(world, pupil_data)
    assert client.post(f"{API}/cases/", body, format="json").status_code == 201
    body["pupil"]["class_name"] = "5e C"
    assert client.post(f"{API}/cases/", body, format="json").status_code == 200
    pupil = om.Case.objects.get(pupil__external_ref="EL-NEW").pupil
    assert pupil.class_name == "5e C"


def test_school_is_optional_for_a_single_school_user(world, pupil_data):
    response = client_for(world.school_staff).post(
        f"{API}/cases/", flag_body(world, pupil_data, school=False), format="json"
    )
    assert response.status_code == 201
    assert body_of(response)["school"]["uai"] == world.school.uai


def test_school_is_required_for_a_two_school_user(world, pupil_data):
    role_grant(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.other_school)
    client = client_for(world.school_staff)
    response = client.post(f"{API}/cases/", flag_body(world, pupil_data, school=False), format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"school"}
    assert not om.Case.objects.exists()
    response = client.post(
        f"{API}/cases/", flag_body(world, pupil_data, school=world.other_school.uai.lower()), format="json"
    )
    assert response.status_code == 201
    assert body_of(response)["school"]["uai"] == world.other_school.uai


def test_unknown_school_is_a_field_error(world, pupil_data):
    response = client_for(world.school_staff).post(
        f"{API}/cases/", flag_body(world, pupil_data, school="0000000A"), format="json"
    )
    assert set(assert_error(response, 400, "invalid")["fields"]) == {"school"}


# Bulk --------------------------------------------------------------------------------------------


def test_bulk_reports_per_item_and_bad_items_block_nothing(world, pupil_data):
    existing = make_case(world, om.Status.ROUTED)
    existing_item = flag_body(world, pupil_data, external_ref=existing.pupil.external_ref)
    invalid = flag_body(world, pupil_data, external_ref="EL-BAD", reasons=["not_a_reason"])
    invalid["pupil"]["first_name"] = ""
    forbidden = flag_body(world, pupil_data, external_ref="EL-FORBIDDEN", school=world.other_school.uai)
    items = [
        flag_body(world, pupil_data, external_ref="EL-A"),
        invalid,
        existing_item,
        forbidden,
        "not an object",
        flag_body(world, pupil_data, external_ref="EL-B"),
    ]
    response = client_for(world.school_staff).post(f"{API}/cases/bulk/", items, format="json")
    assert response.status_code == 200
    results = body_of(response)
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["result"] for r in results] == ["created", "error", "existing", "error", "error", "created"]
    assert results[2]["case"]["id"] == str(existing.pk)
    assert set(results[0]["case"]) == set(results[2]["case"])
    bad = results[1]["error"]
    assert bad["code"] == "invalid" and bad["message"]
    assert "pupil.first_name" in bad["fields"]
    assert any(key.split(".")[0] == "reasons" for key in bad["fields"]), bad["fields"]
    assert all(isinstance(messages, list) and messages for messages in bad["fields"].values())
    assert results[3]["error"]["code"] == "forbidden"
    assert results[4]["error"]["code"] == "invalid"
    assert "case" not in results[1] and "error" not in results[0]
    refs = set(om.Case.objects.values_list("pupil__external_ref", flat=True))
    assert refs == {existing.pupil.external_ref, "EL-A", "EL-B"}


def test_bulk_over_500_items_is_refused_whole(world, pupil_data):
    items = [flag_body(world, pupil_data, external_ref=f"EL-{n}") for n in range(501)]
    response = client_for(world.school_staff).post(f"{API}/cases/bulk/", items, format="json")
    assert_error(response, 400, "invalid")
    assert not om.Case.objects.exists()


@pytest.mark.parametrize("payload", [{"pupil": {}}, [], "flags", 42], ids=["object", "empty", "string", "number"])
def test_bulk_needs_a_list_of_flags(world, payload):
    response = client_for(world.school_staff).post(f"{API}/cases/bulk/", payload, format="json")
    assert_error(response, 400)


# Filters -----------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(world):
    """Cases a coordinator sees, one per interesting value of each filter."""
    now = timezone.now()
    cases = {
        "routed": make_case(world, om.Status.ROUTED),
        "in_progress": make_case(world, om.Status.IN_PROGRESS, urgency=om.Urgency.HIGH),
        "closed": make_case(world, om.Status.CLOSED),
        "other_school": make_case(
            world, om.Status.ROUTED, school=world.other_school, centre=world.other_centre, reference="R-1998-00001"
        ),
        "flagged_old": make_case(
            world, om.Status.FLAGGED, flagged_at=now - timedelta(days=10), status_changed_at=now - timedelta(days=10)
        ),
    }
    om.CaseReason.objects.create(case=cases["in_progress"], reason=om.Reason.BEHAVIOUR)
    cases["in_progress"].animators.add(world.animator)
    om.Case.objects.filter(pk=cases["flagged_old"].pk).update(updated_at=now - timedelta(days=10))
    return cases


def _list(user, query=""):
    response = client_for(user).get(f"{API}/cases/?page_size=200&{query}")
    assert response.status_code == 200, response.content[:300]
    return _ids(response)


def _names(cases, *names):
    return {str(cases[name].pk) for name in names}


@pytest.mark.clock
def test_filters_each_narrow_the_list(world, catalogue):
    c, coord = catalogue, world.coordinator
    today = timezone.localdate()
    assert _list(coord) == _names(c, *c)
    assert _list(coord, "status=closed") == _names(c, "closed")
    assert _list(coord, "status=routed&status=flagged") == _names(c, "routed", "other_school", "flagged_old")
    assert _list(coord, f"school={world.other_school.uai}") == _names(c, "other_school")
    assert _list(coord, f"centre={world.other_centre.pk}") == _names(c, "other_school")
    assert _list(coord, "reason=behaviour") == _names(c, "in_progress")
    assert _list(coord, "urgency=high") == _names(c, "in_progress")
    assert _list(coord, "overdue=true") == _names(c, "flagged_old")
    assert _list(coord, "overdue=false") == _names(c, "routed", "in_progress", "closed", "other_school")
    assert _list(world.animator, "assigned_to=me") == _names(c, "in_progress")
    assert _list(world.manager, "assigned_to=me") == set()
    assert _list(coord, f"flagged_before={today - timedelta(days=5)}") == _names(c, "flagged_old")
    assert _list(coord, f"flagged_after={today - timedelta(days=5)}") == _names(c, *c) - _names(c, "flagged_old")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert _list(coord, f"updated_since={since.replace('+', '%2B')}") == _names(c, *c) - _names(c, "flagged_old")
    assert _list(coord, f"q={c['routed'].reference}") == _names(c, "routed")
    assert _list(coord, f"q={c['routed'].reference.lower()}") == _names(c, "routed")


def test_filters_never_widen_what_a_user_sees(world, catalogue):
    c = catalogue
    assert _list(world.school_staff, f"school={world.other_school.uai}") == set()
    assert _list(world.school_staff, "q=R-1998-00001") == set()
    assert _list(world.animator, f"centre={world.other_centre.pk}") == set()
    assert _list(world.other_animator) == _names(c, "other_school")


def test_q_by_pupil_name_needs_identity(world):
    case = make_case(world, pupil=make_pupil(world.school, first_name="Philomène", last_name="Vandercruyssen"))
    assert _list(world.school_staff, "q=vandercruyssen") == {str(case.pk)}
    assert _list(world.animator, "q=Philomène") == {str(case.pk)}
    assert _list(world.school_staff, f"q={case.pupil.external_ref}") == {str(case.pk)}
    coord = world.coordinator
    assert _list(coord, "q=vandercruyssen") == set()
    assert _list(coord, f"q={case.pupil.external_ref}") == set()
    assert _list(coord, f"q={case.reference}") == {str(case.pk)}
    response = client_for(coord).post(f"{API}/cases/{case.pk}/reveal/", {"reason": "Signalement"}, format="json")
    assert response.status_code == 200
    assert _list(coord, "q=vandercruyssen") == {str(case.pk)}


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "urgency=extreme",
        "reason=bogus",
        "assigned_to=someone",
        "flagged_after=yesterday",
        "updated_since=2026-13-45",
        "centre=abc",
        "overdue=perhaps",
    ],
)
def test_an_invalid_filter_value_is_a_400_with_the_field(world, query):
    response = client_for(world.coordinator).get(f"{API}/cases/?{query}")
    body = assert_error(response, 400, "invalid")
    assert query.split("=")[0] in body["fields"]


def test_ordering(world, catalogue):
    response = client_for(world.coordinator).get(f"{API}/cases/?ordering=flagged_at")
    first = body_of(response)["results"][0]["id"]
    assert first == str(catalogue["flagged_old"].pk)
    response = client_for(world.coordinator).get(f"{API}/cases/")
    assert body_of(response)["results"][-1]["id"] == str(catalogue["flagged_old"].pk)


# Pagination --------------------------------------------------------------------------------------


def test_cursor_pagination_walks_every_case_once(world):
    cases = bulk_cases(world, 7)
    client = client_for(world.school_staff)
    url, seen, pages = f"{API}/cases/?page_size=1", [], 0
    while url:
        body = body_of(client.get(url))
        assert set(body) == {"next", "previous", "results"}
        assert len(body["results"]) == 1
        assert (body["previous"] is None) == (pages == 0)
        seen += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 7
    assert seen == [str(case.pk) for case in cases]  # newest first, no duplicate, none missed


def test_page_size_is_capped_at_200(world):
    bulk_cases(world, 201)
    body = body_of(client_for(world.school_staff).get(f"{API}/cases/?page_size=1000"))
    assert len(body["results"]) == 200
    assert body["next"] is not None
    body = body_of(client_for(world.school_staff).get(f"{API}/cases/"))
    assert len(body["results"]) == 50  # the default page


# ETag and If-Match -------------------------------------------------------------------------------


def test_detail_carries_an_etag_that_changes_with_the_case(world):
    case = make_case(world)
    client = client_for(world.school_staff)
    etag = client.get(f"{API}/cases/{case.pk}/")["ETag"]
    assert etag and etag.startswith('"') and etag.endswith('"')
    assert client.get(f"{API}/cases/{case.pk}/")["ETag"] == etag
    response = client.patch(f"{API}/cases/{case.pk}/", {"urgency": "high"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert client.get(f"{API}/cases/{case.pk}/")["ETag"] == response["ETag"]


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(world):
    case = make_case(world)
    client = client_for(world.school_staff)
    stale = client.get(f"{API}/cases/{case.pk}/")["ETag"]
    assert client.patch(f"{API}/cases/{case.pk}/", {"half_days_missed": 3}, format="json").status_code == 200
    before = case_state(case)
    response = client.patch(f"{API}/cases/{case.pk}/", {"urgency": "high"}, format="json", HTTP_IF_MATCH=stale)
    assert_error(response, 412, "stale")
    assert case_state(case) == before
    assert om.Case.objects.get(pk=case.pk).urgency == om.Urgency.NORMAL
    current = client.get(f"{API}/cases/{case.pk}/")["ETag"]
    response = client.patch(f"{API}/cases/{case.pk}/", {"urgency": "high"}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 200
    assert om.Case.objects.get(pk=case.pk).urgency == om.Urgency.HIGH


def test_case_actions_honour_if_match(world):
    case = make_case(world, om.Status.ROUTED)
    client = client_for(world.manager)
    stale = client.get(f"{API}/cases/{case.pk}/")["ETag"]
    client_for(world.school_staff).patch(f"{API}/cases/{case.pk}/", {"urgency": "high"}, format="json")
    before = case_state(case)
    response = client.post(f"{API}/cases/{case.pk}/accept/", {}, format="json", HTTP_IF_MATCH=stale)
    assert_error(response, 412, "stale")
    assert case_state(case) == before
    current = client.get(f"{API}/cases/{case.pk}/")["ETag"]
    response = client.post(f"{API}/cases/{case.pk}/accept/", {}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 200
    assert body_of(response)["status"] == om.Status.IN_PROGRESS
    wildcard = client.post(
        f"{API}/cases/{case.pk}/assign/", {"animators": [world.animator.pk]}, format="json", HTTP_IF_MATCH="*"
    )
    assert wildcard.status_code == 200


# Errors: JSON with a code and a message, never HTML ----------------------------------------------


def test_400_invalid_input_has_field_errors(world):
    response = client_for(world.school_staff).post(f"{API}/cases/", {"pupil": {"level": "9e"}}, format="json")
    body = assert_error(response, 400, "invalid")
    assert {"reasons", "pupil.external_ref", "pupil.level"} <= set(body["fields"])


def test_400_malformed_json(world):
    response = client_for(world.school_staff).post(f"{API}/cases/", data='{"pupil": ', content_type="application/json")
    assert_error(response, 400)


def test_401_unauthenticated(world):
    response = APIClient().get(f"{API}/cases/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_401_bad_token(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get(f"{API}/me/"), 401)


def test_403_forbidden_action(world):
    case = make_case(world)
    assert_error(client_for(world.animator).post(f"{API}/cases/{case.pk}/route/", {}, format="json"), 403, "forbidden")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope/",
        "/api/v1/cases/123/",
        "/api/v1/cases/00000000-0000-4000-8000-000000000000/",
        "/api/nope",
        "/api/v2/cases/",
    ],
)
def test_404_not_found(world, path):
    assert_error(client_for(world.school_staff).get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["delete", "put"])
def test_405_method_not_allowed(world, method):
    case = make_case(world)
    response = getattr(client_for(world.school_staff), method)(f"{API}/cases/{case.pk}/", {}, format="json")
    assert_error(response, 405)
    assert om.Case.objects.filter(pk=case.pk).exists()


def test_409_illegal_transition(world):
    case = make_case(world, om.Status.ROUTED)
    client = client_for(world.manager)
    assert client.post(f"{API}/cases/{case.pk}/accept/", {}, format="json").status_code == 200
    before = case_state(case)
    assert_error(client.post(f"{API}/cases/{case.pk}/accept/", {}, format="json"), 409, "invalid_transition")
    assert case_state(case) == before


def test_413_body_too_large(world, settings, pupil_data):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = flag_body(world, pupil_data, details="x" * 2000)
    response = client_for(world.school_staff).post(f"{API}/cases/", body, format="json")
    assert_error(response, 413, "too_large")
    assert not om.Case.objects.exists()


@pytest.fixture
def login_throttle(monkeypatch):
    cache.clear()
    monkeypatch.setattr(api_views.LoginThrottle, "THROTTLE_RATES", {"login": "2/min"})
    yield
    cache.clear()


def test_429_login_throttle_with_retry_after(world, login_throttle):
    client = APIClient()
    credentials = {"username": "cpe", "password": PASSWORD}
    for _ in range(2):
        assert client.post(f"{API}/auth/token/", credentials, format="json").status_code == 200
    response = client.post(f"{API}/auth/token/", credentials, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_503_when_the_database_is_out_of_reach(world, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(api_views, "case_list", unavailable)
    response = client_for(world.school_staff).get(f"{API}/cases/")
    assert_error(response, 503, "database_unavailable")
    assert response["Retry-After"]


def test_500_is_json_without_a_stack_trace(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("SECRET-INTERNALS")

    monkeypatch.setattr(api_views, "case_list", broken)
    response = client_for(world.school_staff).get(f"{API}/cases/")
    assert_error(response, 500, "server_error")
    assert "SECRET-INTERNALS" not in raw_text(response)
    assert "Traceback" not in raw_text(response)


@pytest.mark.parametrize("how", ["format", "accept"])
def test_csv_report_errors_are_json_too(world, how):
    query, headers = ("?format=csv", {}) if how == "format" else ("?", {"HTTP_ACCEPT": "text/csv"})
    assert_error(APIClient().get(f"{API}/reports/outcomes/{query}", **headers), 401, "not_authenticated")
    assert_error(client_for(world.nobody).get(f"{API}/reports/outcomes/{query}", **headers), 403, "forbidden")
    bad = client_for(world.coordinator).get(f"{API}/reports/outcomes/{query}&group_by=bogus", **headers)
    assert "group_by" in assert_error(bad, 400, "invalid")["fields"]
    bad = client_for(world.coordinator).get(f"{API}/reports/outcomes/{query}&from=yesterday", **headers)
    assert "from" in assert_error(bad, 400, "invalid")["fields"]


# CSV escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 00", "'+33 6 00"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("Wazemmes", "Wazemmes"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_outcome_csv_escapes_formula_cells(world):
    formula = '=HYPERLINK("http://evil.example","clic")'
    make_case(world, om.Status.CLOSED, pupil=make_pupil(world.school, neighbourhood=formula))
    make_case(world, om.Status.CLOSED, pupil=make_pupil(world.school, neighbourhood="@cmd"))
    response = client_for(world.school_staff).get(f"{API}/reports/outcomes/?group_by=neighbourhood&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(raw_text(response))))
    assert header[:3] == ["neighbourhood", "label", "total"]
    cells = {row[0]: row for row in rows}
    assert set(cells) == {"'" + formula, "'@cmd"}
    assert cells["'" + formula][1] == "'" + formula
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_outcome_report_json_and_csv_agree(world):
    make_case(world, om.Status.CLOSED)
    make_case(world, om.Status.CLOSED, outcome=om.Outcome.REFERRED)
    client = client_for(world.manager)
    rows = body_of(client.get(f"{API}/reports/outcomes/?group_by=centre"))["rows"]
    assert [(row["label"], row["total"], row["referred"]) for row in rows] == [("Centre A", 2, 1)]
    response = client.get(f"{API}/reports/outcomes/?group_by=centre", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(raw_text(response))))
    assert dict(zip(header, row, strict=True))["total"] == "2"


# Token authentication ----------------------------------------------------------------------------


@pytest.fixture
def clean_axes(world):
    axes.utils.reset()
    cache.clear()
    yield
    axes.utils.reset()
    cache.clear()


@pytest.mark.clock
def test_token_login_use_and_logout(world, clean_axes):
    client = APIClient()
    response = client.post(f"{API}/auth/token/", {"username": "cpe", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = body_of(response)
    assert set(body) == {"token", "expiry"}
    expiry = parse_datetime(body["expiry"])
    assert expiry is not None and expiry > timezone.now()
    token = body["token"]
    assert not AuthToken.objects.filter(digest=token).exists(), "tokens are stored hashed"
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(f"{API}/me/")
    assert me.status_code == 200
    assert body_of(me)["username"] == "cpe"
    assert [role["role"] for role in body_of(me)["roles"]] == ["school_staff"]
    assert client.post(f"{API}/auth/logout/").status_code == 204
    assert_error(client.get(f"{API}/me/"), 401)


def test_logout_revokes_only_the_token_in_use(world, clean_axes):
    _first, first_token = AuthToken.objects.create(world.school_staff)
    _second, second_token = AuthToken.objects.create(world.school_staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first_token}")
    assert client.post(f"{API}/auth/logout/").status_code == 204
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {second_token}")
    assert other.get(f"{API}/me/").status_code == 200


@pytest.mark.clock
def test_expired_token_is_401(world):
    _instance, token = AuthToken.objects.create(world.school_staff, expiry=timedelta(seconds=-1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert_error(client.get(f"{API}/me/"), 401)


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(world, clean_axes):
    client = APIClient()
    wrong_password = client.post(f"{API}/auth/token/", {"username": "cpe", "password": "nope"}, format="json")
    no_user = client.post(f"{API}/auth/token/", {"username": "ghost", "password": "nope"}, format="json")
    assert wrong_password.status_code == no_user.status_code == 400
    assert body_of(wrong_password) == body_of(no_user)
    assert "token" not in body_of(wrong_password)


def test_inactive_user_gets_no_token(world, clean_axes):
    user = factories.UserFactory(username="left", is_active=False)
    response = APIClient().post(f"{API}/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert not AuthToken.objects.filter(user=user).exists()


def test_lockout_after_ten_failures(world, clean_axes):
    client = APIClient()
    for _ in range(10):
        response = client.post(f"{API}/auth/token/", {"username": "cpe", "password": "wrong"}, format="json")
        assert response.status_code in (400, 403)
    response = client.post(f"{API}/auth/token/", {"username": "cpe", "password": PASSWORD}, format="json")
    assert_error(response, 403, "locked")
    assert not AuthToken.objects.filter(user=world.school_staff).exists()
    other = client.post(f"{API}/auth/token/", {"username": "anim", "password": PASSWORD}, format="json")
    assert other.status_code == 200, "the lock is per account, not per address"


# Handover ----------------------------------------------------------------------------------------


def test_handover_moves_the_open_cases_of_the_leaving_animator(world):
    colleague = factories.UserFactory(username="anim.two")
    role_grant(user=colleague, role=Role.ANIMATOR, organisation=world.centre)
    open_cases = [make_case(world, om.Status.IN_PROGRESS), make_case(world, om.Status.ROUTED)]
    closed = make_case(world, om.Status.CLOSED)
    elsewhere = make_case(world, om.Status.IN_PROGRESS, centre=world.other_centre)
    for case in [*open_cases, closed, elsewhere]:
        case.animators.add(world.animator)
    response = client_for(world.manager).post(
        f"{API}/centres/{world.centre.pk}/handover/",
        {"from_user": world.animator.pk, "to_user": colleague.pk},
        format="json",
    )
    assert response.status_code == 200
    assert body_of(response) == {"moved": 2}
    for case in open_cases:
        assert list(case.animators.all()) == [colleague]
        assert case.events.filter(kind=om.EventKind.HANDED_OVER).count() == 1
    assert list(closed.animators.all()) == [world.animator]
    assert list(elsewhere.animators.all()) == [world.animator]
    response = client_for(colleague).get(f"{API}/cases/?assigned_to=me")
    assert _ids(response) == {str(case.pk) for case in open_cases}


def test_handover_to_someone_outside_the_centre_is_a_field_error(world):
    response = client_for(world.manager).post(
        f"{API}/centres/{world.centre.pk}/handover/",
        {"from_user": world.animator.pk, "to_user": world.other_animator.pk},
        format="json",
    )
    assert "to_user" in assert_error(response, 400, "invalid")["fields"]
    response = client_for(world.manager).post(
        f"{API}/centres/{world.centre.pk}/handover/", {"from_user": world.animator.pk, "to_user": 0}, format="json"
    )
    assert "to_user" in assert_error(response, 400, "invalid")["fields"]


def test_handover_on_a_missing_centre_is_404(world):
    response = client_for(world.manager).post(
        f"{API}/centres/999999/handover/", {"from_user": world.animator.pk, "to_user": world.manager.pk}, format="json"
    )
    assert_error(response, 404, "not_found")


# Reference data, me, schema ----------------------------------------------------------------------


def test_me_lists_roles_and_organisations(world):
    role_grant(user=world.manager, role=Role.SCHOOL_STAFF, organisation=world.other_school)
    body = body_of(client_for(world.manager).get(f"{API}/me/"))
    assert body["username"] == "manager"
    roles = {(r["role"], r["organisation_kind"], r["organisation_name"], r["uai"]) for r in body["roles"]}
    # A school comes with its UAI: the key a flag names its school by.
    assert roles == {
        ("centre_manager", "centre", "Centre A", None),
        ("school_staff", "school", "Collège B", world.other_school.uai),
    }
    body = body_of(client_for(world.coordinator).get(f"{API}/me/"))
    assert body["roles"] == [
        {
            "role": "coordinator",
            "organisation_kind": None,
            "organisation_id": None,
            "organisation_name": None,
            "uai": None,
        }
    ]
    assert body_of(client_for(world.nobody).get(f"{API}/me/"))["roles"] == []


def test_reference_data(world):
    client = client_for(world.nobody)
    schools = body_of(client.get(f"{API}/schools/"))["results"]
    assert [(s["uai"], s["name"]) for s in schools] == [
        (world.school.uai, "Collège A"),
        (world.other_school.uai, "Collège B"),
    ]
    centres = body_of(client.get(f"{API}/centres/"))["results"]
    assert [(c["name"], c["neighbourhoods"]) for c in centres] == [
        ("Centre A", ["Wazemmes"]),
        ("Centre B", ["Moulins"]),
    ]
    hoods = body_of(client.get(f"{API}/neighbourhoods/"))["results"]
    assert {h["name"]: h["postcodes"] for h in hoods}["Wazemmes"] == ["59000"]
    assert_error(client.get(f"{API}/schools/999999/"), 404, "not_found")


def test_schema_is_openapi_3_and_docs_use_no_cdn(world):
    schema = APIClient().get("/api/schema/?format=json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cases/{id}/accept/" in document["paths"]
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 200
    html = raw_text(docs)
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


# More of the contract ----------------------------------------------------------------------------


def test_cursor_pagination_survives_identical_timestamps(world):
    """Cases flagged (or handed over) in the same instant share a sort key: none may be skipped or repeated."""
    cases = bulk_cases(world, 5)
    same = timezone.now()
    om.Case.objects.filter(pk__in=[case.pk for case in cases]).update(flagged_at=same, updated_at=same)
    client = client_for(world.school_staff)
    for ordering in ("-flagged_at", "updated_at"):
        url, seen = f"{API}/cases/?page_size=2&ordering={ordering}", []
        while url:
            body = body_of(client.get(url))
            seen += [item["id"] for item in body["results"]]
            url = body["next"]
        assert sorted(seen) == sorted(str(case.pk) for case in cases), ordering


def test_ordering_by_an_undeclared_field_is_ignored(world):
    """Sorting by pupil name would let a coordinator infer names from pseudonymised rows."""
    now = timezone.now()
    names = ["Aaron", "Zoé", "Maël"]
    for n, name in enumerate(names):
        make_case(world, pupil=make_pupil(world.school, last_name=name), flagged_at=now - timedelta(hours=n))
    client = client_for(world.coordinator)
    default = [item["id"] for item in body_of(client.get(f"{API}/cases/"))["results"]]
    for ordering in ("pupil__last_name", "-pupil__last_name", "pupil__first_name"):
        response = client.get(f"{API}/cases/?ordering={ordering}")
        assert [item["id"] for item in body_of(response)["results"]] == default, ordering


def test_patch_on_a_closed_case_is_409(world):
    case = make_case(world, om.Status.CLOSED)
    response = client_for(world.school_staff).patch(f"{API}/cases/{case.pk}/", {"urgency": "high"}, format="json")
    assert_error(response, 409, "invalid_transition")
    assert om.Case.objects.get(pk=case.pk).urgency == om.Urgency.NORMAL


def test_patch_validates_flag_details(world):
    case = make_case(world)
    client = client_for(world.school_staff)
    response = client.patch(f"{API}/cases/{case.pk}/", {"reasons": ["other"], "details": ""}, format="json")
    assert "details" in assert_error(response, 400, "invalid")["fields"]
    response = client.patch(f"{API}/cases/{case.pk}/", {"half_days_missed": 99}, format="json")
    assert "half_days_missed" in assert_error(response, 400, "invalid")["fields"]
    assert list(case.reasons.values_list("reason", flat=True)) == [om.Reason.LONG_ABSENCE]


@pytest.mark.clock
def test_contact_correction_rules(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    other_case = make_case(world, om.Status.IN_PROGRESS)
    mine = factories.ContactFactory(case=case, author=world.animator, notes="avant")
    theirs = factories.ContactFactory(case=case, author=world.manager)
    elsewhere = factories.ContactFactory(case=other_case, author=world.animator)
    client = client_for(world.animator)
    url = f"{API}/cases/{case.pk}/contacts/"
    response = client.patch(f"{url}{mine.pk}/", {"notes": "après"}, format="json")
    assert response.status_code == 200 and body_of(response)["notes"] == "après"
    assert_error(client.patch(f"{url}{theirs.pk}/", {"notes": "x"}, format="json"), 403, "forbidden")
    assert_error(client.patch(f"{url}{elsewhere.pk}/", {"notes": "x"}, format="json"), 404, "not_found")
    assert_error(client.patch(f"{url}abc/", {"notes": "x"}, format="json"), 404, "not_found")
    om.Contact.objects.filter(pk=mine.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert_error(client.patch(f"{url}{mine.pk}/", {"notes": "trop tard"}, format="json"), 409, "invalid_transition")
    assert om.Contact.objects.get(pk=mine.pk).notes == "après"
    listed = {item["id"]: item for item in body_of(client.get(url))}
    assert listed[mine.pk]["correctable_until"] is None
    assert listed[theirs.pk]["correctable_until"] is not None


def test_contact_and_tutoring_input_errors(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(world.animator)
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = client.post(
        f"{API}/cases/{case.pk}/contacts/",
        {"kind": "telepathy", "occurred_at": future, "result": "reached_family", "supports": [{"kind": "car"}]},
        format="json",
    )
    assert {"kind", "supports.0.kind"} <= set(assert_error(response, 400, "invalid")["fields"])
    response = client.post(f"{API}/cases/{case.pk}/tutoring/", {"on": "2026-02-30"}, format="json")
    assert {"on", "duration_minutes"} <= set(assert_error(response, 400, "invalid")["fields"])
    assert not om.Contact.objects.filter(case=case).exists()
    assert not om.TutoringSession.objects.filter(case=case).exists()


def test_logging_on_a_case_that_is_not_in_progress_is_409(world):
    case = make_case(world, om.Status.ROUTED)
    client = client_for(world.animator)
    response = client.post(
        f"{API}/cases/{case.pk}/contacts/",
        {"kind": "home_visit", "occurred_at": timezone.now().isoformat(), "result": "no_answer"},
        format="json",
    )
    assert_error(response, 409, "invalid_transition")


@pytest.mark.clock
def test_funders_report_year(world):
    client = client_for(world.coordinator)
    assert body_of(client.get(f"{API}/reports/funders/?year=2025"))["year"] == 2025
    assert body_of(client.get(f"{API}/reports/funders/"))["year"] == timezone.localdate().year
    for year in ("abc", "1999", "-1"):
        assert "year" in assert_error(client.get(f"{API}/reports/funders/?year={year}"), 400, "invalid")["fields"]


@pytest.mark.clock
def test_access_log_filters(world):
    case, other = make_case(world), make_case(world)
    client = client_for(world.coordinator)
    client.get(f"{API}/cases/{case.pk}/")
    client.get(f"{API}/cases/{other.pk}/events/")
    factories.AccessLogFactory(case=case, user=world.animator, action=om.AccessAction.WRITE)
    body = body_of(client.get(f"{API}/audit/access/?case={case.pk}"))
    assert {item["case"] for item in body["results"]} == {str(case.pk)}
    assert {item["case_reference"] for item in body["results"]} == {case.reference}
    body = body_of(client.get(f"{API}/audit/access/?user={world.animator.pk}"))
    assert [item["action"] for item in body["results"]] == ["write"]
    body = body_of(client.get(f"{API}/audit/access/?action=read_events"))
    assert [item["case"] for item in body["results"]] == [str(other.pk)]
    today = timezone.localdate()
    assert len(body_of(client.get(f"{API}/audit/access/?from={today}&to={today}"))["results"]) == 3
    assert body_of(client.get(f"{API}/audit/access/?from={today + timedelta(days=1)}"))["results"] == []
    assert_error(client.get(f"{API}/audit/access/?action=bogus"), 400, "invalid")


def test_reads_are_logged_with_who_and_what(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(world.animator)
    for child in ("", "contacts/", "tutoring/", "events/"):
        assert client.get(f"{API}/cases/{case.pk}/{child}").status_code == 200
    actions = list(om.AccessLog.objects.filter(case=case, user=world.animator).values_list("action", flat=True))
    assert sorted(actions) == sorted(["read_case", "read_contacts", "read_tutoring", "read_events"])
    client_for(world.other_animator).get(f"{API}/cases/{case.pk}/")
    assert not om.AccessLog.objects.filter(user=world.other_animator).exists(), "a refused read is not a read"
