"""SPEC §4 "Who may do what" as a table, checked at the one gate (outreach.access.case_for).

The expected outcomes are written out from the SPEC by hand, not derived from
schools.permissions.ROLE_PERMISSIONS, so a wrong matrix makes these tests fail.
"""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.contenttypes.models import ContentType
from guardian.shortcuts import assign_perm, remove_perm

from outreach import services
from outreach.access import access_scope, case_for, cases_visible_to, centre_for, school_for
from outreach.models import Case, Status
from outreach.roles import Role
from schools.domain_errors import ActionForbidden, NotFound
from schools.permissions import Action
from tests import factories

OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not_found"

# Columns of the table: who asks, relative to a case flagged by world.school and routed to world.centre.
ACTORS = {
    "school_staff": lambda w: w.school_staff,
    "other_school_staff": lambda w: w.other_school_staff,
    "animator": lambda w: w.animator,
    "other_animator": lambda w: w.other_animator,
    "manager": lambda w: w.manager,
    "other_manager": lambda w: w.other_manager,
    "coordinator": lambda w: w.coordinator,
    "no_role": lambda w: w.nobody,
    "anonymous": lambda w: AnonymousUser(),
}
A = Action
_ = NOT_FOUND  # anyone who cannot see the case: 404 for every action, never 403

# Columns, in the order of ACTORS: school staff, other school's staff, animator, other centre's animator,
# manager, other centre's manager, coordinator, user with no role, anonymous.
# fmt: off
CASE_MATRIX = {
    A.VIEW_SUMMARY:        (OK,        _, OK,        _, OK,        _, OK,        _, _),
    A.VIEW_IDENTITY:       (OK,        _, OK,        _, OK,        _, FORBIDDEN, _, _),  # coordinator: pseudonymised
    A.VIEW_NOTES:          (FORBIDDEN, _, OK,        _, OK,        _, FORBIDDEN, _, _),
    A.FLAG:                (OK,        _, FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, _),
    A.EDIT_FLAG:           (OK,        _, FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, _),
    A.WITHDRAW:            (OK,        _, FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, _),
    A.CONFIRM_RETURN:      (OK,        _, FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, _),
    A.ACCEPT:              (FORBIDDEN, _, FORBIDDEN, _, OK,        _, OK,        _, _),
    A.ASSIGN:              (FORBIDDEN, _, FORBIDDEN, _, OK,        _, FORBIDDEN, _, _),
    A.LOG_CONTACT:         (FORBIDDEN, _, OK,        _, OK,        _, FORBIDDEN, _, _),
    A.CLOSE:               (FORBIDDEN, _, OK,        _, OK,        _, OK,        _, _),
    A.ROUTE:               (FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, OK,        _, _),
    A.REOPEN:              (FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, OK,        _, _),
    A.REVEAL:              (FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, OK,        _, _),
    # Not in the SPEC table: the implementation lets the case's school and centre record it.
    A.FAMILY_NOTICE:       (OK,        _, OK,        _, OK,        _, FORBIDDEN, _, _),
    A.VIEW_REPORTS:        (OK,        _, OK,        _, OK,        _, OK,        _, _),
    A.VIEW_FUNDERS_REPORT: (FORBIDDEN, _, FORBIDDEN, _, OK,        _, OK,        _, _),
    A.VIEW_ACCESS_LOG:     (FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, OK,        _, _),
    A.EXPORT_PUPIL:        (FORBIDDEN, _, FORBIDDEN, _, FORBIDDEN, _, OK,        _, _),
}
# fmt: on

CELLS = [
    (action, actor, outcome) for action, row in CASE_MATRIX.items() for actor, outcome in zip(ACTORS, row, strict=True)
]


def outcome_of(call) -> str:
    try:
        call()
    except NotFound:
        return NOT_FOUND
    except ActionForbidden:
        return FORBIDDEN
    return OK


def gate(user, case_id, action) -> str:
    return outcome_of(lambda: case_for(access_scope(user), case_id, action))


@pytest.fixture
def case(world):
    return factories.CaseFactory(in_progress=True, centre=world.centre, school=world.school, pupil__school=world.school)


def test_table_covers_every_action_and_every_actor():
    assert set(CASE_MATRIX) == set(Action), "every Action needs a row in the SPEC table"
    assert len(CASE_MATRIX) == len(Action)
    for action, row in CASE_MATRIX.items():
        assert len(row) == len(ACTORS), action
        assert set(row) <= {OK, FORBIDDEN, NOT_FOUND}, action
    assert len(CELLS) == len(Action) * len(ACTORS) == 171


def test_whoever_cannot_see_the_case_never_gets_forbidden():
    for actor in ("other_school_staff", "other_animator", "other_manager", "no_role", "anonymous"):
        column = list(ACTORS).index(actor)
        assert {row[column] for row in CASE_MATRIX.values()} == {NOT_FOUND}, actor


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "actor", "expected"), CELLS, ids=[f"{a.name}-{u}" for a, u, _e in CELLS])
def test_case_gate_matrix(world, case, action, actor, expected):
    user = ACTORS[actor](world)
    assert gate(user, case.pk, action) == expected
    # The id as a string (as it comes from a URL) is gated the same way.
    assert gate(user, str(case.pk), action) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("actor", list(ACTORS))
def test_listing_agrees_with_the_gate(world, case, actor):
    user = ACTORS[actor](world)
    expected_visible = CASE_MATRIX[Action.VIEW_SUMMARY][list(ACTORS).index(actor)] == OK
    assert (case in list(cases_visible_to(access_scope(user)))) is expected_visible


@pytest.mark.django_db
def test_gate_is_the_same_whatever_the_status(world):
    """The matrix does not depend on the status: the state machine (409) is the services' business."""
    for traits in ({"routed": True}, {"in_progress": True}):
        case = factories.CaseFactory(centre=world.centre, pupil__school=world.school, **traits)
        assert gate(world.manager, case.pk, Action.ACCEPT) == OK
        assert gate(world.other_manager, case.pk, Action.ACCEPT) == NOT_FOUND
        assert gate(world.animator, case.pk, Action.ACCEPT) == FORBIDDEN
    closed = factories.CaseFactory(closed=True, centre=world.centre, pupil__school=world.school)
    assert gate(world.coordinator, closed.pk, Action.REOPEN) == OK
    assert gate(world.school_staff, closed.pk, Action.CONFIRM_RETURN) == OK
    assert gate(world.animator, closed.pk, Action.VIEW_NOTES) == OK
    assert gate(world.other_animator, closed.pk, Action.VIEW_SUMMARY) == NOT_FOUND


# Reveal ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revealed_identity_is_visible_to_that_coordinator_on_that_case_only(world, case):
    other_case = factories.CaseFactory(in_progress=True, centre=world.centre, pupil__school=world.school)
    other_coordinator = factories.UserFactory(username="coord.two")
    services.role_grant(user=other_coordinator, role=Role.COORDINATOR)
    assert gate(world.coordinator, case.pk, Action.VIEW_IDENTITY) == FORBIDDEN

    assign_perm(Action.VIEW_IDENTITY.value, world.coordinator, case)  # what identity_reveal records

    assert gate(world.coordinator, case.pk, Action.VIEW_IDENTITY) == OK
    assert gate(world.coordinator, other_case.pk, Action.VIEW_IDENTITY) == FORBIDDEN
    assert gate(other_coordinator, case.pk, Action.VIEW_IDENTITY) == FORBIDDEN
    assert gate(world.coordinator, case.pk, Action.VIEW_NOTES) == FORBIDDEN


# Per-case shares ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_per_case_share_shows_exactly_that_case_and_revoking_hides_it(world, case):
    sibling = factories.CaseFactory(in_progress=True, centre=world.centre, pupil__school=world.school)
    assert gate(world.nobody, case.pk, Action.VIEW_SUMMARY) == NOT_FOUND

    assign_perm(Action.VIEW_SUMMARY.value, world.nobody, case)

    assert list(cases_visible_to(access_scope(world.nobody))) == [case]
    assert gate(world.nobody, case.pk, Action.VIEW_SUMMARY) == OK
    assert gate(world.nobody, case.pk, Action.VIEW_IDENTITY) == FORBIDDEN
    assert gate(world.nobody, case.pk, Action.VIEW_NOTES) == FORBIDDEN
    assert gate(world.nobody, case.pk, Action.CLOSE) == FORBIDDEN
    assert gate(world.nobody, sibling.pk, Action.VIEW_SUMMARY) == NOT_FOUND
    # A share adds to roles held elsewhere without widening them.
    assign_perm(Action.VIEW_SUMMARY.value, world.other_animator, case)
    assert set(cases_visible_to(access_scope(world.other_animator))) == {case}
    assert gate(world.other_animator, case.pk, Action.LOG_CONTACT) == FORBIDDEN

    remove_perm(Action.VIEW_SUMMARY.value, world.nobody, case)

    assert list(cases_visible_to(access_scope(world.nobody))) == []
    assert gate(world.nobody, case.pk, Action.VIEW_SUMMARY) == NOT_FOUND
    assert gate(world.nobody, case.pk, Action.VIEW_IDENTITY) == NOT_FOUND


@pytest.mark.django_db
def test_share_of_another_permission_without_summary_does_not_make_the_case_visible(world, case):
    assign_perm(Action.VIEW_IDENTITY.value, world.nobody, case)
    assert list(cases_visible_to(access_scope(world.nobody))) == []
    assert gate(world.nobody, case.pk, Action.VIEW_IDENTITY) == NOT_FOUND


@pytest.mark.django_db
def test_per_case_share_through_a_group(world, case):
    group = factories.GroupFactory()
    world.nobody.groups.add(group)
    assign_perm(Action.VIEW_SUMMARY.value, group, case)
    assert list(cases_visible_to(access_scope(world.nobody))) == [case]
    assert gate(world.nobody, case.pk, Action.VIEW_SUMMARY) == OK
    remove_perm(Action.VIEW_SUMMARY.value, group, case)
    assert gate(world.nobody, case.pk, Action.VIEW_SUMMARY) == NOT_FOUND


# Group-held roles --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_school_role_held_through_a_group(world, case):
    member = factories.UserFactory(username="cpe.group")
    group = factories.GroupFactory()
    member.groups.add(group)
    for codename in ("view_case_summary", "view_pupil_identity", "flag_pupil", "edit_flag"):
        assign_perm(codename, group, world.school)

    assert list(cases_visible_to(access_scope(member))) == [case]
    assert gate(member, case.pk, Action.VIEW_IDENTITY) == OK
    assert gate(member, case.pk, Action.EDIT_FLAG) == OK
    assert gate(member, case.pk, Action.VIEW_NOTES) == FORBIDDEN
    assert outcome_of(lambda: school_for(access_scope(member), world.school.pk, Action.FLAG)) == OK

    member.groups.remove(group)
    assert gate(member, case.pk, Action.VIEW_SUMMARY) == NOT_FOUND


@pytest.mark.django_db
def test_centre_role_held_through_a_group(world, case):
    member = factories.UserFactory(username="anim.group")
    group = factories.GroupFactory()
    member.groups.add(group)
    for codename in ("view_case_summary", "view_case_notes", "log_contact"):
        assign_perm(codename, group, world.centre)
    assign_perm("view_case_summary", group, world.other_school)  # an unrelated grant stays unrelated

    assert list(cases_visible_to(access_scope(member))) == [case]
    assert gate(member, case.pk, Action.VIEW_NOTES) == OK
    assert gate(member, case.pk, Action.LOG_CONTACT) == OK
    assert gate(member, case.pk, Action.ACCEPT) == FORBIDDEN


@pytest.mark.django_db
def test_global_role_held_through_a_group(world, case):
    member = factories.UserFactory(username="coord.group")
    group = factories.GroupFactory()
    member.groups.add(group)
    case_type = ContentType.objects.get_for_model(Case)
    group.permissions.add(
        *Permission.objects.filter(content_type=case_type, codename__in=["view_case_summary", "route_case"])
    )
    unrelated = factories.CaseFactory(pupil__school=world.other_school)
    assert set(cases_visible_to(access_scope(member))) == {case, unrelated}
    assert gate(member, case.pk, Action.ROUTE) == OK
    assert gate(member, unrelated.pk, Action.VIEW_IDENTITY) == FORBIDDEN


# Several organisations ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_with_roles_in_two_schools_sees_both_schools_cases(world, case):
    third_school = factories.SchoolFactory(name="Collège C")
    mine = factories.CaseFactory(pupil__school=world.other_school)
    not_mine = factories.CaseFactory(pupil__school=third_school)
    cpe = factories.UserFactory(username="cpe.two.schools")
    services.role_grant(user=cpe, role=Role.SCHOOL_STAFF, organisation=world.school)
    services.role_grant(user=cpe, role=Role.SCHOOL_STAFF, organisation=world.other_school)

    assert set(cases_visible_to(access_scope(cpe))) == {case, mine}
    assert gate(cpe, case.pk, Action.EDIT_FLAG) == OK
    assert gate(cpe, mine.pk, Action.EDIT_FLAG) == OK
    assert gate(cpe, not_mine.pk, Action.VIEW_SUMMARY) == NOT_FOUND
    assert outcome_of(lambda: school_for(access_scope(cpe), world.other_school.pk, Action.FLAG)) == OK
    assert outcome_of(lambda: school_for(access_scope(cpe), third_school.pk, Action.FLAG)) == FORBIDDEN


@pytest.mark.django_db
def test_school_staff_who_also_works_at_a_centre_gets_the_union_on_each_case(world, case):
    services.role_grant(user=world.school_staff, role=Role.ANIMATOR, organisation=world.other_centre)
    elsewhere = factories.CaseFactory(in_progress=True, centre=world.other_centre, pupil__school=world.other_school)
    assert set(cases_visible_to(access_scope(world.school_staff))) == {case, elsewhere}
    # Notes of their own school's case stay closed to them: the centre role is on another centre.
    assert gate(world.school_staff, case.pk, Action.VIEW_NOTES) == FORBIDDEN
    assert gate(world.school_staff, elsewhere.pk, Action.VIEW_NOTES) == OK
    assert gate(world.school_staff, elsewhere.pk, Action.EDIT_FLAG) == FORBIDDEN


# Ids -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", ["not-a-uuid", 123, "", None, "123", "' OR 1=1 --", "0" * 33])
@pytest.mark.parametrize("actor", ["school_staff", "coordinator", "no_role", "anonymous"])
def test_malformed_ids_are_not_found(world, case, bad_id, actor):
    assert gate(ACTORS[actor](world), bad_id, Action.VIEW_SUMMARY) == NOT_FOUND


@pytest.mark.django_db
@pytest.mark.parametrize("actor", list(ACTORS))
def test_unknown_uuid_is_not_found(world, case, actor):
    unknown = uuid.uuid4()
    assert gate(ACTORS[actor](world), unknown, Action.VIEW_SUMMARY) == NOT_FOUND
    assert gate(ACTORS[actor](world), str(unknown), Action.ROUTE) == NOT_FOUND


@pytest.mark.django_db
def test_uuid_object_and_uppercase_string_reach_the_same_case(world, case):
    assert case_for(access_scope(world.school_staff), case.pk, Action.VIEW_SUMMARY) == case
    assert case_for(access_scope(world.school_staff), str(case.pk).upper(), Action.VIEW_SUMMARY) == case


# Declined, inactive ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_declined_case_is_no_longer_visible_to_the_centre(world):
    case = factories.CaseFactory(routed=True, centre=world.centre, pupil__school=world.school)
    assert gate(world.animator, case.pk, Action.VIEW_SUMMARY) == OK

    services.case_decline(actor=world.manager, case=case, reason="Hors de notre secteur")

    case.refresh_from_db()
    assert case.centre is None and case.status == Status.FLAGGED
    for actor in ("animator", "manager"):
        user = ACTORS[actor](world)
        assert case not in list(cases_visible_to(access_scope(user)))
        for action in Action:
            assert gate(user, case.pk, action) == NOT_FOUND, (actor, action)
    assert gate(world.school_staff, case.pk, Action.VIEW_IDENTITY) == OK
    assert gate(world.coordinator, case.pk, Action.ROUTE) == OK


@pytest.mark.django_db
def test_rerouted_case_moves_from_one_centre_to_the_other(world, case):
    Case.objects.filter(pk=case.pk).update(centre=world.other_centre, status=Status.ROUTED)
    assert gate(world.animator, case.pk, Action.VIEW_SUMMARY) == NOT_FOUND
    assert gate(world.manager, case.pk, Action.ACCEPT) == NOT_FOUND
    assert gate(world.other_manager, case.pk, Action.ACCEPT) == OK
    assert gate(world.other_animator, case.pk, Action.VIEW_NOTES) == OK


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["school_staff", "animator", "manager", "coordinator"])
def test_inactive_user_sees_nothing(world, case, actor):
    user = ACTORS[actor](world)
    assign_perm(Action.VIEW_SUMMARY.value, user, factories.CaseFactory(pupil__school=world.other_school))
    user.is_active = False
    user.save()
    assert list(cases_visible_to(access_scope(user))) == []
    for action in Action:
        assert gate(user, case.pk, action) == NOT_FOUND, action
    assert outcome_of(lambda: school_for(access_scope(user), world.school.pk, Action.FLAG)) == FORBIDDEN
    assert outcome_of(lambda: centre_for(access_scope(user), world.centre.pk, Action.ASSIGN)) == FORBIDDEN


# Organisation-level gates ------------------------------------------------------------------------
# The SPEC's 404/403 rule is about cases. Schools and centres are reference data every signed-in user lists
# (GET /api/v1/schools/, /centres/), so their gates answer 403 to whoever lacks the right on one that exists,
# and 404 only for an id that names nothing: the same answer through the API and the web.

F = FORBIDDEN
# Columns as in CASE_MATRIX.
# fmt: off
ORG_MATRIX = {
    # school_for(scope, world.school.pk, FLAG): only that school's staff flag its pupils.
    "school:FLAG":   (OK, F, F, F, F,  F, F, F, F),
    # centre_for(scope, world.centre.pk, ASSIGN): only that centre's manager assigns.
    "centre:ASSIGN": (F,  F, F, F, OK, F, F, F, F),
}
# fmt: on

ORG_CELLS = [
    (gate_name, actor, outcome)
    for gate_name, row in ORG_MATRIX.items()
    for actor, outcome in zip(ACTORS, row, strict=True)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("gate_name", "actor", "expected"), ORG_CELLS, ids=[f"{g}-{a}" for g, a, _e in ORG_CELLS])
def test_organisation_gate_matrix(world, gate_name, actor, expected):
    user = ACTORS[actor](world)
    if gate_name == "school:FLAG":
        result = outcome_of(lambda: school_for(access_scope(user), world.school.pk, Action.FLAG))
    else:
        result = outcome_of(lambda: centre_for(access_scope(user), world.centre.pk, Action.ASSIGN))
    assert result == expected


@pytest.mark.django_db
def test_organisation_gates_return_the_organisation(world):
    assert school_for(access_scope(world.school_staff), world.school.pk, Action.FLAG) == world.school
    assert centre_for(access_scope(world.manager), world.centre.pk, Action.ASSIGN) == world.centre


@pytest.mark.django_db
@pytest.mark.parametrize("actor", list(ACTORS))
def test_organisation_gates_unknown_ids_are_not_found(world, actor):
    user = ACTORS[actor](world)
    assert outcome_of(lambda: school_for(access_scope(user), 999_999, Action.FLAG)) == NOT_FOUND
    assert outcome_of(lambda: centre_for(access_scope(user), 999_999, Action.ASSIGN)) == NOT_FOUND


@pytest.mark.django_db
def test_organisation_gate_follows_group_held_roles(world):
    member = factories.UserFactory(username="manager.group")
    group = factories.GroupFactory()
    member.groups.add(group)
    assign_perm("assign_animators", group, world.centre)
    assert outcome_of(lambda: centre_for(access_scope(member), world.centre.pk, Action.ASSIGN)) == OK
    assert outcome_of(lambda: centre_for(access_scope(member), world.other_centre.pk, Action.ASSIGN)) == FORBIDDEN
