"""Need-to-know, as a table: for each role (and a coordinator before and after a reveal) and each piece of text
about a pupil, whether the caller reads it, through the API and through the web pages.

The table is written by hand from SPEC §4 and §9 ("a pseudonymised caller never sees free text about the pupil,
event notes included"), not computed from outreach/redaction.py, so a wrong rule there makes a cell fail. Every
marker is a unique string planted in one place of one case; a cell reads every response and page a role can open
on that case and looks for the marker.
"""

import pytest
from django.utils import timezone

from outreach import models as om
from outreach.services import identity_reveal
from tests import factories
from tests.api_helpers import API, client_for, make_case, make_pupil, raw_text, world_fixtures

api_world, world, fast_passwords = world_fixtures()

Y, N = True, False
ACTORS = ("school_staff", "animator", "manager", "coordinator", "revealed")

# fmt: off
# Columns: school staff, animator, manager (all of the case's school or centre), coordinator, coordinator after a
# reveal of this case.
TABLE = {
    # identity: the pupil, the guardians, the flag's details
    "first_name":      (Y, Y, Y, N, Y),
    "guardian_phone":  (Y, Y, Y, N, Y),
    "flag_details":    (Y, Y, Y, N, Y),
    "support_detail":  (Y, Y, Y, N, Y),
    # notes about the family: the centre's only
    "contact_notes":   (N, Y, Y, N, N),
    "next_step":       (N, Y, Y, N, N),
    "tutoring_notes":  (N, Y, Y, N, N),
    "outcome_note":    (N, Y, Y, N, N),
    "closing_event":   (N, Y, Y, N, N),
    "reveal_reason":   (N, N, N, N, N),
    # workflow notes a person wrote: whoever may see the pupil, never a pseudonymised reader
    "route_note":      (Y, Y, Y, N, Y),
    "decline_note":    (Y, Y, Y, N, Y),
    "reopen_note":     (Y, Y, Y, N, Y),
    "withdraw_note":   (Y, Y, Y, N, Y),
    # notes the services compose from staff names: everyone
    "assign_note":     (Y, Y, Y, Y, Y),
}
# fmt: on

MARKERS = {field: f"Mk{field.replace('_', '')}Zq" for field in TABLE}


@pytest.fixture
def marked_case(world):
    """One case of world.school routed to world.centre, closed, with every marker planted once."""
    pupil = make_pupil(world.school, first_name=MARKERS["first_name"])
    factories.GuardianFactory(pupil=pupil, phone=MARKERS["guardian_phone"])
    case = make_case(
        world,
        om.Status.CLOSED,
        pupil=pupil,
        details=MARKERS["flag_details"],
        outcome_note=MARKERS["outcome_note"],
    )
    contact = factories.ContactFactory(
        case=case, author=world.animator, notes=MARKERS["contact_notes"], next_step=MARKERS["next_step"]
    )
    factories.SupportFactory(case=case, contact=contact, recorded_by=world.animator, detail=MARKERS["support_detail"])
    factories.TutoringSessionFactory(case=case, author=world.animator, notes=MARKERS["tutoring_notes"])
    events = {
        "route_note": om.EventKind.ROUTED,
        "decline_note": om.EventKind.DECLINED,
        "reopen_note": om.EventKind.REOPENED,
        "withdraw_note": om.EventKind.WITHDRAWN,
        "assign_note": om.EventKind.ASSIGNED,
        "closing_event": om.EventKind.CLOSED,
        "reveal_reason": om.EventKind.IDENTITY_REVEALED,
    }
    for field, kind in events.items():
        factories.CaseEventFactory(case=case, actor=world.coordinator, kind=kind, note=MARKERS[field])
    return case


def _reader(world, actor: str, case):
    """The user behind a column; "revealed" is the coordinator after a logged reveal of this case."""
    if actor == "revealed":
        coordinator = factories.UserFactory(username="coord.revealer")
        from outreach.roles import Role
        from outreach.services import role_grant

        role_grant(user=coordinator, role=Role.COORDINATOR)
        identity_reveal(actor=coordinator, case=case, reason="Demande du juge", now=timezone.now())
        return coordinator
    return getattr(world, actor)


def _api_text(user, case) -> str:
    client = client_for(user)
    paths = ["", "contacts/", "tutoring/", "supports/", "events/"]
    texts = [raw_text(client.get(f"{API}/cases/{case.pk}/{path}")) for path in paths]
    texts.append(raw_text(client.get(f"{API}/cases/?status=closed")))
    return "\n".join(texts)


def _web_text(client, user, case) -> str:
    client.force_login(user)
    pages = [f"/cases/{case.pk}/", "/cases/?status=closed"]
    return "\n".join(client.get(page).content.decode() for page in pages)


CELLS = [(field, actor, visible) for field, row in TABLE.items() for actor, visible in zip(ACTORS, row, strict=True)]


@pytest.mark.parametrize("door", ["api", "web"])
@pytest.mark.parametrize("actor", ACTORS)
def test_redaction_table(client, world, marked_case, actor, door):
    user = _reader(world, actor, marked_case)
    text = _api_text(user, marked_case) if door == "api" else _web_text(client, user, marked_case)
    seen = {field: MARKERS[field] in text for field in TABLE}
    expected = {field: row[ACTORS.index(actor)] for field, row in TABLE.items()}
    assert seen == expected


def test_the_table_covers_every_event_kind_with_a_note_a_person_writes():
    """A new kind of event with free text must get a row here before it reaches a reader."""
    written_by_people = {
        om.EventKind.ROUTED,
        om.EventKind.DECLINED,
        om.EventKind.REOPENED,
        om.EventKind.WITHDRAWN,
        om.EventKind.CLOSED,
        om.EventKind.IDENTITY_REVEALED,
        om.EventKind.ASSIGNED,
    }
    generated_without_note = {
        om.EventKind.FLAGGED,
        om.EventKind.FLAG_UPDATED,
        om.EventKind.AUTO_ROUTED,
        om.EventKind.ACCEPTED,
        om.EventKind.CONTACT_LOGGED,
        om.EventKind.CONTACT_CORRECTED,
        om.EventKind.TUTORING_LOGGED,
        om.EventKind.SUPPORT_RECORDED,
        om.EventKind.FAMILY_INFORMED,
        om.EventKind.RETURN_CONFIRMED,
        om.EventKind.HANDED_OVER,
        om.EventKind.DETAILS_TO_CHECK,
        om.EventKind.DETAILS_UPDATED,
        om.EventKind.ATTENDANCE_CORRECTED,
        om.EventKind.ANONYMISED,
        om.EventKind.FAMILY_REQUEST,
        om.EventKind.FAMILY_REQUEST_ANSWERED,
    }
    # Notes the services copy from the centre's own records: a group's name, a device's kind and reference.
    named_after_records = {
        om.EventKind.GROUP_JOINED,
        om.EventKind.GROUP_LEFT,
        om.EventKind.DEVICE_LENT,
        om.EventKind.DEVICE_RETURNED,
        om.EventKind.DEVICE_GIVEN,
    }
    assert written_by_people | generated_without_note | named_after_records == set(om.EventKind.values)


@pytest.mark.parametrize("door", ["api", "web"])
def test_search_cannot_unmask_a_pupil(client, world, marked_case, door):
    """A pseudonymised coordinator searching a pupil's name or number finds nothing; school staff find the case."""
    pupil = marked_case.pupil
    for query in (MARKERS["first_name"], pupil.external_ref):
        for user, found in ((world.coordinator, False), (world.school_staff, True)):
            if door == "api":
                text = raw_text(client_for(user).get(f"{API}/cases/", {"q": query, "status": "closed"}))
            else:
                client.force_login(user)
                text = client.get("/cases/", {"q": query, "status": "closed"}).content.decode()
            assert (marked_case.reference in text) is found, (door, user.username, query)
