"""SPEC §4 "Who may do what", as seen through every route of the REST API.

One test per cell of MATRIX: (actor, method, endpoint, expected status). The expected statuses are
written out by hand from SPEC §4 and §5, never computed from schools.permissions, so a wrong grant,
a wrong gate or a wrong view makes a cell fail. Each cell gets a fresh case, flagged by world.school
and routed to world.centre, in a state where the action is legal, and a valid body: the status then
reflects permissions only.

- 2xx: allowed
- 403: an action the actor may not take on a case (or organisation) they can see
- 404: a case they cannot see (never 403, which would confirm it exists)
- 401: anonymous

Judgement calls where SPEC §4 is silent, written down here rather than derived from the code:
- family-notice is not in the SPEC table: the case's school and centre record it (they are the ones
  who tell the family); coordinators do not.
- schools, centres and neighbourhoods are reference data: every signed-in user reads them. So a
  handover on a centre someone cannot manage is a 403 (the centre is public), not a 404.
- a caller without the report, access-log or export right at all gets 403 whatever the object
  (the answer is the same for an existing and a non-existing pupil, so it confirms nothing).
- /api/schema/ and /api/docs/ hold no data and are public.
"""

import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from api.errors import json_not_found
from outreach import models as om
from outreach.roles import Role
from outreach.services import role_grant
from tests import factories
from tests.api_helpers import (
    API,
    PASSWORD,
    assert_error,
    body_of,
    case_state,
    client_for,
    flag_body,
    make_case,
    raw_text,
    user_of,
    world_fixtures,
)

api_world, world, fast_passwords = world_fixtures()

ACTORS = ("anonymous", "cpe", "cpe.other", "anim", "anim.other", "manager", "manager.other", "coord", "nobody")

# fmt: off
# Columns, in ACTORS order:
#   anonymous, cpe (own school), cpe.other, anim (routed centre), anim.other, manager (routed centre),
#   manager.other, coord, nobody (signed in, no role)
GRID = [
    ("POST",  "auth/token/",                      (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("POST",  "auth/logout/",                     (401, 204, 204, 204, 204, 204, 204, 204, 204)),
    ("GET",   "me/",                              (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "schools/",                         (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "schools/{school}/",                (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "centres/",                         (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "centres/{centre}/",                (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("POST",  "centres/{centre}/handover/",       (401, 403, 403, 403, 403, 200, 403, 403, 403)),
    ("GET",   "neighbourhoods/",                  (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "neighbourhoods/{neighbourhood}/",  (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "cases/",                           (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("POST",  "cases/",                           (401, 201, 403, 403, 403, 403, 403, 403, 403)),
    # bulk answers 200 with one result per item; BULK_ITEM_RESULT says which.
    ("POST",  "cases/bulk/",                      (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "cases/{case}/",                    (401, 200, 404, 200, 404, 200, 404, 200, 404)),
    ("PATCH", "cases/{case}/",                    (401, 200, 404, 403, 404, 403, 404, 403, 404)),
    ("POST",  "cases/{case}/route/",              (401, 403, 404, 403, 404, 403, 404, 200, 404)),
    ("POST",  "cases/{case}/accept/",             (401, 403, 404, 403, 404, 200, 404, 200, 404)),
    # A centre that declines no longer sees the case: 204, nothing left to show it.
    ("POST",  "cases/{case}/decline/",            (401, 403, 404, 403, 404, 204, 404, 200, 404)),
    ("POST",  "cases/{case}/assign/",             (401, 403, 404, 403, 404, 200, 404, 403, 404)),
    ("POST",  "cases/{case}/close/",              (401, 403, 404, 200, 404, 200, 404, 200, 404)),
    ("POST",  "cases/{case}/withdraw/",           (401, 200, 404, 403, 404, 403, 404, 403, 404)),
    ("POST",  "cases/{case}/update-contact-details/", (401, 200, 404, 403, 404, 403, 404, 403, 404)),
    ("POST",  "cases/{case}/reopen/",             (401, 403, 404, 403, 404, 403, 404, 200, 404)),
    ("POST",  "cases/{case}/confirm-return/",     (401, 200, 404, 403, 404, 403, 404, 403, 404)),
    ("POST",  "cases/{case}/reveal/",             (401, 403, 404, 403, 404, 403, 404, 200, 404)),
    ("POST",  "cases/{case}/family-notice/",      (401, 200, 404, 200, 404, 200, 404, 403, 404)),
    ("GET",   "cases/{case}/contacts/",           (401, 200, 404, 200, 404, 200, 404, 200, 404)),
    ("POST",  "cases/{case}/contacts/",           (401, 403, 404, 201, 404, 201, 404, 403, 404)),
    ("PATCH", "cases/{case}/contacts/{contact}/", (401, 403, 404, 200, 404, 200, 404, 403, 404)),
    ("GET",   "cases/{case}/tutoring/",           (401, 200, 404, 200, 404, 200, 404, 200, 404)),
    ("POST",  "cases/{case}/tutoring/",           (401, 403, 404, 201, 404, 201, 404, 403, 404)),
    ("GET",   "cases/{case}/supports/",           (401, 200, 404, 200, 404, 200, 404, 200, 404)),
    ("POST",  "cases/{case}/supports/",           (401, 403, 404, 201, 404, 201, 404, 403, 404)),
    ("GET",   "cases/{case}/events/",             (401, 200, 404, 200, 404, 200, 404, 200, 404)),
    ("GET",   "reports/outcomes/",                (401, 200, 200, 200, 200, 200, 200, 200, 403)),
    ("GET",   "reports/outcomes/?format=csv",     (401, 200, 200, 200, 200, 200, 200, 200, 403)),
    ("GET",   "reports/funders/",                 (401, 403, 403, 403, 403, 200, 200, 200, 403)),
    ("GET",   "audit/access/",                    (401, 403, 403, 403, 403, 403, 403, 200, 403)),
    ("GET",   "pupils/{pupil}/export/",           (401, 403, 403, 403, 403, 403, 403, 200, 403)),
    ("GET",   "/api/schema/",                     (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET",   "/api/docs/",                       (200, 200, 200, 200, 200, 200, 200, 200, 200)),
]
# fmt: on

MATRIX = [
    (actor, method, endpoint, expected)
    for method, endpoint, statuses in GRID
    for actor, expected in zip(ACTORS, statuses, strict=True)
]

BULK_ITEM_RESULT = {"cpe": "created"}  # everyone else: "error" with code "forbidden"

ERROR_CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found"}


@dataclass
class Call:
    url: str
    body: object = None
    case: om.Case | None = None
    extra: dict = field(default_factory=dict)


def _url(endpoint: str, **ids) -> str:
    path = endpoint.format(**ids)
    return path if path.startswith("/") else f"{API}/{path}"


def _today() -> str:
    return timezone.localdate().isoformat()


def build_call(world, endpoint: str, method: str, user, pupil_data) -> Call:
    """A fresh case in the state where the request is legal, and a valid body."""
    ids = {
        "school": world.school.pk,
        "centre": world.centre.pk,
        "neighbourhood": world.neighbourhood.pk,
    }
    body = None
    case = None
    key = (method, endpoint)
    if key == ("POST", "auth/token/"):
        body = {"username": (user or world.school_staff).get_username(), "password": PASSWORD}
    elif key == ("POST", "centres/{centre}/handover/"):
        case = make_case(world, om.Status.IN_PROGRESS)
        case.animators.add(world.animator)
        body = {"from_user": world.animator.pk, "to_user": world.manager.pk}
    elif key == ("POST", "cases/"):
        body = flag_body(world, pupil_data)
    elif key == ("POST", "cases/bulk/"):
        body = [flag_body(world, pupil_data)]
    elif endpoint.startswith("cases/{case}/"):
        action = endpoint.removeprefix("cases/{case}/").split("/")[0]
        status_for = {
            "close": om.Status.IN_PROGRESS,
            "assign": om.Status.IN_PROGRESS,
            "contacts": om.Status.IN_PROGRESS,
            "tutoring": om.Status.IN_PROGRESS,
            "supports": om.Status.IN_PROGRESS,
            "reopen": om.Status.CLOSED,
            "confirm-return": om.Status.CLOSED,
        }
        case = make_case(world, status_for.get(action, om.Status.ROUTED))
        ids["case"] = case.pk
        bodies = {
            ("PATCH", ""): {"urgency": "high", "details": "Plus vu depuis lundi."},
            ("POST", "route"): {"centre": world.other_centre.pk, "note": "Déménagement"},
            ("POST", "accept"): {},
            ("POST", "decline"): {"reason": "Hors de notre secteur"},
            ("POST", "assign"): {"animators": [world.animator.pk]},
            ("POST", "close"): {"outcome": "returned_to_school", "note": "De retour en classe"},
            ("POST", "withdraw"): {"note": "Revenu en classe"},
            ("POST", "update-contact-details"): {
                "address": "3 rue Racine",
                "postcode": "59000",
                "city": "Lille",
                "guardians": [{"name": "Samia Martin", "phone": "0612345678"}],
            },
            ("POST", "reopen"): {"note": "Nouvelles absences"},
            ("POST", "confirm-return"): {"attendance": "full", "half_days_missed": 0, "on": _today()},
            ("POST", "reveal"): {"reason": "Signalement au parquet"},
            ("POST", "family-notice"): {"on": _today(), "channel": "letter"},
            ("POST", "contacts"): {
                "kind": "home_visit",
                "occurred_at": timezone.now().isoformat(),
                "result": "reached_family",
                "notes": "Famille rencontrée",
            },
            ("PATCH", "contacts"): {"notes": "Famille rencontrée (corrigé)"},
            ("POST", "tutoring"): {"on": _today(), "duration_minutes": 60, "subjects": "français"},
            ("POST", "supports"): {"kind": "referral", "detail": "PRE", "provided_on": _today()},
        }
        body = bodies.get((method, action))
        if action == "contacts":
            # The author corrects their own contact: only the right to log contacts is then in question.
            contact = factories.ContactFactory(case=case, author=user or world.animator)
            ids["contact"] = contact.pk
        if action == "tutoring" and method == "GET":
            factories.TutoringSessionFactory(case=case, author=world.animator)
        if action == "events":
            factories.CaseEventFactory(case=case, actor=world.school_staff)
    elif endpoint.startswith("reports/") or endpoint.startswith("audit/"):
        make_case(world, om.Status.CLOSED)
    elif endpoint == "pupils/{pupil}/export/":
        case = make_case(world, om.Status.ROUTED)
        ids["pupil"] = case.pupil_id
    return Call(url=_url(endpoint, **ids), body=body, case=case)


def _send(client, method: str, url: str, body):
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, body if body is not None else {}, format="json")


@pytest.mark.parametrize(
    ("actor", "method", "endpoint", "expected"),
    MATRIX,
    ids=[f"{method} {endpoint} as {actor} -> {expected}" for actor, method, endpoint, expected in MATRIX],
)
def test_cell(world, pupil_data, actor, method, endpoint, expected):
    user = user_of(world, actor)
    call = build_call(world, endpoint, method, user, pupil_data)
    before = case_state(call.case) if call.case is not None else None
    client = client_for(None if endpoint == "auth/token/" else user)

    response = _send(client, method, call.url, call.body)

    assert response.status_code == expected, (response.status_code, raw_text(response)[:300])
    if expected >= 400:
        assert_error(response, expected, ERROR_CODES[expected])
        if call.case is not None and method != "GET":
            assert case_state(call.case) == before, "a refused request changed the case"
    if endpoint == "cases/bulk/" and expected == 200:
        (item,) = body_of(response)
        assert item["result"] == BULK_ITEM_RESULT.get(actor, "error"), item
        if item["result"] == "error":
            assert item["error"]["code"] == "forbidden", item
    if endpoint == "auth/token/":
        assert set(body_of(response)) == {"token", "expiry"}


# Coverage: the table must name every (route, method) of api.urls ---------------------------------


def _join(route1: str, route2: str) -> str:
    """How django.urls joins nested routes into ResolverMatch.route."""
    return route2 if not route1 else route1 + route2.removeprefix("^")


def _methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return {method.upper() for method in actions} - {"HEAD", "OPTIONS"}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return {"GET"}
    return {method.upper() for method in ("get", "post", "put", "patch", "delete") if hasattr(view_class, method)}


def api_routes() -> set[tuple[str, str]]:
    """(route, method) for every URL pattern under /api/, except the JSON catch-all."""
    found: set[tuple[str, str]] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = _join(prefix, str(pattern.pattern))
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.startswith("api/") and pattern.callback is not json_not_found:
                found.update((route, method) for method in _methods(pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


def _sample_url(endpoint: str) -> str:
    ids = {"school": 1, "centre": 1, "neighbourhood": 1, "case": uuid.uuid4(), "contact": 1, "pupil": 1}
    return _url(endpoint, **ids).split("?")[0]


def _programme_routes() -> set[tuple[str, str]]:
    """The centre's programmes have their own matrix, in tests/test_api_programmes.py."""
    from tests.test_api_programmes import ENDPOINTS

    ids = {name: 1 for name in ("group", "session", "device", "loan")} | {"member": uuid.uuid4()}
    return {(resolve(API + path.format(**ids)).route, method.upper()) for method, path, _body in ENDPOINTS.values()}


def test_matrix_covers_every_api_route_and_method():
    covered = {(resolve(_sample_url(endpoint)).route, method) for method, endpoint, _ in GRID} | _programme_routes()
    routes = api_routes()
    assert routes, "no route found under /api/"
    assert routes - covered == set(), "routes of api.urls missing from the permission matrix"
    assert covered - routes == set(), "matrix rows that resolve to no API route (the catch-all?)"


def test_matrix_has_one_row_per_actor_and_endpoint():
    cells = [(actor, method, endpoint) for actor, method, endpoint, _ in MATRIX]
    assert len(cells) == len(set(cells)) == len(GRID) * len(ACTORS)
    assert all(re.fullmatch(r"[A-Z]+", method) for _, method, _, _ in MATRIX)


# No existence oracle ------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["cpe.other", "anim.other", "manager.other", "nobody"])
@pytest.mark.parametrize(
    "suffix", ["", "accept/", "contacts/", "tutoring/", "events/", "reveal/", "route/", "contacts/1/"]
)
def test_invisible_case_answers_like_a_missing_one(world, actor, suffix):
    case = make_case(world, om.Status.IN_PROGRESS)
    client = client_for(user_of(world, actor))
    method = "get" if suffix in ("", "contacts/", "tutoring/", "events/") else "post"
    if suffix == "contacts/1/":
        method = "patch"
    hidden = getattr(client, method)(f"{API}/cases/{case.pk}/{suffix}", {}, format="json")
    missing = getattr(client, method)(f"{API}/cases/{uuid.uuid4()}/{suffix}", {}, format="json")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert case.reference not in raw_text(hidden)


def test_pupil_export_refusal_is_the_same_for_a_missing_pupil(world):
    case = make_case(world)
    client = client_for(world.school_staff)
    existing = client.get(f"{API}/pupils/{case.pupil_id}/export/")
    missing = client.get(f"{API}/pupils/999999/export/")
    assert existing.status_code == missing.status_code == 403
    assert existing.content == missing.content


def test_head_and_options_do_not_reveal_an_invisible_case(world):
    case = make_case(world)
    client = client_for(world.other_school_staff)
    assert client.head(f"{API}/cases/{case.pk}/").status_code == 404
    hidden = client.options(f"{API}/cases/{case.pk}/")
    missing = client.options(f"{API}/cases/{uuid.uuid4()}/")
    assert hidden.status_code == missing.status_code
    assert case.reference not in raw_text(hidden)


def test_a_shared_case_is_visible_then_hidden_again_when_the_share_is_revoked(world):
    """SPEC §4: explicit per-case shares, for exceptions only, revocable."""
    case = make_case(world)
    client = client_for(world.other_animator)
    assert client.get(f"{API}/cases/{case.pk}/").status_code == 404
    assign_perm("view_case_summary", world.other_animator, case)
    assert client.get(f"{API}/cases/{case.pk}/").status_code == 200
    assert client.post(f"{API}/cases/{case.pk}/accept/", {}, format="json").status_code == 403
    remove_perm("view_case_summary", world.other_animator, case)
    assert client.get(f"{API}/cases/{case.pk}/").status_code == 404


# Cross-tenant lists -------------------------------------------------------------------------------


@pytest.fixture
def two_tenants(world):
    """world.school's cases at world.centre, and one case of the other school at the other centre."""
    mine = [
        make_case(world, om.Status.ROUTED),
        make_case(world, om.Status.IN_PROGRESS),
        make_case(world, om.Status.CLOSED, outcome=om.Outcome.REFERRED),
    ]
    for case in mine:
        factories.CaseEventFactory(case=case, actor=world.school_staff, note=f"note of {case.reference}")
        factories.AccessLogFactory(case=case, user=world.animator)
    theirs = make_case(
        world,
        om.Status.CLOSED,
        school=world.other_school,
        centre=world.other_centre,
        outcome=om.Outcome.PARTIAL_RETURN,
    )
    factories.CaseEventFactory(case=theirs, actor=world.other_school_staff)
    return mine, theirs


def _leaks(text: str, cases) -> list[str]:
    return [marker for case in cases for marker in (str(case.pk), case.reference) if marker in text]


@pytest.mark.parametrize("actor", ["cpe.other", "anim.other", "manager.other"])
def test_cases_list_of_another_tenant_holds_none_of_the_first_ones_cases(world, two_tenants, actor):
    mine, theirs = two_tenants
    response = client_for(user_of(world, actor)).get(f"{API}/cases/?page_size=200")
    assert response.status_code == 200
    assert [item["id"] for item in body_of(response)["results"]] == [str(theirs.pk)]
    assert _leaks(raw_text(response), mine) == []


@pytest.mark.parametrize("actor", ["cpe.other", "anim.other", "manager.other"])
@pytest.mark.parametrize("group_by", ["centre", "school", "month", "reason", "neighbourhood"])
@pytest.mark.parametrize("as_csv", [False, True], ids=["json", "csv"])
def test_outcome_report_of_another_tenant_counts_only_its_own_cases(world, two_tenants, actor, group_by, as_csv):
    mine, _theirs = two_tenants
    url = f"{API}/reports/outcomes/?group_by={group_by}" + ("&format=csv" if as_csv else "")
    response = client_for(user_of(world, actor)).get(url)
    assert response.status_code == 200
    text = raw_text(response)
    assert _leaks(text, mine) == []
    for foreign in (world.school.name, world.school.uai, world.centre.name):
        assert foreign not in text, foreign
    if as_csv:
        header, *lines = [line.split(",") for line in text.splitlines() if line]
        rows = [dict(zip(header, line, strict=True)) for line in lines]
    else:
        rows = body_of(response)["rows"]
    assert sum(int(row["total"]) for row in rows) == 1
    assert sum(int(row[om.Outcome.REFERRED]) for row in rows) == 0


def test_funders_report_of_another_centre_counts_only_its_own_cases(world, two_tenants):
    response = client_for(world.other_manager).get(f"{API}/reports/funders/")
    assert response.status_code == 200
    body = body_of(response)
    assert body["pupils"]["total"] == 1
    assert body["outcomes"] == {om.Outcome.PARTIAL_RETURN: 1}


@pytest.mark.parametrize("actor", ["cpe.other", "anim.other", "manager.other", "cpe", "anim", "manager"])
def test_access_log_is_refused_to_schools_and_centres_without_a_trace_of_cases(world, two_tenants, actor):
    mine, theirs = two_tenants
    response = client_for(user_of(world, actor)).get(f"{API}/audit/access/")
    assert_error(response, 403, "forbidden")
    assert _leaks(raw_text(response), [*mine, theirs]) == []


@pytest.mark.parametrize("actor", ["cpe.other", "anim.other", "manager.other"])
@pytest.mark.parametrize("child", ["events", "contacts", "tutoring"])
def test_timeline_of_another_tenants_case_is_not_found(world, two_tenants, actor, child):
    mine, _theirs = two_tenants
    client = client_for(user_of(world, actor))
    for case in mine:
        response = client.get(f"{API}/cases/{case.pk}/{child}/")
        assert_error(response, 404, "not_found")
        assert _leaks(raw_text(response), mine) == []


def test_a_second_role_elsewhere_adds_only_that_organisations_cases(world, two_tenants):
    mine, theirs = two_tenants
    role_grant(user=world.other_school_staff, role=Role.ANIMATOR, organisation=world.other_centre)
    response = client_for(world.other_school_staff).get(f"{API}/cases/")
    assert [item["id"] for item in body_of(response)["results"]] == [str(theirs.pk)]
    assert _leaks(raw_text(response), mine) == []


def test_an_unrouted_case_is_seen_by_its_school_and_coordinators_only(world):
    case = make_case(world, om.Status.FLAGGED)
    expected = {"cpe": 200, "coord": 200, "anim": 404, "manager": 404, "anim.other": 404, "cpe.other": 404}
    for actor, status in expected.items():
        assert client_for(user_of(world, actor)).get(f"{API}/cases/{case.pk}/").status_code == status, actor


def test_rerouting_moves_visibility_from_one_centre_to_the_other(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    response = client_for(world.coordinator).post(
        f"{API}/cases/{case.pk}/route/", {"centre": world.other_centre.pk}, format="json"
    )
    assert response.status_code == 200
    assert body_of(response)["centre"] == {"id": world.other_centre.pk, "name": "Centre B"}
    for actor, status in {"anim": 404, "manager": 404, "anim.other": 200, "manager.other": 200, "cpe": 200}.items():
        assert client_for(user_of(world, actor)).get(f"{API}/cases/{case.pk}/").status_code == status, actor


def test_a_declined_case_leaves_the_centre_that_declined_it(world):
    case = make_case(world, om.Status.ROUTED)
    client = client_for(world.manager)
    assert client.post(f"{API}/cases/{case.pk}/decline/", {"reason": "Complet"}, format="json").status_code == 204
    assert_error(client.get(f"{API}/cases/{case.pk}/"), 404, "not_found")
    school_view = body_of(client_for(world.school_staff).get(f"{API}/cases/{case.pk}/"))
    assert school_view["status"] == om.Status.FLAGGED and school_view["centre"] is None
