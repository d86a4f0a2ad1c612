"""Family requests (GDPR arts. 15 to 21): recorded with their date, due a month later, answered with what was done;
a granted erasure anonymises the pupil at once; every step in the timeline and the access log."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from outreach import models as om
from outreach.family_requests import family_request_answer, family_request_record, one_month_after
from schools.domain_errors import ActionForbidden, InvalidInput, InvalidTransition
from schools.models import Pupil
from tests.api_helpers import make_case

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def case(world):
    return make_case(world, om.Status.IN_PROGRESS, details="Absent depuis la Toussaint.")


def record(world, case, kind="access", received_on=None) -> om.FamilyRequest:
    received_on = received_on or timezone.localdate() - timedelta(days=3)
    return family_request_record(actor=world.coordinator, case=case, kind=kind, received_on=received_on)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 3, 15), date(2026, 4, 15)),
        (date(2025, 12, 5), date(2026, 1, 5)),
    ],
)
def test_the_answer_is_due_one_month_after_receipt(received, due):
    assert one_month_after(received) == due


def test_recording_a_request_writes_its_event_and_access_log_entry(world, case):
    request = record(world, case, kind="rectification")

    assert request.due_on == one_month_after(request.received_on)
    event = om.CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.kind, event.actor) == (om.EventKind.FAMILY_REQUEST, world.coordinator)
    log = om.AccessLog.objects.filter(case=case).latest("pk")
    assert (log.what, log.detail, log.action) == ("family_request", "rectification", om.AccessAction.WRITE)


def test_only_a_coordinator_records_a_request_and_never_one_received_tomorrow(world, case):
    with pytest.raises(ActionForbidden):
        family_request_record(actor=world.manager, case=case, kind="access", received_on=timezone.localdate())
    with pytest.raises(InvalidInput):
        record(world, case, received_on=timezone.localdate() + timedelta(days=1))
    assert not om.FamilyRequest.objects.exists()


def test_answering_closes_the_request_once(world, case):
    request = record(world, case)

    family_request_answer(actor=world.coordinator, request_id=request.pk, decision="granted", response="Export remis.")

    request.refresh_from_db()
    assert (request.decision, request.response, request.closed_by) == ("granted", "Export remis.", world.coordinator)
    assert om.CaseEvent.objects.filter(case=case, kind=om.EventKind.FAMILY_REQUEST_ANSWERED).count() == 1
    with pytest.raises(InvalidTransition):
        family_request_answer(actor=world.coordinator, request_id=request.pk, decision="refused", response="Non.")
    with pytest.raises(InvalidInput):
        family_request_answer(
            actor=world.coordinator, request_id=record(world, case).pk, decision="granted", response=" "
        )


def test_a_granted_erasure_waits_for_the_cases_to_be_closed_then_anonymises_the_pupil(world, case):
    request = record(world, case, kind="erasure")

    with pytest.raises(InvalidTransition):
        family_request_answer(actor=world.coordinator, request_id=request.pk, decision="granted", response="Effacé.")
    om.Case.objects.filter(pk=case.pk).update(
        status=om.Status.CLOSED, outcome=om.Outcome.FAMILY_DECLINED, closed_at=timezone.now()
    )
    family_request_answer(actor=world.coordinator, request_id=request.pk, decision="granted", response="Effacé.")

    pupil = Pupil.objects.get(pk=case.pupil_id)
    assert pupil.anonymised_at == timezone.now() and pupil.last_name == ""
    assert om.Case.objects.get(pk=case.pk).details == ""
    assert om.CaseEvent.objects.filter(case=case, kind=om.EventKind.ANONYMISED, actor=world.coordinator).exists()


def test_a_refused_erasure_erases_nothing(world, case):
    request = record(world, case, kind="erasure")

    family_request_answer(
        actor=world.coordinator, request_id=request.pk, decision="refused", response="Dossier en cours."
    )

    assert Pupil.objects.get(pk=case.pupil_id).anonymised_at is None


def ui(message: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message)


def test_the_deadline_shows_on_the_coordinators_to_do_and_dashboard(client, world, case):
    late = record(world, case, received_on=timezone.localdate() - timedelta(days=40))
    other = make_case(world, om.Status.IN_PROGRESS)
    record(world, other)
    client.force_login(world.coordinator)

    todo = client.get("/todo/").content.decode()
    board = client.get("/dashboard/")

    assert ui("Family requests to answer") in todo
    assert f"/family-requests/{late.pk}/" in todo and "badge-overdue" in todo
    assert board.context["family_requests"] == {"open": 2, "late": 1}


def test_the_pages_record_and_answer_a_request(client, world, case):
    client.force_login(world.coordinator)

    received = timezone.localdate() - timedelta(days=10)
    created = client.post(f"/cases/{case.pk}/family-request/", {"kind": "access", "received_on": received.isoformat()})
    request = om.FamilyRequest.objects.get()
    answered = client.post(f"/family-requests/{request.pk}/", {"decision": "granted", "response": "Export remis."})
    bad = client.post(f"/cases/{case.pk}/family-request/", {"kind": "bogus", "received_on": ""})

    assert created.status_code == answered.status_code == 302
    assert (request.kind, request.received_on, request.due_on) == ("access", received, one_month_after(received))
    assert om.FamilyRequest.objects.get().decision == "granted"
    assert bad.status_code == 400 and om.FamilyRequest.objects.count() == 1


# (actor, answer) for each page: coordinators only; others 403, anonymous to the login page.
ACTORS = [
    ("coordinator", 200),
    ("school_staff", 403),
    ("other_school_staff", 403),
    ("animator", 403),
    ("manager", 403),
    ("nobody", 403),
    ("anonymous", 302),
]


@pytest.mark.parametrize(("actor", "answer"), ACTORS)
@pytest.mark.parametrize("page", ["list", "new", "request"])
def test_family_request_pages_are_for_coordinators_only(client, world, case, actor, answer, page):
    request = record(world, case)
    url = {
        "list": "/family-requests/",
        "new": f"/cases/{case.pk}/family-request/",
        "request": f"/family-requests/{request.pk}/",
    }[page]
    if actor != "anonymous":
        client.force_login(getattr(world, actor))

    assert client.get(url).status_code == answer
    assert client.post(
        url,
        {
            "kind": "access",
            "received_on": (timezone.localdate() - timedelta(days=11)).isoformat(),
            "decision": "granted",
            "response": "x",
        },
    ).status_code in (
        answer if answer != 200 else 302,
        405,
    )
    if answer != 200:
        assert om.FamilyRequest.objects.count() == 1 and om.FamilyRequest.objects.get().is_open


def test_an_unknown_request_or_case_is_a_404_for_a_coordinator(client, world):
    client.force_login(world.coordinator)

    assert client.get("/family-requests/999999/").status_code == 404
    assert client.get("/cases/00000000-0000-0000-0000-000000000000/family-request/").status_code == 404
