"""The cost of scoping does not grow with the number of cases (SPEC §4).

cases_visible_to derives visibility from grants on organisations, so listing 1,000 cases takes as many
queries as listing 10, and the SQL carries no per-case list of ids.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from outreach.access import access_scope, case_for, cases_visible_to
from outreach.models import Case
from schools.models import Pupil
from schools.permissions import Action
from tests import factories

# access_scope: global permissions and organisation grants (one UNION), per-case shares (one UNION);
# then the cases themselves.
SCOPE_QUERIES = 2
LIST_QUERIES = SCOPE_QUERIES + 1


def bulk_cases(n, *, school, flagged_by, **traits) -> list[Case]:
    """n open cases of n new pupils of `school`, in two INSERTs."""
    pupils = Pupil.objects.bulk_create([factories.PupilFactory.build(school=school) for _ in range(n)])
    cases = [
        factories.CaseFactory.build(pupil=pupil, school=school, flagged_by=flagged_by, **traits) for pupil in pupils
    ]
    return Case.objects.bulk_create(cases)


def measure(user):
    cases_visible_to(access_scope(user)).exists()  # warm the content-type cache, as any running server has
    with CaptureQueriesContext(connection) as ctx:
        cases = list(cases_visible_to(access_scope(user)))
    return cases, ctx


@pytest.fixture
def cases_routed_to_world(world):
    def add(n):
        return bulk_cases(n, school=world.school, flagged_by=world.school_staff, in_progress=True, centre=world.centre)

    return add


@pytest.fixture
def noise(world):
    """Cases the school user and the animator must not see."""
    return bulk_cases(
        5, school=world.other_school, flagged_by=world.other_school_staff, in_progress=True, centre=world.other_centre
    )


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["school_staff", "animator", "manager", "coordinator"])
def test_same_number_of_queries_for_10_and_1000_cases(world, cases_routed_to_world, noise, actor):
    user = getattr(world, actor)
    sees_noise = actor == "coordinator"
    cases_routed_to_world(10)

    small, small_ctx = measure(user)
    assert len(small) == 10 + (len(noise) if sees_noise else 0)
    assert len(small_ctx) == LIST_QUERIES == 3

    cases_routed_to_world(990)

    large, large_ctx = measure(user)
    assert len(large) == 1000 + (len(noise) if sees_noise else 0)
    assert len(large_ctx) == len(small_ctx) == 3
    noise_seen = {case.pk for case in noise} & {case.pk for case in large}
    assert noise_seen == ({case.pk for case in noise} if sees_noise else set())


@pytest.mark.django_db
def test_same_number_of_queries_for_a_per_case_share(world, cases_routed_to_world, django_assert_num_queries):
    shared = cases_routed_to_world(10)[3]
    assign_perm(Action.VIEW_SUMMARY.value, world.nobody, shared)

    small, small_ctx = measure(world.nobody)
    assert [case.pk for case in small] == [shared.pk]
    assert len(small_ctx) == 3

    cases_routed_to_world(990)

    cases_visible_to(access_scope(world.nobody)).exists()
    with django_assert_num_queries(3):
        large = list(cases_visible_to(access_scope(world.nobody)))
    assert [case.pk for case in large] == [shared.pk]


def case_id_forms(cases):
    return {form for case in cases for form in (str(case.pk), case.pk.hex)}


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["school_staff", "animator", "nobody"])
def test_sql_does_not_grow_with_the_number_of_cases(world, cases_routed_to_world, actor):
    user = getattr(world, actor)
    first = cases_routed_to_world(10)
    if actor == "nobody":
        assign_perm(Action.VIEW_SUMMARY.value, user, first[0])

    _small, small_ctx = measure(user)
    small_sql = small_ctx.captured_queries[-1]["sql"]
    assert "FROM" in small_sql.upper() and "outreach_case" in small_sql

    more = cases_routed_to_world(990)
    _large, large_ctx = measure(user)
    large_sql = large_ctx.captured_queries[-1]["sql"]

    assert len(large_sql) == len(small_sql)
    assert large_sql == small_sql
    # No per-case IN list: apart from an explicit share, no case id appears in the query.
    shared = {str(first[0].pk), first[0].pk.hex} if actor == "nobody" else set()
    leaked = {form for form in case_id_forms(first + more) - shared if form in large_sql}
    assert leaked == set()
    assert sum(len(query["sql"]) for query in large_ctx.captured_queries) == sum(
        len(query["sql"]) for query in small_ctx.captured_queries
    )


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["school_staff", "animator", "coordinator"])
def test_gate_cost_does_not_grow_with_the_number_of_cases(world, cases_routed_to_world, actor):
    user = getattr(world, actor)
    target = cases_routed_to_world(10)[0]
    case_for(access_scope(user), target.pk, Action.VIEW_SUMMARY)
    with CaptureQueriesContext(connection) as small_ctx:
        case_for(access_scope(user), target.pk, Action.VIEW_SUMMARY)
    cases_routed_to_world(990)
    with CaptureQueriesContext(connection) as large_ctx:
        assert case_for(access_scope(user), target.pk, Action.VIEW_SUMMARY) == target
    assert len(small_ctx) == len(large_ctx) == SCOPE_QUERIES + 1
