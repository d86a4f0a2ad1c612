"""Set-based flagging (outreach.services.cases_flag): the single flag's rules per item, the valid items applied
together in a fixed number of queries, the invalid ones reported and never written."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import models as om
from outreach.access import access_scope
from outreach.models import neighbourhood_key
from outreach.services import case_flag, cases_flag
from schools.domain_errors import ActionForbidden
from schools.models import Guardian, Pupil
from tests import factories
from tests.api_helpers import API, body_of, client_for, flag_body, world_fixtures

api_world, world, fast_passwords = world_fixtures()


def item(external_ref: str, **pupil_overrides) -> dict:
    pupil = {
        "external_ref": external_ref,
        "first_name": "Inès",
        "last_name": "Martin",
        "level": "5e",
        "postcode": "59000",
        "neighbourhood": "Wazemmes",
        "guardians": [{"name": "Samia Martin", "relationship": "mère", "phone": "0600000000"}],
    } | pupil_overrides
    return {"pupil": pupil, "reasons": ["long_absence"], "details": "", "urgency": "normal", "half_days_missed": 4}


def flag_many(world, items):
    scope = access_scope(world.school_staff)
    return cases_flag(actor=world.school_staff, school=world.school, items=items, scope=scope)


def test_each_item_is_checked_by_the_single_flags_rules_and_a_bad_one_is_never_written(world):
    bad_guardian = item("EL-2", guardians=[{"name": "Paul", "email": "paul@"}])
    no_reason = item("EL-3") | {"reasons": []}
    other_without_details = item("EL-4") | {"reasons": ["other"]}
    no_level = item("EL-5", level="")
    outcomes = flag_many(world, [item("EL-1"), bad_guardian, no_reason, other_without_details, no_level])

    assert [outcome.created for outcome in outcomes] == [True, False, False, False, False]
    assert set(outcomes[1].errors) == {"pupil.guardians.0.email"}
    assert set(outcomes[2].errors) == {"reasons"}
    assert set(outcomes[3].errors) == {"details"}
    assert set(outcomes[4].errors) == {"pupil.level"}
    assert list(Pupil.objects.values_list("external_ref", flat=True)) == ["EL-1"]
    assert om.Case.objects.get().pupil.external_ref == "EL-1"


def test_new_cases_are_written_as_a_single_flag_writes_them(world):
    now = timezone.now()
    (outcome,) = cases_flag(actor=world.school_staff, school=world.school, items=[item("EL-1")], now=now)
    case = om.Case.objects.get(pk=outcome.case.pk)
    assert (case.status, case.centre, case.routed_at) == (om.Status.ROUTED, world.centre, now)
    assert case.reference.startswith(f"R-{timezone.localdate(now).year}-")
    assert case.next_deadline_at == now + timedelta(days=2)  # the centre's acceptance deadline
    assert list(case.reasons.values_list("reason", flat=True)) == ["long_absence"]
    assert list(case.events.values_list("kind", "from_status", "to_status")) == [
        ("flagged", "", "flagged"),
        ("auto_routed", "flagged", "routed"),
    ]
    assert sorted(om.AccessLog.objects.filter(case=case).values_list("what", "detail", "pupil_id")) == [
        ("auto_routed", f"centre={world.centre.pk}", case.pupil_id),
        ("flagged", "", case.pupil_id),
    ]
    assert list(case.pupil.guardians.values_list("name", flat=True)) == ["Samia Martin"]


def test_references_follow_the_single_flags_counter_without_a_gap(world):
    first, _created = case_flag(
        actor=world.school_staff, school=world.school, pupil=item("EL-0")["pupil"], reasons=["behaviour"]
    )
    outcomes = flag_many(world, [item(f"EL-{n}") for n in range(1, 4)])
    numbers = [int(case.reference.rsplit("-", 1)[1]) for case in [first, *(o.case for o in outcomes)]]
    assert numbers == list(range(numbers[0], numbers[0] + 4))


def test_a_known_pupil_keeps_what_the_item_leaves_out_and_gets_the_guardians_given(world):
    pupil = factories.PupilFactory(school=world.school, external_ref="EL-1", class_name="5e B", city="Lille")
    factories.GuardianFactory(pupil=pupil, name="Ancien tuteur")
    (outcome,) = flag_many(world, [item("EL-1", first_name="Inès", class_name="5e C")])
    pupil.refresh_from_db()
    assert outcome.created and outcome.case.pupil_id == pupil.pk
    assert (pupil.first_name, pupil.class_name, pupil.city) == ("Inès", "5e C", "Lille")
    assert list(Guardian.objects.filter(pupil=pupil).values_list("name", flat=True)) == ["Samia Martin"]


def test_an_open_case_is_answered_as_it_is_and_a_pupil_named_twice_is_flagged_once(world):
    open_case, _created = case_flag(
        actor=world.school_staff, school=world.school, pupil=item("EL-1")["pupil"], reasons=["behaviour"]
    )
    outcomes = flag_many(world, [item("EL-1"), item("EL-2"), item("EL-2", class_name="5e D")])
    assert [(outcome.created, outcome.case.pk) for outcome in outcomes] == [
        (False, open_case.pk),
        (True, outcomes[1].case.pk),
        (False, outcomes[1].case.pk),
    ]
    assert Pupil.objects.get(external_ref="EL-2").class_name == "5e D"
    assert om.Case.objects.count() == 2
    assert om.AccessLog.objects.filter(what="flag_existing").count() == 2


def test_a_school_the_caller_may_not_flag_for_is_refused_whole(world):
    with pytest.raises(ActionForbidden):
        cases_flag(actor=world.other_school_staff, school=world.school, items=[item("EL-1")])
    assert not Pupil.objects.exists()


@pytest.mark.parametrize("written", ["lille sud", "LILLE-SUD", "Lille  Sud", "lille-süd"])
def test_neighbourhoods_match_whatever_the_case_accents_hyphens_and_spaces(world, written):
    lille_sud = factories.NeighbourhoodFactory(name="Lille-Sud")
    centre = factories.CentreFactory(neighbourhoods=[lille_sud])
    (outcome,) = flag_many(world, [item("EL-1", neighbourhood=written, postcode="")])
    single, _created = case_flag(
        actor=world.school_staff,
        school=world.school,
        pupil=item("EL-2", neighbourhood=written, postcode="")["pupil"],
        reasons=["behaviour"],
    )
    assert outcome.case.centre_id == single.centre_id == centre.pk
    assert neighbourhood_key(written) == lille_sud.key == "lille sud"


def test_a_neighbourhood_two_centres_cover_is_left_to_triage(world):
    factories.CentreFactory(neighbourhoods=[world.neighbourhood])
    (outcome,) = flag_many(world, [item("EL-1")])
    assert (outcome.case.status, outcome.case.centre_id) == (om.Status.FLAGGED, None)


def _flag_queries(world, first_ref: int, count: int) -> int:
    items = [
        item(f"EL-{n}", neighbourhood=("Wazemmes", "Moulins", "")[n % 3]) for n in range(first_ref, first_ref + count)
    ]
    scope = access_scope(world.school_staff)
    with CaptureQueriesContext(connection) as queries:
        outcomes = cases_flag(actor=world.school_staff, school=world.school, items=items, scope=scope)
    assert all(outcome.created for outcome in outcomes)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_items(world):
    few = _flag_queries(world, 0, 3)
    many = _flag_queries(world, 100, 30)
    # pupils locked, inserted; guardians inserted (new pupils have none to delete); open cases; reference
    # counter; neighbourhoods by key, by postcode, their centres; cases, reasons, events, access-log rows; the
    # savepoint taken and released (the test runs inside a transaction)
    assert few == many == 14


def test_api_bulk_reports_each_item_in_order(world, pupil_data):
    items = [
        flag_body(world, pupil_data, external_ref="EL-1"),
        flag_body(world, pupil_data, external_ref="EL-2", reasons=[]),
        flag_body(world, pupil_data, external_ref="EL-1"),
        {"pupil": "nope"},
        flag_body(world, pupil_data, external_ref="EL-3", school="0000000X"),
    ]
    results = body_of(client_for(world.school_staff).post(f"{API}/cases/bulk/", items, format="json"))
    assert [(result["index"], result["result"]) for result in results] == [
        (0, "created"),
        (1, "error"),
        (2, "existing"),
        (3, "error"),
        (4, "error"),
    ]
    assert results[0]["case"]["id"] == results[2]["case"]["id"]
    assert set(results[4]["error"]["fields"]) == {"school"}
    assert Counter(Pupil.objects.values_list("external_ref", flat=True)) == {"EL-1": 1}
