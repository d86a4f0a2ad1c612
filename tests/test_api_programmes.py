"""The programmes' API (groups, sessions, attendance, devices, loans): the permission matrix of every endpoint,
the register over the API, filters, pagination, JSON errors and flat query counts."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import devices, programmes
from outreach.access import access_scope
from outreach.models import GroupMode, GroupSession, TutoringSession
from tests import factories
from tests.api_helpers import API, assert_error, body_of, client_for, user_of, world_fixtures

api_world, world, fast_passwords = world_fixtures()


def build(world):
    """A group of world.centre led by its animator, with one member, a session today and a device lent."""
    scope = access_scope(world.manager)
    group = programmes.group_create(
        actor=world.manager,
        scope=scope,
        centre=world.centre,
        name="CLAS 6e jeudi",
        mode=GroupMode.AT_CENTRE,
        weekday=3,
        starts_at=time(16, 30),
        duration_minutes=90,
        animator_ids=[world.animator.pk],
    )
    member = factories.CaseFactory(in_progress=True, centre=world.centre)
    spare = factories.CaseFactory(in_progress=True, centre=world.centre)
    programmes.group_join(actor=world.manager, scope=scope, group=group, case=member)
    session = GroupSession.objects.create(
        group=group, on=timezone.localdate(), starts_at=time(16, 30), duration_minutes=90
    )
    device = devices.device_add(actor=world.manager, scope=scope, centre=world.centre, kind="tablet", reference="T-1")
    spare_device = devices.device_add(
        actor=world.manager, scope=scope, centre=world.centre, kind="mobile_internet", reference="K-1"
    )
    today = timezone.localdate()
    loan = devices.device_lend(
        actor=world.manager,
        scope=scope,
        device=device,
        case=member,
        lent_on=today,
        due_on=today + timedelta(days=30),
        condition_out="Bon état",
    )
    return {
        "group": group.pk,
        "member": member.pk,
        "spare": spare.pk,
        "session": session.pk,
        "device": device.pk,
        "spare_device": spare_device.pk,
        "loan": loan.pk,
        "centre": world.centre.pk,
        "today": today.isoformat(),
    }


# (method, path, body): every endpoint, with a body that succeeds for the right caller.
ENDPOINTS = {
    "groups.list": ("get", "/groups/", None),
    "groups.create": (
        "post",
        "/groups/",
        lambda ids: {
            "centre": ids["centre"],
            "name": "Mon centre social à la maison",
            "mode": "remote",
            "weekday": 2,
            "starts_at": "14:00",
            "duration_minutes": 60,
        },
    ),
    "group": ("get", "/groups/{group}/", None),
    "group.close": ("post", "/groups/{group}/close/", {}),
    "group.join": ("post", "/groups/{group}/members/", lambda ids: {"case": str(ids["spare"])}),
    "group.leave": ("delete", "/groups/{group}/members/{member}/", None),
    "group.sessions": ("get", "/groups/{group}/sessions/", None),
    "group.add_session": (
        "post",
        "/groups/{group}/sessions/",
        lambda ids: {"on": ids["today"], "starts_at": "10:00", "duration_minutes": 60},
    ),
    "group.plan": (
        "post",
        "/groups/{group}/plan/",
        lambda ids: {"until": (timezone.localdate() + timedelta(weeks=2)).isoformat()},
    ),
    "session": ("get", "/sessions/{session}/", None),
    "session.attendance": (
        "put",
        "/sessions/{session}/attendance/",
        lambda ids: {"attendance": [{"case": str(ids["member"]), "presence": "present"}]},
    ),
    "devices.list": ("get", "/devices/", None),
    "devices.create": (
        "post",
        "/devices/",
        lambda ids: {"centre": ids["centre"], "kind": "computer", "reference": "PC-9", "partner": "Emmaüs Connect"},
    ),
    "device": ("get", "/devices/{device}/", None),
    "loans.list": ("get", "/loans/", None),
    "loans.create": (
        "post",
        "/loans/",
        lambda ids: {
            "device": ids["spare_device"],
            "case": str(ids["spare"]),
            "lent_on": ids["today"],
            "due_on": ids["today"],
            "condition_out": "Neuve",
        },
    ),
    "loan.end": ("post", "/loans/{loan}/end/", lambda ids: {"end": "returned", "ended_on": ids["today"]}),
}

ACTORS = ("anim", "manager", "anim.other", "manager.other", "cpe", "coord", "anonymous")
OK = "ok"
# fmt: off
# Columns: the group's animator, the centre's manager, other centre's animator and manager, school staff,
# coordinator, anonymous. Lists answer an empty page to another centre's staff (they staff a centre), 404 to others.
MATRIX = {
    "groups.list":        (OK,  OK,  OK,  OK,  404, 404, 401),
    "groups.create":      (403, OK,  403, 403, 404, 404, 401),
    "group":              (OK,  OK,  404, 404, 404, 404, 401),
    "group.close":        (403, OK,  404, 404, 404, 404, 401),
    "group.join":         (OK,  OK,  404, 404, 404, 404, 401),
    "group.leave":        (OK,  OK,  404, 404, 404, 404, 401),
    "group.sessions":     (OK,  OK,  404, 404, 404, 404, 401),
    "group.add_session":  (OK,  OK,  404, 404, 404, 404, 401),
    "group.plan":         (403, OK,  404, 404, 404, 404, 401),
    "session":            (OK,  OK,  404, 404, 404, 404, 401),
    "session.attendance": (OK,  OK,  404, 404, 404, 404, 401),
    "devices.list":       (OK,  OK,  OK,  OK,  404, 404, 401),
    "devices.create":     (403, OK,  403, 403, 404, 404, 401),
    "device":             (OK,  OK,  404, 404, 404, 404, 401),
    "loans.list":         (OK,  OK,  OK,  OK,  404, 404, 401),
    "loans.create":       (OK,  OK,  404, 404, 404, 404, 401),
    "loan.end":           (OK,  OK,  404, 404, 404, 404, 401),
}
# fmt: on
CELLS = [(name, actor, expected) for name, row in MATRIX.items() for actor, expected in zip(ACTORS, row, strict=True)]


@pytest.mark.parametrize(("endpoint", "actor", "expected"), CELLS)
def test_permission_matrix(world, endpoint, actor, expected):
    ids = build(world)
    method, path, body = ENDPOINTS[endpoint]
    url = API + path.format(**ids)
    client = client_for(user_of(world, actor))
    response = getattr(client, method)(url, body(ids) if callable(body) else body, format="json")
    if expected == OK:
        assert response.status_code in (200, 201, 204), (response.status_code, response.content[:300])
    else:
        assert_error(response, expected)


def test_another_centres_staff_list_nothing_of_this_centre(world):
    build(world)
    client = client_for(world.other_manager)
    for path in ("/groups/", "/devices/", "/loans/"):
        assert body_of(client.get(API + path))["results"] == []


def test_the_register_over_the_api_then_its_correction(world):
    ids = build(world)
    client = client_for(world.animator)
    url = f"{API}/sessions/{ids['session']}/attendance/"
    missing = client.put(url, {"attendance": []}, format="json")
    assert list(assert_error(missing, 400)["fields"]) == [f"attendance.{ids['member']}.presence"]
    taken = body_of(
        client.put(url, {"attendance": [{"case": str(ids["member"]), "presence": "absent"}]}, format="json")
    )
    assert taken["attendance_rate"] == 0.0 and taken["attendance"][0]["presence"] == "absent"
    corrected = client.put(
        url, {"attendance": [{"case": str(ids["member"]), "presence": "present", "note": "En retard"}]}, format="json"
    )
    assert body_of(corrected)["attendance"][0] | {"case": None} == {
        "case": None,
        "reference": taken["attendance"][0]["reference"],
        "pupil": taken["attendance"][0]["pupil"],
        "presence": "present",
        "attended": True,
        "note": "En retard",
    }
    tutoring = body_of(client.get(f"{API}/cases/{ids['member']}/tutoring/"))
    assert [(line["attended"], line["presence"], line["group_session"]) for line in tutoring] == [
        (True, "present", ids["session"])
    ]


def test_one_to_one_tutoring_still_works_beside_the_register(world):
    ids = build(world)
    client = client_for(world.animator)
    response = client.post(
        f"{API}/cases/{ids['member']}/tutoring/",
        {"on": ids["today"], "duration_minutes": 60, "attended": True},
        format="json",
    )
    assert body_of(response)["presence"] is None and response.status_code == 201
    too_long = client.post(
        f"{API}/cases/{ids['member']}/tutoring/",
        {"on": ids["today"], "duration_minutes": 600, "attended": True},
        format="json",
    )
    assert "duration_minutes" in assert_error(too_long, 400)["fields"]


def test_filters_are_checked_and_applied(world):
    ids = build(world)
    client = client_for(world.manager)
    assert "state" in assert_error(client.get(f"{API}/devices/?state=broken"), 400)["fields"]
    available = body_of(client.get(f"{API}/devices/?state=available"))["results"]
    assert [device["id"] for device in available] == [ids["spare_device"]]
    open_loans = body_of(client.get(f"{API}/loans/?open=true"))["results"]
    assert [loan["id"] for loan in open_loans] == [ids["loan"]]
    assert body_of(client.get(f"{API}/loans/?overdue=true"))["results"] == []
    assert body_of(client.get(f"{API}/groups/?closed=true"))["results"] == []


def test_device_kinds_are_refused_as_contact_supports(world):
    ids = build(world)
    response = client_for(world.animator).post(
        f"{API}/cases/{ids['member']}/supports/", {"kind": "device_tablet"}, format="json"
    )
    assert "kind" in assert_error(response, 400)["fields"]


def test_list_endpoints_cost_the_same_queries_whatever_their_size(world):
    ids = build(world)
    client = client_for(world.manager)
    scope = access_scope(world.manager)
    paths = ["/groups/", "/devices/", "/loans/", f"/sessions/{ids['session']}/", f"/groups/{ids['group']}/"]
    counts = []
    for _round in range(2):
        row = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(API + path).status_code == 200
            row.append(len(queries))
        counts.append(row)
        for n in range(5):
            case = factories.CaseFactory(in_progress=True, centre=world.centre)
            programmes.group_join(
                actor=world.manager, scope=scope, group=programmes.TutoringGroup.objects.get(pk=ids["group"]), case=case
            )
            device = devices.device_add(
                actor=world.manager, scope=scope, centre=world.centre, kind="tablet", reference=f"R{_round}-{n}"
            )
            devices.device_lend(
                actor=world.manager,
                scope=scope,
                device=device,
                case=case,
                lent_on=timezone.localdate(),
                due_on=timezone.localdate(),
                condition_out="Bon",
            )
            TutoringSession.objects.create(
                case=case,
                author=world.manager,
                on=timezone.localdate(),
                duration_minutes=90,
                attended=True,
                presence="present",
                group_session_id=ids["session"],
            )
    assert counts[0] == counts[1]


@pytest.mark.parametrize("query", ["device=3171815231971351465587376128", "centre=99999999999999999999999"])
def test_an_id_too_large_for_the_database_is_a_400_not_a_500(world, query):
    client = client_for(world.manager)
    url = f"{API}/loans/?{query}" if query.startswith("device") else f"{API}/devices/?{query}"
    response = client.get(url)
    assert response.status_code == 400 and response.json()["code"] == "invalid"
