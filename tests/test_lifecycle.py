"""Every lifecycle service of outreach/services.py: legal and illegal transitions, bad input, permissions.

Cases are written straight to the database in the state a test needs (make_case); the services under
test are then called directly, as the API and the web views do after the access gate.
"""

import itertools
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from guardian.shortcuts import assign_perm

from outreach import services
from outreach.access import access_scope
from outreach.audit import request_ip
from outreach.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseEvent,
    CaseReason,
    CaseUserObjectPermission,
    CentreUserObjectPermission,
    Contact,
    EventKind,
    FamilyNotice,
    Outcome,
    ReferenceCounter,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
)
from outreach.roles import ROLE_PERMISSIONS, Role
from schools.domain_errors import ActionForbidden, InvalidInput, InvalidTransition
from schools.models import Guardian, Pupil, SchoolUserObjectPermission
from schools.permissions import Action
from tests import factories

pytestmark = pytest.mark.django_db

FLAGGED, ROUTED, IN_PROGRESS, CLOSED = Status.FLAGGED, Status.ROUTED, Status.IN_PROGRESS, Status.CLOSED
_references = itertools.count(1)


@pytest.fixture
def ip():
    """Sets the request's address as the middleware does, and resets it afterwards."""
    token = request_ip.set("203.0.113.7")
    yield "203.0.113.7"
    request_ip.reset(token)


def make_case(world, status=FLAGGED, *, centre="default", animators=(), pupil=None, **fields):
    """A case in the given state, written straight to the database a day ago, without events or logs."""
    pupil = pupil or factories.PupilFactory(school=world.school, neighbourhood="Wazemmes", postcode="59000")
    if centre == "default":
        centre = None if status == FLAGGED else world.centre
    earlier = timezone.now() - timedelta(days=1)
    values = {
        "reference": f"R-2000-{next(_references):05d}",
        "pupil": pupil,
        "school": pupil.school,
        "status": status,
        "centre": centre,
        "half_days_missed": 6,
        "flagged_by": world.school_staff,
        "flagged_at": earlier,
        "status_changed_at": earlier,
        "routed_at": earlier if centre else None,
        "accepted_at": earlier if status == IN_PROGRESS else None,
    }
    if status == CLOSED:
        values.update(outcome=Outcome.RETURNED_TO_SCHOOL, outcome_note="Retour en classe", closed_at=earlier)
    values.update(fields)
    case = Case.objects.create(**values)
    case.animators.set(animators)
    CaseReason.objects.create(case=case, reason="long_absence")
    return case


def snapshot(case=None) -> dict:
    """Everything a service might write; equal before and after means nothing was written."""
    state = {
        model.__name__: model.objects.count()
        for model in (
            Case,
            CaseEvent,
            AccessLog,
            CaseReason,
            Contact,
            Support,
            TutoringSession,
            FamilyNotice,
            ReturnConfirmation,
            Pupil,
            Guardian,
            CaseUserObjectPermission,
            ReferenceCounter,
        )
    }
    if case is not None:
        case_row = Case.objects.filter(pk=case.pk).values().get()
        state["case"] = case_row
        state["animators"] = set(Case.objects.get(pk=case.pk).animators.values_list("pk", flat=True))
        state["reasons"] = sorted(CaseReason.objects.filter(case=case).values_list("reason", flat=True))
        state["pupil"] = Pupil.objects.filter(pk=case.pupil_id).values().get()
        state["contacts"] = list(Contact.objects.filter(case=case).values().order_by("pk"))
    return state


def _actions(world):
    now, today = timezone.now(), timezone.localdate()
    return {
        "route": (services.case_route, {"centre": world.other_centre, "note": "Quartier limitrophe"}),
        "route_same": (services.case_route, {"centre": world.centre}),
        "accept": (services.case_accept, {}),
        "decline": (services.case_decline, {"reason": "Plus de place cette année"}),
        "assign": (services.case_assign, {"animators": [world.animator]}),
        "close": (services.case_close, {"outcome": Outcome.RETURNED_TO_SCHOOL, "note": "Retour en classe"}),
        "withdraw": (services.case_withdraw, {"note": "Élève revenu en cours"}),
        "reopen": (services.case_reopen, {"note": "Nouvelles absences"}),
        "contact": (
            services.contact_log,
            {"kind": "home_visit", "occurred_at": now - timedelta(hours=1), "result": "reached_family"},
        ),
        "tutoring": (services.tutoring_log, {"on": today, "duration_minutes": 60}),
        "support": (services.support_record, {"kind": "device_pc"}),
        "notice": (services.family_notice_record, {"on": today, "channel": "letter"}),
        "return": (services.return_confirm, {"attendance": "full", "half_days_missed": 0, "on": today}),
        "update_flag": (services.case_update_flag, {"changes": {"urgency": "high"}}),
        "reveal": (services.identity_reveal, {"reason": "Demande du juge des enfants"}),
    }


def act(world, action, actor, case, **overrides):
    service, kwargs = _actions(world)[action]
    return service(actor=getattr(world, actor), case=case, **{**kwargs, **overrides})


def only_event(case) -> CaseEvent:
    return CaseEvent.objects.get(case=case)


def only_log(case) -> AccessLog:
    return AccessLog.objects.get(case=case)


# Legal transitions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "actor", "from_status", "to_status", "kind", "note"),
    [
        ("route", "coordinator", FLAGGED, ROUTED, EventKind.ROUTED, "Quartier limitrophe"),
        ("route", "coordinator", ROUTED, ROUTED, EventKind.ROUTED, "Quartier limitrophe"),
        ("route", "coordinator", IN_PROGRESS, ROUTED, EventKind.ROUTED, "Quartier limitrophe"),
        ("accept", "manager", ROUTED, IN_PROGRESS, EventKind.ACCEPTED, ""),
        ("accept", "coordinator", ROUTED, IN_PROGRESS, EventKind.ACCEPTED, ""),
        ("decline", "manager", ROUTED, FLAGGED, EventKind.DECLINED, "Plus de place cette année"),
        ("decline", "coordinator", ROUTED, FLAGGED, EventKind.DECLINED, "Plus de place cette année"),
        ("close", "animator", IN_PROGRESS, CLOSED, EventKind.CLOSED, "Retour en classe"),
        ("close", "manager", IN_PROGRESS, CLOSED, EventKind.CLOSED, "Retour en classe"),
        ("close", "coordinator", IN_PROGRESS, CLOSED, EventKind.CLOSED, "Retour en classe"),
        ("withdraw", "school_staff", FLAGGED, CLOSED, EventKind.WITHDRAWN, "Élève revenu en cours"),
        ("withdraw", "school_staff", ROUTED, CLOSED, EventKind.WITHDRAWN, "Élève revenu en cours"),
        ("withdraw", "school_staff", IN_PROGRESS, CLOSED, EventKind.WITHDRAWN, "Élève revenu en cours"),
        ("reopen", "coordinator", CLOSED, IN_PROGRESS, EventKind.REOPENED, "Nouvelles absences"),
    ],
)
def test_legal_transition(world, action, actor, from_status, to_status, kind, note):
    case = make_case(world, from_status)
    before = Case.objects.get(pk=case.pk)
    result = act(world, action, actor, case)
    assert result.status == to_status
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == to_status
    assert stored.status_changed_at > before.status_changed_at
    event = only_event(case)
    assert (event.kind, event.from_status, event.to_status, event.actor, event.note) == (
        kind,
        from_status,
        to_status,
        getattr(world, actor),
        note,
    )
    log = only_log(case)
    assert (log.user, log.action, log.what, log.pupil_id, log.ip_address) == (
        getattr(world, actor),
        AccessAction.WRITE,
        kind,
        case.pupil_id,
        None,
    )


def test_access_log_records_the_request_address(world, ip):
    case = make_case(world, ROUTED)
    services.case_accept(actor=world.manager, case=case)
    services.contact_log(
        actor=world.animator, case=case, kind="phone_call", occurred_at=timezone.now(), result="no_answer"
    )
    assert list(AccessLog.objects.filter(case=case).values_list("ip_address", flat=True)) == [ip, ip]


def test_route_sets_centre_and_clears_acceptance_and_animators(world):
    case = make_case(world, IN_PROGRESS, animators=[world.animator, world.manager])
    services.case_route(actor=world.coordinator, case=case, centre=world.other_centre)
    case = Case.objects.get(pk=case.pk)
    assert case.centre == world.other_centre
    assert case.accepted_at is None
    assert case.routed_at == case.status_changed_at
    assert list(case.animators.all()) == []
    assert only_log(case).detail == f"centre={world.other_centre.pk}"


def test_route_from_triage_to_the_covering_centre(world):
    case = make_case(world, FLAGGED)
    services.case_route(actor=world.coordinator, case=case, centre=world.centre)
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.centre, case.routed_at is not None) == (ROUTED, world.centre, True)


def test_accept_sets_accepted_at(world):
    case = make_case(world, ROUTED)
    services.case_accept(actor=world.manager, case=case)
    case = Case.objects.get(pk=case.pk)
    assert case.accepted_at is not None
    assert case.accepted_at == case.status_changed_at
    assert case.centre == world.centre


def test_decline_sends_back_to_triage_without_centre_nor_animators(world):
    case = make_case(world, ROUTED)
    services.case_assign(actor=world.manager, case=case, animators=[world.animator])
    services.case_decline(actor=world.manager, case=case, reason="  Hors secteur  ")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.centre, case.routed_at) == (FLAGGED, None, None)
    assert list(case.animators.all()) == []
    event = CaseEvent.objects.get(case=case, kind=EventKind.DECLINED)
    assert event.note == "Hors secteur"
    assert AccessLog.objects.get(case=case, what=EventKind.DECLINED).detail == f"centre={world.centre.pk}"
    # The declining centre no longer sees the case as one of its own.
    assert not access_scope(world.manager).can(Action.VIEW_SUMMARY, case)


@pytest.mark.parametrize("outcome", Outcome.values)
def test_close_records_outcome_note_and_closed_at(world, outcome):
    case = make_case(world, IN_PROGRESS)
    services.case_close(actor=world.animator, case=case, outcome=outcome, note="  Fin du suivi ")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.outcome, case.outcome_note) == (CLOSED, outcome, "Fin du suivi")
    assert case.closed_at == case.status_changed_at
    assert only_log(case).detail == f"outcome={outcome}"


@pytest.mark.parametrize("status", [FLAGGED, ROUTED, IN_PROGRESS])
def test_withdraw_closes_as_resolved_by_school(world, status):
    case = make_case(world, status)
    services.case_withdraw(actor=world.school_staff, case=case, note="Revenu en classe")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.outcome) == (CLOSED, Outcome.RESOLVED_BY_SCHOOL)
    assert case.closed_at is not None
    assert only_event(case).kind == EventKind.WITHDRAWN


@pytest.mark.parametrize(("centre", "expected"), [("default", IN_PROGRESS), (None, FLAGGED)])
def test_reopen_goes_back_to_the_centre_or_to_triage(world, centre, expected):
    case = make_case(world, CLOSED, centre=centre)
    services.case_reopen(actor=world.coordinator, case=case, note="Absences reprises")
    case = Case.objects.get(pk=case.pk)
    assert case.status == expected
    assert (case.outcome, case.closed_at) == ("", None)
    event = only_event(case)
    assert (event.from_status, event.to_status, event.note) == (CLOSED, expected, "Absences reprises")


def test_reopen_refused_when_the_pupil_has_another_open_case(world):
    closed = make_case(world, CLOSED)
    make_case(world, FLAGGED, pupil=closed.pupil)
    before = snapshot(closed)
    with pytest.raises(InvalidTransition):
        services.case_reopen(actor=world.coordinator, case=closed, note="Erreur de clôture")
    assert snapshot(closed) == before


def test_whole_lifecycle_leaves_an_ordered_timeline(world):
    case = make_case(world, FLAGGED)
    case = services.case_route(actor=world.coordinator, case=case, centre=world.centre)
    case = services.case_decline(actor=world.manager, case=case, reason="Complet")
    case = services.case_route(actor=world.coordinator, case=case, centre=world.other_centre)
    case = services.case_accept(actor=world.other_manager, case=case)
    case = services.case_close(actor=world.other_animator, case=case, outcome="referred")
    case = services.case_reopen(actor=world.coordinator, case=case, note="Rechute")
    assert (case.status, case.centre) == (IN_PROGRESS, world.other_centre)
    transitions = list(CaseEvent.objects.filter(case=case).values_list("kind", "from_status", "to_status"))
    assert transitions == [
        ("routed", "flagged", "routed"),
        ("declined", "routed", "flagged"),
        ("routed", "flagged", "routed"),
        ("accepted", "routed", "in_progress"),
        ("closed", "in_progress", "closed"),
        ("reopened", "closed", "in_progress"),
    ]
    assert AccessLog.objects.filter(case=case).count() == len(transitions)


# Illegal transitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "actor", "status"),
    [
        ("accept", "coordinator", FLAGGED),
        ("accept", "manager", IN_PROGRESS),
        ("accept", "manager", CLOSED),
        ("decline", "coordinator", FLAGGED),
        ("decline", "manager", IN_PROGRESS),
        ("decline", "manager", CLOSED),
        ("close", "coordinator", FLAGGED),
        ("close", "animator", ROUTED),
        ("close", "animator", CLOSED),
        ("withdraw", "school_staff", CLOSED),
        ("reopen", "coordinator", FLAGGED),
        ("reopen", "coordinator", ROUTED),
        ("reopen", "coordinator", IN_PROGRESS),
        ("route", "coordinator", CLOSED),
        ("route_same", "coordinator", ROUTED),
        ("route_same", "coordinator", IN_PROGRESS),
        ("assign", "manager", CLOSED),
        ("contact", "animator", ROUTED),
        ("contact", "animator", CLOSED),
        ("tutoring", "animator", ROUTED),
        ("tutoring", "animator", CLOSED),
        ("support", "manager", ROUTED),
        ("support", "animator", CLOSED),
        ("update_flag", "school_staff", CLOSED),
    ],
)
def test_illegal_transition_is_refused_and_writes_nothing(world, action, actor, status):
    case = make_case(world, status)
    before = snapshot(case)
    with pytest.raises(InvalidTransition):
        act(world, action, actor, case)
    assert snapshot(case) == before


# Bad input ---------------------------------------------------------------------------------------


def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


@pytest.mark.parametrize(
    ("action", "actor", "status", "overrides", "fields"),
    [
        ("close", "animator", IN_PROGRESS, {"outcome": "bogus"}, {"outcome"}),
        ("close", "animator", IN_PROGRESS, {"outcome": ""}, {"outcome"}),
        ("decline", "manager", ROUTED, {"reason": ""}, {"reason"}),
        ("decline", "manager", ROUTED, {"reason": "   "}, {"reason"}),
        ("reopen", "coordinator", CLOSED, {"note": ""}, {"note"}),
        ("reopen", "coordinator", CLOSED, {"note": " \n"}, {"note"}),
        ("reveal", "coordinator", IN_PROGRESS, {"reason": ""}, {"reason"}),
        ("reveal", "coordinator", IN_PROGRESS, {"reason": "  "}, {"reason"}),
        ("assign", "manager", IN_PROGRESS, {"animators": ["other_animator"]}, {"animators"}),
        ("contact", "animator", IN_PROGRESS, {"kind": "carrier_pigeon"}, {"kind"}),
        ("contact", "animator", IN_PROGRESS, {"result": "bogus"}, {"result"}),
        ("contact", "animator", IN_PROGRESS, {"kind": "bogus", "result": "bogus"}, {"kind", "result"}),
        ("contact", "animator", IN_PROGRESS, {"occurred_at": "+1h"}, {"occurred_at"}),
        ("contact", "animator", IN_PROGRESS, {"occurred_at": None}, {"occurred_at"}),
        ("contact", "animator", IN_PROGRESS, {"duration_minutes": -5}, {"duration_minutes"}),
        ("contact", "animator", IN_PROGRESS, {"duration_minutes": 24 * 60 + 1}, {"duration_minutes"}),
        (
            "contact",
            "animator",
            IN_PROGRESS,
            {"supports": [{"kind": "device_pc"}, {"kind": "car"}]},
            {"supports.1.kind"},
        ),
        ("contact", "animator", CLOSED, {"kind": "bogus"}, {"kind"}),
        ("tutoring", "animator", IN_PROGRESS, {"on": "tomorrow"}, {"on"}),
        ("tutoring", "animator", IN_PROGRESS, {"on": None}, {"on"}),
        ("tutoring", "animator", IN_PROGRESS, {"duration_minutes": None}, {"duration_minutes"}),
        ("tutoring", "animator", IN_PROGRESS, {"duration_minutes": -1}, {"duration_minutes"}),
        ("support", "animator", IN_PROGRESS, {"kind": "bogus"}, {"kind"}),
        ("notice", "animator", IN_PROGRESS, {"channel": "pigeon"}, {"channel"}),
        ("notice", "school_staff", FLAGGED, {"on": "tomorrow"}, {"on"}),
        ("notice", "school_staff", FLAGGED, {"on": None, "channel": ""}, {"on", "channel"}),
        ("return", "school_staff", CLOSED, {"attendance": "sometimes"}, {"attendance"}),
        ("return", "school_staff", CLOSED, {"half_days_missed": -1}, {"half_days_missed"}),
        ("return", "school_staff", CLOSED, {"half_days_missed": 41}, {"half_days_missed"}),
        ("return", "school_staff", CLOSED, {"on": "tomorrow"}, {"on"}),
        ("update_flag", "school_staff", FLAGGED, {"changes": {"reasons": []}}, {"reasons"}),
        ("update_flag", "school_staff", FLAGGED, {"changes": {"reasons": ["bogus"]}}, {"reasons"}),
        ("update_flag", "school_staff", FLAGGED, {"changes": {"reasons": ["other"], "details": ""}}, {"details"}),
        ("update_flag", "school_staff", FLAGGED, {"changes": {"urgency": "extreme"}}, {"urgency"}),
        ("update_flag", "school_staff", ROUTED, {"changes": {"half_days_missed": -1}}, {"half_days_missed"}),
        ("update_flag", "school_staff", ROUTED, {"changes": {"last_seen_on": "tomorrow"}}, {"last_seen_on"}),
        ("update_flag", "school_staff", FLAGGED, {"changes": {"status": "closed"}}, {"status"}),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_writes_nothing(world, action, actor, status, overrides, fields):
    case = make_case(world, status)
    resolved = {}
    for name, value in overrides.items():
        if value == "tomorrow":
            value = _tomorrow()
        elif value == "+1h":
            value = timezone.now() + timedelta(hours=1)
        elif name == "animators":
            value = [getattr(world, user) for user in value]
        elif name == "changes" and value.get("last_seen_on") == "tomorrow":
            value = {**value, "last_seen_on": _tomorrow()}
        resolved[name] = value
    before = snapshot(case)
    with pytest.raises(InvalidInput) as error:
        act(world, action, actor, case, **resolved)
    assert set(error.value.fields) == fields
    assert snapshot(case) == before


# Permissions: services re-check the matrix even when called without the gate ---------------------------


@pytest.mark.parametrize(
    ("action", "actor", "status"),
    [
        ("accept", "school_staff", ROUTED),
        ("accept", "animator", ROUTED),
        ("accept", "other_manager", ROUTED),
        ("accept", "nobody", ROUTED),
        ("decline", "animator", ROUTED),
        ("decline", "other_manager", ROUTED),
        ("route", "manager", ROUTED),
        ("route", "school_staff", FLAGGED),
        ("assign", "animator", IN_PROGRESS),
        ("assign", "coordinator", IN_PROGRESS),
        ("assign", "other_manager", IN_PROGRESS),
        ("contact", "other_animator", IN_PROGRESS),
        ("contact", "other_manager", IN_PROGRESS),
        ("contact", "coordinator", IN_PROGRESS),
        ("contact", "school_staff", IN_PROGRESS),
        ("contact", "nobody", IN_PROGRESS),
        ("tutoring", "other_animator", IN_PROGRESS),
        ("tutoring", "school_staff", IN_PROGRESS),
        ("support", "coordinator", IN_PROGRESS),
        ("support", "other_animator", IN_PROGRESS),
        ("close", "school_staff", IN_PROGRESS),
        ("close", "other_animator", IN_PROGRESS),
        ("close", "school_staff", CLOSED),
        ("withdraw", "animator", IN_PROGRESS),
        ("withdraw", "manager", IN_PROGRESS),
        ("withdraw", "coordinator", FLAGGED),
        ("withdraw", "other_school_staff", FLAGGED),
        ("reopen", "manager", CLOSED),
        ("reopen", "school_staff", CLOSED),
        ("notice", "coordinator", IN_PROGRESS),
        ("notice", "other_animator", IN_PROGRESS),
        ("notice", "other_school_staff", IN_PROGRESS),
        ("return", "animator", CLOSED),
        ("return", "coordinator", CLOSED),
        ("return", "other_school_staff", CLOSED),
        ("update_flag", "animator", IN_PROGRESS),
        ("update_flag", "other_school_staff", FLAGGED),
        ("update_flag", "coordinator", FLAGGED),
        ("reveal", "manager", IN_PROGRESS),
        ("reveal", "school_staff", IN_PROGRESS),
        ("reveal", "nobody", IN_PROGRESS),
    ],
)
def test_service_refuses_an_actor_without_the_permission(world, action, actor, status):
    case = make_case(world, status)
    before = snapshot(case)
    with pytest.raises(ActionForbidden):
        act(world, action, actor, case)
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("action", "actor", "status", "overrides"),
    [
        ("decline", "animator", ROUTED, {"reason": ""}),
        ("close", "school_staff", CLOSED, {"outcome": "bogus"}),
        ("contact", "other_animator", CLOSED, {"kind": "bogus"}),
    ],
)
def test_forbidden_wins_over_bad_input_and_state(world, action, actor, status, overrides):
    case = make_case(world, status)
    with pytest.raises(ActionForbidden):
        act(world, action, actor, case, **overrides)
    assert snapshot(case)["CaseEvent"] == 0


def test_permission_is_checked_on_the_case_as_stored_not_on_a_stale_instance(world):
    """A case rerouted to another centre after the caller loaded it is no longer the caller's to work on."""
    stale = make_case(world, IN_PROGRESS)
    services.case_route(actor=world.coordinator, case=Case.objects.get(pk=stale.pk), centre=world.other_centre)
    services.case_accept(actor=world.other_manager, case=Case.objects.get(pk=stale.pk))
    before = snapshot(stale)
    with pytest.raises(ActionForbidden):
        act(world, "contact", "animator", stale)
    with pytest.raises(ActionForbidden):
        act(world, "close", "animator", stale)
    assert snapshot(stale) == before


def test_deactivated_user_can_no_longer_act(world):
    case = make_case(world, IN_PROGRESS)
    world.animator.is_active = False
    world.animator.save()
    with pytest.raises(ActionForbidden):
        act(world, "contact", "animator", case)
    assert not Contact.objects.exists()


# Flagging ---------------------------------------------------------------------------------------------


def flag(world, pupil, actor="school_staff", school=None, **kwargs):
    kwargs.setdefault("reasons", ["long_absence"])
    return services.case_flag(actor=getattr(world, actor), school=school or world.school, pupil=pupil, **kwargs)


def test_flag_creates_pupil_guardians_case_reasons_event_and_log(world, pupil_data):
    last_seen = timezone.localdate() - timedelta(days=10)
    case, created = flag(
        world,
        pupil_data(
            neighbourhood="Bois-Blancs",
            postcode="59999",
            guardians=[
                {"name": "Samia Martin", "relationship": "mère", "phone": "0600000000", "email": "samia@example.org"},
                {"name": "Karim Martin", "relationship": "père", "language": "arabe", "interpreter_needed": True},
            ],
        ),
        reasons=["long_absence", "no_digital_access", "long_absence"],
        details="  Plus de nouvelles depuis les vacances ",
        urgency="high",
        half_days_missed=14,
        last_seen_on=last_seen,
    )
    assert created is True
    case = Case.objects.get(pk=case.pk)
    pupil = Pupil.objects.get()
    assert (pupil.school, pupil.external_ref, pupil.first_name, pupil.neighbourhood) == (
        world.school,
        "EL-1",
        "Inès",
        "Bois-Blancs",
    )
    assert list(pupil.guardians.values_list("name", "interpreter_needed")) == [
        ("Samia Martin", False),
        ("Karim Martin", True),
    ]
    assert (case.pupil, case.school, case.status, case.centre) == (pupil, world.school, FLAGGED, None)
    assert (case.details, case.urgency, case.half_days_missed, case.last_seen_on) == (
        "Plus de nouvelles depuis les vacances",
        "high",
        14,
        last_seen,
    )
    assert (case.flagged_by, case.flagged_at, case.outcome) == (world.school_staff, case.status_changed_at, "")
    assert sorted(case.reasons.values_list("reason", flat=True)) == ["long_absence", "no_digital_access"]
    event = only_event(case)
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        "flagged",
        "",
        "flagged",
        world.school_staff,
    )
    log = only_log(case)
    assert (log.user, log.action, log.what, log.pupil) == (world.school_staff, "write", "flagged", pupil)


@pytest.mark.clock
def test_flag_references_increment_per_year(world, pupil_data, frozen_clock):
    year = timezone.localdate().year
    references = [flag(world, pupil_data(external_ref=f"EL-{n}"))[0].reference for n in range(3)]
    assert references == [f"R-{year}-00001", f"R-{year}-00002", f"R-{year}-00003"]
    next_year = datetime(year + 1, 1, 1, 0, 30, tzinfo=timezone.get_current_timezone())
    frozen_clock.move_to(next_year)
    case, _ = flag(world, pupil_data(external_ref="EL-new-year"))
    assert case.reference == f"R-{year + 1}-00001"
    assert Case.objects.get(pk=case.pk).flagged_at == next_year


def test_flagging_again_returns_the_open_case_and_updates_the_pupil(world, pupil_data):
    case, created = flag(world, pupil_data())
    assert created is True
    again, created_again = flag(
        world,
        pupil_data(
            external_ref="  EL-1 ",
            first_name="Inès-Marie",
            class_name="5e C",
            guardians=[{"name": "Nadia Benali", "relationship": "tante", "phone": "0611111111"}],
        ),
        reasons=["behaviour"],
        urgency="high",
    )
    assert (again.pk, created_again) == (case.pk, False)
    assert Case.objects.count() == 1
    pupil = Pupil.objects.get()
    assert (pupil.first_name, pupil.class_name) == ("Inès-Marie", "5e C")
    assert list(Guardian.objects.values_list("pupil", "name")) == [(pupil.pk, "Nadia Benali")]
    # The open case is returned as it is: no second flag event, the flag is not overwritten.
    assert CaseEvent.objects.filter(case=case, kind=EventKind.FLAGGED).count() == 1
    assert list(case.reasons.values_list("reason", flat=True)) == ["long_absence"]
    assert Case.objects.get(pk=case.pk).urgency == "normal"
    assert AccessLog.objects.filter(case=case, what="flag_existing", user=world.school_staff).count() == 1


def test_flagging_again_without_guardians_keeps_the_guardians_on_record(world, pupil_data):
    flag(world, pupil_data())
    data = pupil_data()
    del data["guardians"]
    flag(world, data)
    assert list(Guardian.objects.values_list("name", flat=True)) == ["Samia Martin"]


def test_flagging_after_the_previous_case_closed_creates_a_new_case(world, pupil_data):
    first, _ = flag(world, pupil_data())
    services.case_withdraw(actor=world.school_staff, case=first, note="Revenu en classe")
    second, created = flag(world, pupil_data(), reasons=["disengagement"])
    assert created is True
    assert second.pk != first.pk and second.reference != first.reference
    assert second.pupil_id == first.pupil_id
    assert Case.objects.get(pk=first.pk).status == CLOSED
    assert Case.objects.get(pk=second.pk).status == ROUTED


def test_same_external_ref_at_another_school_is_another_pupil(world, pupil_data):
    first, _ = flag(world, pupil_data())
    second, created = flag(world, pupil_data(), actor="other_school_staff", school=world.other_school)
    assert created is True
    assert first.pupil_id != second.pupil_id
    assert Pupil.objects.count() == 2


@pytest.mark.parametrize("actor", ["other_school_staff", "animator", "manager", "coordinator", "nobody"])
def test_flag_refused_without_the_flag_permission_on_that_school(world, pupil_data, actor):
    before = snapshot()
    with pytest.raises(ActionForbidden):
        flag(world, pupil_data(), actor=actor)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("pupil_overrides", "flag_overrides", "fields"),
    [
        ({}, {"reasons": []}, {"reasons"}),
        ({}, {"reasons": ["bogus"]}, {"reasons"}),
        ({}, {"reasons": ["long_absence", "bogus"]}, {"reasons"}),
        ({}, {"reasons": ["other"]}, {"details"}),
        ({}, {"reasons": ["other"], "details": "   "}, {"details"}),
        ({}, {"half_days_missed": -1}, {"half_days_missed"}),
        ({}, {"half_days_missed": 41}, {"half_days_missed"}),
        ({}, {"last_seen_on": "tomorrow"}, {"last_seen_on"}),
        ({}, {"urgency": "extreme"}, {"urgency"}),
        ({"first_name": ""}, {}, {"pupil.first_name"}),
        ({"first_name": None}, {}, {"pupil.first_name"}),
        ({"last_name": "  "}, {}, {"pupil.last_name"}),
        ({"external_ref": ""}, {}, {"pupil.external_ref"}),
        ({"level": "7e"}, {}, {"pupil.level"}),
        ({"sex": "X"}, {}, {"pupil.sex"}),
        ({"birth_date": "tomorrow"}, {}, {"pupil.birth_date"}),
        ({"birth_date": date(1999, 12, 31)}, {}, {"pupil.birth_date"}),
        ({"birth_date": date(2021, 1, 1)}, {}, {"pupil.birth_date"}),
        ({"guardians": [{"name": "Samia", "email": "not-an-email"}]}, {}, {"pupil.guardians.0.email"}),
        ({"guardians": [{"name": "Samia"}, {"name": ""}]}, {}, {"pupil.guardians.1.name"}),
        ({"guardians": [{"name": "Samia", "phone": "0" * 31}]}, {}, {"pupil.guardians.0.phone"}),
        ({"first_name": "I" * 121}, {}, {"pupil.first_name"}),
        ({"first_name": ""}, {"reasons": []}, {"pupil.first_name", "reasons"}),
    ],
)
def test_flag_bad_input_is_refused_and_writes_nothing(world, pupil_data, pupil_overrides, flag_overrides, fields):
    data = pupil_data()
    for name, value in pupil_overrides.items():
        if value is None:
            del data[name]
        else:
            data[name] = _tomorrow() if value == "tomorrow" else value
    kwargs = {name: _tomorrow() if value == "tomorrow" else value for name, value in flag_overrides.items()}
    before = snapshot()
    with pytest.raises(InvalidInput) as error:
        flag(world, data, **kwargs)
    assert set(error.value.fields) == fields
    assert snapshot() == before


def test_flag_bad_input_leaves_an_existing_pupil_unchanged(world, pupil_data):
    first, _ = flag(world, pupil_data())
    services.case_withdraw(actor=world.school_staff, case=first, note="Revenu en classe")
    before = snapshot(first)
    with pytest.raises(InvalidInput):
        flag(world, pupil_data(first_name="Changé", guardians=[]), reasons=[])
    assert snapshot(first) == before
    assert Guardian.objects.count() == 1


# Automatic routing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("neighbourhood", "postcode", "routed_to"),
    [
        ("Wazemmes", "59000", "centre"),
        ("wazemmes", "", "centre"),
        ("WAZEMMES", "59999", "centre"),
        ("  Wazemmes ", "", "centre"),
        ("Moulins", "", "other_centre"),
        ("Quartier inconnu", "59000", "centre"),
        ("", "59000", "centre"),
        ("Bois-Blancs", "59999", None),
        ("Quartier inconnu", "59999", None),
        ("", "", None),
    ],
)
def test_auto_routing_on_flagging(world, pupil_data, neighbourhood, postcode, routed_to):
    case, _ = flag(world, pupil_data(neighbourhood=neighbourhood, postcode=postcode))
    case = Case.objects.get(pk=case.pk)
    events = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
    if routed_to is None:
        assert (case.status, case.centre, case.routed_at) == (FLAGGED, None, None)
        assert [event.kind for event in events] == ["flagged"]
    else:
        assert (case.status, case.centre) == (ROUTED, getattr(world, routed_to))
        assert case.routed_at is not None
        assert [event.kind for event in events] == ["flagged", "auto_routed"]
        routed = events[1]
        assert (routed.from_status, routed.to_status, routed.actor) == (FLAGGED, ROUTED, world.school_staff)
        assert AccessLog.objects.filter(case=case, what="auto_routed", detail=f"centre={case.centre_id}").count() == 1


def test_no_auto_routing_when_two_centres_cover_the_neighbourhood(world, pupil_data):
    factories.CentreFactory(name="Centre C", neighbourhoods=[world.neighbourhood])
    case, _ = flag(world, pupil_data(neighbourhood="Wazemmes", postcode="59000"))
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.centre) == (FLAGGED, None)
    assert not CaseEvent.objects.filter(case=case, kind__in=[EventKind.ROUTED, EventKind.AUTO_ROUTED]).exists()


def test_no_auto_routing_when_the_postcode_maps_to_neighbourhoods_of_two_centres(world, pupil_data):
    factories.NeighbourhoodPostcodeFactory(neighbourhood=world.other_neighbourhood, postcode="59000")
    case, _ = flag(world, pupil_data(neighbourhood="", postcode="59000"))
    assert Case.objects.get(pk=case.pk).status == FLAGGED


def test_one_centre_covering_two_matching_neighbourhoods_is_still_one_centre(world, pupil_data):
    factories.NeighbourhoodPostcodeFactory(neighbourhood=world.other_neighbourhood, postcode="59000")
    world.centre.neighbourhoods.add(world.other_neighbourhood)
    world.other_centre.neighbourhoods.clear()
    case, _ = flag(world, pupil_data(neighbourhood="", postcode="59000"))
    assert Case.objects.get(pk=case.pk).centre == world.centre


# Flag edits ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [FLAGGED, ROUTED, IN_PROGRESS])
def test_update_flag_changes_only_the_keys_given(world, status):
    case = make_case(world, status, details="Absences")
    services.case_update_flag(
        actor=world.school_staff, case=case, changes={"reasons": ["other", "behaviour"], "details": " Exclu 3 jours "}
    )
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.details, case.urgency, case.half_days_missed) == (status, "Exclu 3 jours", "normal", 6)
    assert sorted(case.reasons.values_list("reason", flat=True)) == ["behaviour", "other"]
    event = only_event(case)
    assert (event.kind, event.from_status, event.to_status) == (EventKind.FLAG_UPDATED, "", "")
    assert only_log(case).detail == "details,reasons"


def test_update_flag_clearing_details_when_other_is_a_reason_is_refused(world):
    case = make_case(world, FLAGGED, details="Situation familiale")
    CaseReason.objects.create(case=case, reason="other")
    before = snapshot(case)
    with pytest.raises(InvalidInput) as error:
        services.case_update_flag(actor=world.school_staff, case=case, changes={"details": ""})
    assert set(error.value.fields) == {"details"}
    assert snapshot(case) == before


# Assignment -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ROUTED, IN_PROGRESS])
def test_assign_sets_the_animators_of_the_centre(world, status):
    case = make_case(world, status, animators=[world.manager])
    services.case_assign(actor=world.manager, case=case, animators=[world.animator])
    assert list(Case.objects.get(pk=case.pk).animators.all()) == [world.animator]
    event = only_event(case)
    assert (event.kind, event.actor) == (EventKind.ASSIGNED, world.manager)
    assert world.animator.get_full_name() in event.note
    services.case_assign(actor=world.manager, case=case, animators=[])
    assert not Case.objects.get(pk=case.pk).animators.exists()


@pytest.mark.parametrize("outsider", ["other_animator", "other_manager", "school_staff", "coordinator", "nobody"])
def test_assign_refuses_anyone_but_the_centre_animators(world, outsider):
    case = make_case(world, IN_PROGRESS, animators=[world.animator])
    before = snapshot(case)
    with pytest.raises(InvalidInput) as error:
        services.case_assign(actor=world.manager, case=case, animators=[world.manager, getattr(world, outsider)])
    assert set(error.value.fields) == {"animators"}
    assert snapshot(case) == before


def test_assign_refuses_a_deactivated_animator(world):
    case = make_case(world, IN_PROGRESS)
    world.animator.is_active = False
    world.animator.save()
    with pytest.raises(InvalidInput):
        services.case_assign(actor=world.manager, case=case, animators=[world.animator])
    assert not Case.objects.get(pk=case.pk).animators.exists()


def test_assign_accepts_an_animator_holding_the_role_through_a_group(world):
    group = factories.GroupFactory()
    for action in ROLE_PERMISSIONS[Role.ANIMATOR]:
        assign_perm(action.value, group, world.centre)
    volunteer = factories.UserFactory(username="benevole")
    volunteer.groups.add(group)
    case = make_case(world, IN_PROGRESS)
    services.case_assign(actor=world.manager, case=case, animators=[volunteer])
    assert list(Case.objects.get(pk=case.pk).animators.all()) == [volunteer]


# Contacts, tutoring, support -------------------------------------------------------------------------


@pytest.mark.clock
def test_contact_log_tracks_first_and_last_contact_and_records_supports(world):
    case = make_case(world, IN_PROGRESS)
    now = timezone.now()
    first = services.contact_log(
        actor=world.animator,
        case=case,
        kind="home_visit",
        occurred_at=now - timedelta(days=2),
        result="reached_family",
        duration_minutes=45,
        notes="  Famille rencontrée ",
        supports=[{"kind": "device_tablet", "detail": " Emmaüs Connect "}, {"kind": "internet_access"}],
        next_step="Rappeler",
        next_step_due_on=timezone.localdate() + timedelta(days=7),
    )
    stored = Case.objects.get(pk=case.pk)
    assert (stored.first_contact_at, stored.last_contact_at) == (now - timedelta(days=2), now - timedelta(days=2))
    assert (first.author, first.notes, first.duration_minutes) == (world.animator, "Famille rencontrée", 45)
    supports = list(
        Support.objects.filter(case=case).order_by("pk").values_list("kind", "detail", "contact", "recorded_by")
    )
    assert supports == [
        ("device_tablet", "Emmaüs Connect", first.pk, world.animator.pk),
        ("internet_access", "", first.pk, world.animator.pk),
    ]
    assert Support.objects.filter(case=case).first().provided_on == timezone.localdate(now - timedelta(days=2))

    services.contact_log(
        actor=world.manager, case=case, kind="phone_call", occurred_at=now - timedelta(days=5), result="no_answer"
    )
    services.contact_log(
        actor=world.animator, case=case, kind="message", occurred_at=now - timedelta(hours=1), result="reached_pupil"
    )
    stored = Case.objects.get(pk=case.pk)
    assert (stored.first_contact_at, stored.last_contact_at) == (now - timedelta(days=5), now - timedelta(hours=1))
    events = list(CaseEvent.objects.filter(case=case).values_list("kind", "actor", "from_status", "to_status"))
    assert events == [
        ("contact_logged", world.animator.pk, "", ""),
        ("contact_logged", world.manager.pk, "", ""),
        ("contact_logged", world.animator.pk, "", ""),
    ]
    assert AccessLog.objects.filter(case=case, what="contact_logged").count() == 3
    assert stored.status == IN_PROGRESS


@pytest.mark.clock
def test_contact_log_allows_a_few_minutes_of_clock_skew(world):
    case = make_case(world, IN_PROGRESS)
    contact = act(world, "contact", "animator", case, occurred_at=timezone.now() + timedelta(minutes=2))
    assert Case.objects.get(pk=case.pk).last_contact_at == contact.occurred_at


@pytest.mark.clock
def test_tutoring_log_records_a_session(world):
    case = make_case(world, IN_PROGRESS)
    session = services.tutoring_log(
        actor=world.animator,
        case=case,
        on=timezone.localdate(),
        duration_minutes=90,
        subjects=" maths ",
        attended=False,
        notes="Absent",
    )
    stored = TutoringSession.objects.get(pk=session.pk)
    assert (stored.case, stored.author, stored.subjects, stored.attended) == (case, world.animator, "maths", False)
    assert only_event(case).kind == EventKind.TUTORING_LOGGED
    assert only_log(case).detail == f"tutoring={session.pk}"


def test_support_record_outside_a_contact(world):
    case = make_case(world, IN_PROGRESS)
    support = services.support_record(actor=world.manager, case=case, kind="referral", detail=" PRE ")
    stored = Support.objects.get(pk=support.pk)
    assert (stored.contact, stored.detail, stored.provided_on) == (None, "PRE", timezone.localdate())
    assert only_event(case).kind == EventKind.SUPPORT_RECORDED


@pytest.fixture
def contact(world):
    case = make_case(world, IN_PROGRESS)
    return services.contact_log(
        actor=world.animator,
        case=case,
        kind="home_visit",
        occurred_at=timezone.now() - timedelta(days=1),
        result="no_answer",
    )


@pytest.mark.clock
@pytest.mark.parametrize("hours_ago", [0, 1, 23.9])
def test_contact_correct_by_its_author_within_the_window(world, contact, hours_ago):
    Contact.objects.filter(pk=contact.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    earlier = timezone.now() - timedelta(days=3)
    corrected = services.contact_correct(
        actor=world.animator,
        contact=contact,
        changes={"result": "reached_family", "notes": " Mère rencontrée ", "occurred_at": earlier},
    )
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.result, stored.notes, stored.occurred_at) == ("reached_family", "Mère rencontrée", earlier)
    assert corrected.pk == contact.pk
    case = Case.objects.get(pk=contact.case_id)
    assert (case.first_contact_at, case.last_contact_at) == (earlier, earlier)
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.actor) == (EventKind.CONTACT_CORRECTED, world.animator)
    assert AccessLog.objects.filter(case=case, what="contact_corrected", detail=f"contact={contact.pk}").count() == 1


@pytest.mark.parametrize("corrector", ["manager", "other_animator", "coordinator"])
def test_contact_correct_by_someone_else_is_forbidden(world, contact, corrector):
    before = snapshot(contact.case)
    with pytest.raises(ActionForbidden):
        services.contact_correct(actor=getattr(world, corrector), contact=contact, changes={"notes": "Autre"})
    assert snapshot(contact.case) == before


@pytest.mark.clock
@pytest.mark.parametrize("hours_ago", [24.1, 25, 24 * 30])
def test_contact_correct_after_the_window_is_refused(world, contact, hours_ago):
    Contact.objects.filter(pk=contact.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    contact = Contact.objects.get(pk=contact.pk)
    before = snapshot(contact.case)
    with pytest.raises(InvalidTransition):
        services.contact_correct(actor=world.animator, contact=contact, changes={"notes": "Trop tard"})
    assert snapshot(contact.case) == before


@pytest.mark.clock
def test_contact_correct_window_follows_the_clock(world, contact, frozen_clock):
    frozen_clock.shift(timedelta(hours=25))
    with pytest.raises(InvalidTransition):
        services.contact_correct(actor=world.animator, contact=contact, changes={"notes": "Trop tard"})
    assert Contact.objects.get(pk=contact.pk).notes == ""


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"kind": "bogus"}, {"kind"}),
        ({"result": "bogus"}, {"result"}),
        ({"duration_minutes": -1}, {"duration_minutes"}),
        ({"occurred_at": "+1h"}, {"occurred_at"}),
        ({"occurred_at": None}, {"occurred_at"}),
        ({"case": None, "author": None}, {"case", "author"}),
    ],
)
def test_contact_correct_bad_input(world, contact, changes, fields):
    changes = {
        name: timezone.now() + timedelta(hours=1) if value == "+1h" else value for name, value in changes.items()
    }
    before = snapshot(contact.case)
    with pytest.raises(InvalidInput) as error:
        services.contact_correct(actor=world.animator, contact=contact, changes=changes)
    assert set(error.value.fields) == fields
    assert snapshot(contact.case) == before


# Family notice, return confirmation ----------------------------------------------------------------------


@pytest.mark.clock
def test_family_notice_sets_the_earliest_date(world):
    case = make_case(world, ROUTED)
    today = timezone.localdate()
    notice = services.family_notice_record(
        actor=world.school_staff, case=case, on=today - timedelta(days=3), channel="letter"
    )
    assert Case.objects.get(pk=case.pk).family_informed_on == today - timedelta(days=3)
    assert (notice.recorded_by, notice.channel) == (world.school_staff, "letter")
    services.family_notice_record(actor=world.manager, case=case, on=today, channel="phone")
    assert Case.objects.get(pk=case.pk).family_informed_on == today - timedelta(days=3)
    services.family_notice_record(actor=world.manager, case=case, on=today - timedelta(days=5), channel="in_person")
    assert Case.objects.get(pk=case.pk).family_informed_on == today - timedelta(days=5)
    assert FamilyNotice.objects.filter(case=case).count() == 3
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == ["family_informed"] * 3


@pytest.mark.clock
@pytest.mark.parametrize("status", [CLOSED, IN_PROGRESS, FLAGGED])
def test_return_confirm_works_on_closed_and_open_cases(world, status):
    case = make_case(world, status)
    on = timezone.localdate() - timedelta(days=1)
    confirmation = services.return_confirm(
        actor=world.school_staff, case=case, attendance="partial", half_days_missed=3, on=on
    )
    stored = ReturnConfirmation.objects.get(pk=confirmation.pk)
    assert (stored.case, stored.attendance, stored.half_days_missed, stored.on) == (case, "partial", 3, on)
    assert Case.objects.get(pk=case.pk).status == status
    event = only_event(case)
    assert (event.kind, event.actor) == (EventKind.RETURN_CONFIRMED, world.school_staff)
    assert only_log(case).detail == "attendance=partial"


# Identity reveal --------------------------------------------------------------------------------------


def test_identity_reveal_grants_the_coordinator_that_case_only(world, ip):
    case, other = make_case(world, IN_PROGRESS), make_case(world, FLAGGED)
    assert not access_scope(world.coordinator).can(Action.VIEW_IDENTITY, case)
    services.identity_reveal(actor=world.coordinator, case=case, reason="  Saisine du juge des enfants ")
    scope = access_scope(world.coordinator)
    assert scope.can(Action.VIEW_IDENTITY, case)
    assert not scope.can(Action.VIEW_IDENTITY, other)
    assert not access_scope(world.other_manager).can(Action.VIEW_IDENTITY, case)
    log = only_log(case)
    assert (log.user, log.action, log.detail, log.pupil_id, log.ip_address) == (
        world.coordinator,
        AccessAction.REVEAL,
        "Saisine du juge des enfants",
        case.pupil_id,
        ip,
    )
    event = only_event(case)
    assert (event.kind, event.note, event.actor) == (
        EventKind.IDENTITY_REVEALED,
        "Saisine du juge des enfants",
        world.coordinator,
    )
    assert CaseUserObjectPermission.objects.filter(user=world.coordinator, content_object=case).count() == 1
    assert not CaseUserObjectPermission.objects.filter(content_object=other).exists()


# Caseload handover ------------------------------------------------------------------------------------


@pytest.fixture
def colleague(world):
    user = factories.UserFactory(username="anim.colleague")
    services.role_grant(user=user, role=Role.ANIMATOR, organisation=world.centre)
    return user


def test_handover_moves_only_open_cases_of_that_centre(world, colleague, ip):
    leaving = world.animator
    in_progress = make_case(world, IN_PROGRESS, animators=[leaving])
    routed = make_case(world, ROUTED, animators=[leaving, world.manager])
    both = make_case(world, IN_PROGRESS, animators=[leaving, colleague])
    closed = make_case(world, CLOSED, animators=[leaving])
    elsewhere = make_case(world, IN_PROGRESS, centre=world.other_centre, animators=[leaving])
    not_theirs = make_case(world, IN_PROGRESS, animators=[world.manager])

    moved = services.caseload_handover(actor=world.manager, centre=world.centre, from_user=leaving, to_user=colleague)

    assert moved == 3

    def animators(case):
        return set(Case.objects.get(pk=case.pk).animators.all())

    assert animators(in_progress) == {colleague}
    assert animators(routed) == {colleague, world.manager}
    assert animators(both) == {colleague}
    assert animators(closed) == {leaving}
    assert animators(elsewhere) == {leaving}
    assert animators(not_theirs) == {world.manager}
    handed = CaseEvent.objects.filter(kind=EventKind.HANDED_OVER)
    assert sorted(handed.values_list("case", flat=True)) == sorted([in_progress.pk, routed.pk, both.pk])
    assert {event.actor for event in handed} == {world.manager}
    logs = AccessLog.objects.filter(what=EventKind.HANDED_OVER)
    assert sorted(logs.values_list("case", flat=True)) == sorted([in_progress.pk, routed.pk, both.pk])
    assert set(logs.values_list("user", "action", "ip_address")) == {(world.manager.pk, "write", ip)}
    assert Case.objects.get(pk=in_progress.pk).status == IN_PROGRESS


def test_handover_with_nothing_to_move_returns_zero(world, colleague):
    make_case(world, CLOSED, animators=[world.animator])
    assert (
        services.caseload_handover(
            actor=world.manager, centre=world.centre, from_user=world.animator, to_user=colleague
        )
        == 0
    )
    assert not CaseEvent.objects.exists()


@pytest.mark.parametrize("to_user", ["other_animator", "school_staff", "coordinator", "nobody", "animator"])
def test_handover_refuses_a_colleague_who_is_not_an_animator_of_the_centre(world, to_user):
    case = make_case(world, IN_PROGRESS, animators=[world.animator])
    before = snapshot(case)
    with pytest.raises(InvalidInput) as error:
        services.caseload_handover(
            actor=world.manager, centre=world.centre, from_user=world.animator, to_user=getattr(world, to_user)
        )
    assert set(error.value.fields) == {"to_user"}
    assert snapshot(case) == before


@pytest.mark.parametrize("actor", ["animator", "other_manager", "coordinator", "school_staff", "nobody"])
def test_handover_refuses_an_actor_without_the_manager_role(world, colleague, actor):
    case = make_case(world, IN_PROGRESS, animators=[world.animator])
    before = snapshot(case)
    with pytest.raises(ActionForbidden):
        services.caseload_handover(
            actor=getattr(world, actor), centre=world.centre, from_user=world.animator, to_user=colleague
        )
    assert snapshot(case) == before


# Roles ------------------------------------------------------------------------------------------------


def _permission_rows(user) -> int:
    return (
        SchoolUserObjectPermission.objects.filter(user=user).count()
        + CentreUserObjectPermission.objects.filter(user=user).count()
        + CaseUserObjectPermission.objects.filter(user=user).count()
        + user.user_permissions.count()
    )


@pytest.mark.parametrize(
    ("role", "organisation"),
    [
        (Role.SCHOOL_STAFF, "school"),
        (Role.ANIMATOR, "centre"),
        (Role.CENTRE_MANAGER, "centre"),
        (Role.COORDINATOR, None),
    ],
)
def test_role_grant_then_revoke_leaves_no_permission_rows(world, role, organisation):
    user = factories.UserFactory(username="newcomer")
    target = getattr(world, organisation) if organisation else None
    services.role_grant(user=user, role=role, organisation=target)
    services.role_grant(user=user, role=role.value, organisation=target)  # idempotent, codes accepted
    assert _permission_rows(user) == len(ROLE_PERMISSIONS[role])
    scope = access_scope(user)
    assert (role, organisation, target.pk if target else None) in scope.roles()
    services.role_revoke(user=user, role=role, organisation=target)
    assert _permission_rows(user) == 0
    assert access_scope(user).roles() == []


def test_global_role_grant_uses_the_case_permissions(world):
    codenames = set(Permission.objects.filter(user=world.coordinator).values_list("content_type__model", "codename"))
    assert codenames == {("case", action.value) for action in ROLE_PERMISSIONS[Role.COORDINATOR]}


@pytest.mark.parametrize(
    ("role", "organisation"),
    [
        (Role.SCHOOL_STAFF, "centre"),
        (Role.SCHOOL_STAFF, None),
        (Role.ANIMATOR, "school"),
        (Role.ANIMATOR, None),
        (Role.CENTRE_MANAGER, "school"),
        (Role.COORDINATOR, "school"),
        (Role.COORDINATOR, "centre"),
    ],
)
@pytest.mark.parametrize("service", [services.role_grant, services.role_revoke], ids=["grant", "revoke"])
def test_role_on_the_wrong_kind_of_organisation_is_refused(world, service, role, organisation):
    user = factories.UserFactory(username="newcomer")
    with pytest.raises(InvalidInput) as error:
        service(user=user, role=role, organisation=getattr(world, organisation) if organisation else None)
    assert set(error.value.fields) == {"organisation"}
    assert _permission_rows(user) == 0
