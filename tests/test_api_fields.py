"""Which fields each role gets (SPEC §4): exact key sets, so a new field fails here until it is placed.

- school staff: pupil identity and guardians, flag details; no closing note, no contact/tutoring notes
- animator, centre manager: everything
- coordinator: a pseudonymised pupil {key, initials, birth_year, level, school, neighbourhood}, no flag
  details, no notes; identity after a logged reveal, for that coordinator only
"""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone

from outreach import models as om
from outreach.roles import Role
from outreach.services import role_grant
from tests import factories
from tests.api_helpers import (
    API,
    body_of,
    client_for,
    flag_body,
    make_case,
    make_pupil,
    raw_text,
    world_fixtures,
)

api_world, world, fast_passwords = world_fixtures()

SUMMARY_KEYS = {
    "id",
    "reference",
    "status",
    "urgency",
    "reasons",
    "half_days_missed",
    "last_seen_on",
    "school",
    "centre",
    "animators",
    "outcome",
    "flagged_at",
    "routed_at",
    "accepted_at",
    "first_contact_at",
    "last_contact_at",
    "family_informed_on",
    "closed_at",
    "updated_at",
    "overdue",
    "overdue_reasons",
    "counts",
    "latest_return",
    "identity_visible",
    "details_to_check",
    "return_to_confirm",
    "pupil",
}
CASE_KEYS = {
    "school": SUMMARY_KEYS | {"details"},
    "centre": SUMMARY_KEYS | {"details", "outcome_note"},
    "coordinator": SUMMARY_KEYS,
}
IDENTITY_KEYS = {
    "id",
    "external_ref",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "level",
    "class_name",
    "address",
    "postcode",
    "city",
    "neighbourhood",
    "guardians",
}
GUARDIAN_KEYS = {"name", "relationship", "phone", "email", "language", "interpreter_needed"}
PSEUDONYMISED_KEYS = {"key", "initials", "birth_year", "level", "school", "neighbourhood"}
NESTED_KEYS = {
    "school": {"id", "uai", "name", "city"},
    "centre": {"id", "name"},
    "counts": {"contacts", "tutoring_sessions", "supports"},
}
RETURN_KEYS = {"attendance", "half_days_missed", "on"}
PERSON_KEYS = {"id", "name"}

CONTACT_KEYS = {
    "id",
    "kind",
    "occurred_at",
    "duration_minutes",
    "result",
    "supports",
    "next_step_due_on",
    "author",
    "created_at",
    "correctable_until",
}
CONTACT_NOTE_KEYS = {"notes", "next_step"}
TUTORING_KEYS = {
    "id",
    "on",
    "duration_minutes",
    "subjects",
    "attended",
    "presence",
    "group_session",
    "author",
    "created_at",
}
EVENT_KEYS = {"id", "at", "kind", "from_status", "to_status", "actor", "note", "note_withheld"}

# Who is who, by the kind of access SPEC §4 gives them.
ROLE_OF_ACTOR = {"school_staff": "school", "animator": "centre", "manager": "centre", "coordinator": "coordinator"}

# Markers: unique strings that must never reach someone not allowed to read them.
IDENTITY = {
    "first_name": "Zéphyrine",
    "last_name": "Quillardet",
    "address": "7 impasse Marqueur",
    "external_ref": "SECRET-REF-77",
}
GUARDIAN = {"name": "Ondine Quillardet", "phone": "0611223344", "email": "ondine@example.org"}
DETAILS = "DETAILS-MARKER absent depuis la rentrée"
NOTE_MARKERS = {
    "contact_notes": "NOTE-MARKER-contact",
    "next_step": "NOTE-MARKER-next-step",
    "tutoring_notes": "NOTE-MARKER-tutoring",
    "outcome_note": "NOTE-MARKER-closing",
}


def _pupil(world, **extra):
    pupil = make_pupil(
        world.school,
        birth_date=datetime.date(2013, 5, 2),
        neighbourhood="Wazemmes",
        **IDENTITY,
        **extra,
    )
    factories.GuardianFactory(pupil=pupil, **GUARDIAN)
    return pupil


@pytest.fixture
def full_case(world):
    """An in-progress case with a contact, a tutoring session and a return confirmation."""
    case = make_case(world, om.Status.IN_PROGRESS, pupil=_pupil(world), details=DETAILS)
    case.animators.add(world.animator)
    contact = factories.ContactFactory(
        case=case,
        author=world.animator,
        notes=NOTE_MARKERS["contact_notes"],
        next_step=NOTE_MARKERS["next_step"],
    )
    factories.SupportFactory(case=case, contact=contact, recorded_by=world.animator)
    factories.TutoringSessionFactory(case=case, author=world.animator, notes=NOTE_MARKERS["tutoring_notes"])
    factories.ReturnConfirmationFactory(case=case, recorded_by=world.school_staff)
    return case


def _get(user, url):
    response = client_for(user).get(url)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response


def _check_case_keys(item, role):
    assert set(item) == CASE_KEYS[role]
    for key, expected in NESTED_KEYS.items():
        assert set(item[key]) == expected, key
    assert all(set(person) == PERSON_KEYS for person in item["animators"])
    assert item["latest_return"] is None or set(item["latest_return"]) == RETURN_KEYS
    if role == "coordinator":
        assert set(item["pupil"]) == PSEUDONYMISED_KEYS
        assert item["identity_visible"] is False
    else:
        assert set(item["pupil"]) == IDENTITY_KEYS
        assert all(set(guardian) == GUARDIAN_KEYS for guardian in item["pupil"]["guardians"])
        assert item["identity_visible"] is True


@pytest.mark.parametrize("actor", list(ROLE_OF_ACTOR))
def test_case_detail_keys_per_role(world, full_case, actor):
    role = ROLE_OF_ACTOR[actor]
    item = body_of(_get(getattr(world, actor), f"{API}/cases/{full_case.pk}/"))
    _check_case_keys(item, role)


@pytest.mark.parametrize("actor", list(ROLE_OF_ACTOR))
def test_case_list_item_keys_per_role(world, full_case, actor):
    role = ROLE_OF_ACTOR[actor]
    body = body_of(_get(getattr(world, actor), f"{API}/cases/"))
    assert set(body) == {"next", "previous", "results"}
    (item,) = body["results"]
    _check_case_keys(item, role)


def test_closed_case_shows_the_closing_note_to_the_centre_only(world):
    case = make_case(world, om.Status.CLOSED, outcome_note=NOTE_MARKERS["outcome_note"])
    for actor, visible in (("school_staff", False), ("animator", True), ("manager", True), ("coordinator", False)):
        item = body_of(_get(getattr(world, actor), f"{API}/cases/{case.pk}/"))
        assert ("outcome_note" in item) is visible, actor
        assert item["outcome"] == om.Outcome.RETURNED_TO_SCHOOL  # the outcome itself is summary
        if visible:
            assert item["outcome_note"] == NOTE_MARKERS["outcome_note"]


def test_coordinator_sees_a_pseudonymised_pupil_and_nothing_identifying(world, full_case):
    for url in (f"{API}/cases/{full_case.pk}/", f"{API}/cases/"):
        response = _get(world.coordinator, url)
        text = raw_text(response)
        for marker in [*IDENTITY.values(), *GUARDIAN.values(), DETAILS]:
            assert marker not in text, marker
    pupil = body_of(_get(world.coordinator, f"{API}/cases/{full_case.pk}/"))["pupil"]
    assert pupil["initials"] == "Z.Q."
    assert pupil["birth_year"] == 2013
    assert pupil["level"] == full_case.pupil.level
    assert pupil["school"] == world.school.uai
    assert pupil["neighbourhood"] == "Wazemmes"
    assert re.fullmatch(r"P-[0-9A-F]{10}", pupil["key"])
    again = body_of(_get(world.coordinator, f"{API}/cases/"))["results"][0]["pupil"]["key"]
    assert again == pupil["key"], "the pupil key must be stable"


def test_reveal_shows_identity_to_that_coordinator_only(world, full_case):
    untouched = make_case(world, pupil=make_pupil(world.school, first_name="Anatole", last_name="Brisebarre"))
    other_coordinator = factories.UserFactory(username="coord.two")
    role_grant(user=other_coordinator, role=Role.COORDINATOR)
    response = client_for(world.coordinator).post(
        f"{API}/cases/{full_case.pk}/reveal/", {"reason": "Demande du juge des enfants"}, format="json"
    )
    assert response.status_code == 200
    revealed = body_of(response)
    assert revealed["identity_visible"] is True
    assert set(revealed["pupil"]) == IDENTITY_KEYS
    assert revealed["pupil"]["first_name"] == IDENTITY["first_name"]
    # A reveal opens identity and the flag details, never the notes.
    assert set(revealed) == CASE_KEYS["coordinator"] | {"details"}
    for url in (f"{API}/cases/{full_case.pk}/", f"{API}/cases/"):
        text = raw_text(_get(world.coordinator, url))
        assert IDENTITY["last_name"] in text
        other_text = raw_text(_get(other_coordinator, url))
        for marker in [*IDENTITY.values(), *GUARDIAN.values(), DETAILS]:
            assert marker not in other_text, marker
    assert body_of(_get(other_coordinator, f"{API}/cases/{full_case.pk}/"))["identity_visible"] is False
    listed = {item["id"]: item for item in body_of(_get(world.coordinator, f"{API}/cases/"))["results"]}
    assert set(listed[str(untouched.pk)]["pupil"]) == PSEUDONYMISED_KEYS, "a reveal opens one case, not all"
    assert "Brisebarre" not in raw_text(_get(world.coordinator, f"{API}/cases/"))
    assert om.AccessLog.objects.filter(user=world.coordinator, action=om.AccessAction.REVEAL).count() == 1


def test_reveal_requires_a_reason(world, full_case):
    response = client_for(world.coordinator).post(f"{API}/cases/{full_case.pk}/reveal/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in body_of(response)["fields"]
    assert body_of(_get(world.coordinator, f"{API}/cases/{full_case.pk}/"))["identity_visible"] is False


@pytest.mark.parametrize("actor", list(ROLE_OF_ACTOR))
def test_contact_tutoring_and_event_keys_per_role(world, full_case, actor):
    notes = ROLE_OF_ACTOR[actor] == "centre"
    user = getattr(world, actor)
    (contact,) = body_of(_get(user, f"{API}/cases/{full_case.pk}/contacts/"))
    assert set(contact) == CONTACT_KEYS | (CONTACT_NOTE_KEYS if notes else set())
    # A support's detail is free text: a pseudonymised caller gets the kind only.
    detail = "" if actor == "coordinator" else "Tablette prêtée par Emmaüs Connect"
    assert contact["supports"] == [{"kind": "device_tablet", "detail": detail}]
    (session,) = body_of(_get(user, f"{API}/cases/{full_case.pk}/tutoring/"))
    assert set(session) == TUTORING_KEYS | ({"notes"} if notes else set())
    factories.CaseEventFactory(case=full_case, actor=world.animator, kind=om.EventKind.ACCEPTED)
    events = body_of(_get(user, f"{API}/cases/{full_case.pk}/events/"))
    assert events and all(set(event) == EVENT_KEYS for event in events)


def test_closing_note_stays_out_of_the_timeline_for_school_and_coordinator(world, full_case):
    response = client_for(world.animator).post(
        f"{API}/cases/{full_case.pk}/close/",
        {"outcome": "returned_to_school", "note": NOTE_MARKERS["outcome_note"]},
        format="json",
    )
    assert response.status_code == 200
    for actor, visible in (("school_staff", False), ("coordinator", False), ("animator", True), ("manager", True)):
        events = body_of(_get(getattr(world, actor), f"{API}/cases/{full_case.pk}/events/"))
        (closed,) = [event for event in events if event["kind"] == om.EventKind.CLOSED]
        assert closed["note"] == (NOTE_MARKERS["outcome_note"] if visible else ""), actor


def test_workflow_notes_stay_in_the_timeline_for_everyone(world):
    """A decline reason is workflow, not about the family: the school sees why its flag came back."""
    case = make_case(world, om.Status.ROUTED)
    response = client_for(world.manager).post(
        f"{API}/cases/{case.pk}/decline/", {"reason": "Hors de notre secteur"}, format="json"
    )
    assert response.status_code == 204
    events = body_of(_get(world.school_staff, f"{API}/cases/{case.pk}/events/"))
    assert [event["note"] for event in events if event["kind"] == om.EventKind.DECLINED] == ["Hors de notre secteur"]


# Notes never reach school staff or coordinators, anywhere ----------------------------------------


@pytest.fixture
def noted_cases(world):
    """An in-progress case and a closed one, every kind of note carrying a marker."""
    open_case = make_case(world, om.Status.IN_PROGRESS)
    open_case.animators.add(world.animator)
    closed = make_case(world, om.Status.IN_PROGRESS)
    for case in (open_case, closed):
        factories.ContactFactory(
            case=case, author=world.animator, notes=NOTE_MARKERS["contact_notes"], next_step=NOTE_MARKERS["next_step"]
        )
        factories.TutoringSessionFactory(case=case, author=world.animator, notes=NOTE_MARKERS["tutoring_notes"])
    response = client_for(world.animator).post(
        f"{API}/cases/{closed.pk}/close/",
        {"outcome": "referred", "note": NOTE_MARKERS["outcome_note"]},
        format="json",
    )
    assert response.status_code == 200
    closed.refresh_from_db()
    assert closed.outcome_note == NOTE_MARKERS["outcome_note"]
    return open_case, closed


def _assert_no_notes(response, where):
    assert response.status_code < 300, (where, response.status_code, response.content[:300])
    text = raw_text(response)
    for name, marker in NOTE_MARKERS.items():
        assert marker not in text, f"{name} leaked in {where}"
    assert "NOTE-MARKER" not in text, where


def _report_urls():
    for group_by in ("centre", "school", "month", "reason", "neighbourhood"):
        yield f"{API}/reports/outcomes/?group_by={group_by}"
        yield f"{API}/reports/outcomes/?group_by={group_by}&format=csv"


def test_no_note_reaches_school_staff_in_any_response(world, pupil_data, noted_cases):
    open_case, closed = noted_cases
    client = client_for(world.school_staff)
    reads = [
        f"{API}/me/",
        f"{API}/schools/",
        f"{API}/centres/",
        f"{API}/neighbourhoods/",
        f"{API}/cases/",
        f"{API}/cases/?q={open_case.reference}",
        *_report_urls(),
    ]
    for case in (open_case, closed):
        reads += [f"{API}/cases/{case.pk}/{child}" for child in ("", "contacts/", "tutoring/", "events/")]
    for url in reads:
        _assert_no_notes(client.get(url), url)
    pupil = open_case.pupil
    existing = flag_body(world, pupil_data, external_ref=pupil.external_ref)
    existing["pupil"].update(first_name=pupil.first_name, last_name=pupil.last_name)
    writes = [
        ("patch", f"{API}/cases/{open_case.pk}/", {"urgency": "high"}),
        ("post", f"{API}/cases/{open_case.pk}/family-notice/", {"on": str(timezone.localdate()), "channel": "sms"}),
        ("post", f"{API}/cases/", existing),
        ("post", f"{API}/cases/bulk/", [existing]),
        (
            "post",
            f"{API}/cases/{closed.pk}/confirm-return/",
            {"attendance": "full", "half_days_missed": 0, "on": str(timezone.localdate())},
        ),
        ("post", f"{API}/cases/{open_case.pk}/withdraw/", {"note": "Revenu"}),
    ]
    for method, url, body in writes:
        _assert_no_notes(getattr(client, method)(url, body, format="json"), f"{method} {url}")


def test_no_note_reaches_a_coordinator_in_any_response(world, noted_cases):
    open_case, closed = noted_cases
    client = client_for(world.coordinator)
    reads = [
        f"{API}/me/",
        f"{API}/cases/",
        f"{API}/cases/?q={closed.reference}",
        f"{API}/reports/funders/",
        f"{API}/audit/access/",
        *_report_urls(),
    ]
    for case in (open_case, closed):
        reads += [f"{API}/cases/{case.pk}/{child}" for child in ("", "contacts/", "tutoring/", "events/")]
    for url in reads:
        _assert_no_notes(client.get(url), url)
    writes = [
        ("post", f"{API}/cases/{open_case.pk}/reveal/", {"reason": "Signalement"}),
        ("post", f"{API}/cases/{closed.pk}/reveal/", {"reason": "Signalement"}),
        ("post", f"{API}/cases/{open_case.pk}/route/", {"centre": world.other_centre.pk}),
        ("post", f"{API}/cases/{closed.pk}/reopen/", {"note": "Nouvelles absences"}),
    ]
    for method, url, body in writes:
        _assert_no_notes(getattr(client, method)(url, body, format="json"), f"{method} {url}")
    # After the reveal, identity is shown to this coordinator, notes still are not.
    for case in (open_case, closed):
        for child in ("", "contacts/", "tutoring/", "events/"):
            _assert_no_notes(client.get(f"{API}/cases/{case.pk}/{child}"), f"revealed {child}")


def test_pupil_export_is_the_coordinators_one_route_to_notes(world, noted_cases):
    """SPEC §5: the right-of-access export holds everything about one pupil, notes included; logged."""
    _open_case, closed = noted_cases
    response = client_for(world.coordinator).get(f"{API}/pupils/{closed.pupil_id}/export/")
    assert response.status_code == 200
    text = raw_text(response)
    assert all(marker in text for marker in NOTE_MARKERS.values())
    assert response["Cache-Control"] == "no-store"
    assert om.AccessLog.objects.filter(user=world.coordinator, action=om.AccessAction.EXPORT).count() == 1


def test_outcome_csv_has_no_personal_column(world, noted_cases):
    response = _get(world.school_staff, f"{API}/reports/outcomes/?group_by=school&format=csv")
    header = next(csv.reader(io.StringIO(raw_text(response))))
    assert header == ["school", "label", "total", *om.Outcome.values]


# Unknown and read-only keys in a request change nothing ------------------------------------------

READ_ONLY_NOISE = {
    "id": "00000000-0000-0000-0000-000000000001",
    "reference": "R-2001-00001",
    "status": "closed",
    "outcome": "moved_away",
    "outcome_note": "forged",
    "centre": 999,
    "animators": [1],
    "flagged_at": "2001-01-01T00:00:00Z",
    "closed_at": "2001-01-01T00:00:00Z",
    "identity_visible": True,
    "overdue": True,
}


def test_flag_ignores_read_only_keys(world, pupil_data):
    body = flag_body(world, pupil_data) | READ_ONLY_NOISE
    response = client_for(world.school_staff).post(f"{API}/cases/", body, format="json")
    assert response.status_code == 201
    case = om.Case.objects.get(pk=body_of(response)["id"])
    assert str(case.pk) != READ_ONLY_NOISE["id"]
    assert case.reference != READ_ONLY_NOISE["reference"]
    assert case.status == om.Status.ROUTED and case.centre == world.centre  # routed by the pupil's neighbourhood
    assert case.outcome == "" and case.outcome_note == "" and case.closed_at is None
    assert case.flagged_at.year == timezone.now().year
    assert list(case.animators.all()) == []


def test_patch_ignores_read_only_keys(world):
    case = make_case(world, om.Status.ROUTED)
    before = om.Case.objects.values().get(pk=case.pk)
    response = client_for(world.school_staff).patch(
        f"{API}/cases/{case.pk}/", READ_ONLY_NOISE | {"school": world.other_school.uai}, format="json"
    )
    assert response.status_code in (200, 400)
    after = om.Case.objects.values().get(pk=case.pk)
    changed = {key for key in before if before[key] != after[key]} - {"updated_at"}
    assert changed == set()
    response = client_for(world.school_staff).patch(
        f"{API}/cases/{case.pk}/", READ_ONLY_NOISE | {"urgency": "high"}, format="json"
    )
    assert response.status_code == 200
    after = om.Case.objects.values().get(pk=case.pk)
    assert {key for key in before if before[key] != after[key]} == {"urgency", "updated_at"}


def test_actions_and_logs_ignore_read_only_keys(world):
    case = make_case(world, om.Status.ROUTED)
    client = client_for(world.manager)
    response = client.post(f"{API}/cases/{case.pk}/accept/", READ_ONLY_NOISE, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == om.Status.IN_PROGRESS and case.outcome == "" and case.centre == world.centre
    contact = {
        "kind": "phone_call",
        "occurred_at": timezone.now().isoformat(),
        "result": "no_answer",
        "author": world.coordinator.pk,
        "created_at": "2001-01-01T00:00:00Z",
        "id": 424242,
        "case": "00000000-0000-0000-0000-000000000001",
    }
    response = client.post(f"{API}/cases/{case.pk}/contacts/", contact, format="json")
    assert response.status_code == 201
    created = om.Contact.objects.get(pk=body_of(response)["id"])
    assert created.author == world.manager and created.case_id == case.pk and created.pk != 424242
    assert created.created_at.year == timezone.now().year
    tutoring = {"on": str(timezone.localdate()), "duration_minutes": 45, "author": world.coordinator.pk, "id": 4242}
    response = client.post(f"{API}/cases/{case.pk}/tutoring/", tutoring, format="json")
    assert response.status_code == 201
    session = om.TutoringSession.objects.get(pk=body_of(response)["id"])
    assert session.author == world.manager and session.case_id == case.pk
    correction = {"author": world.coordinator.pk, "case": "x", "created_at": "2001-01-01T00:00:00Z", "notes": "ok"}
    response = client.patch(f"{API}/cases/{case.pk}/contacts/{created.pk}/", correction, format="json")
    assert response.status_code in (200, 400)
    created.refresh_from_db()
    assert created.author == world.manager and created.case_id == case.pk
