"""Races on PostgreSQL: what the services' row locks, `If-Match` checks and retries promise under real concurrency.

Proven here: one ETag lets exactly one of N simultaneous writes through (the version is compared under the case's row
lock); parallel flags of one new pupil, alone or in bulk, make one pupil and one case and never a 500; a reopen racing
a flag of the same pupil leaves at most one open case and never a 500 or 503; a real deadlock is retried once, then
answered 409 "conflict", never 503.

Why threads: each thread is its own Django database connection, so each request runs in its own PostgreSQL
transaction and takes real row locks, exactly as concurrent server workers do. A `threading.Barrier` releases the
requests together; nothing sleeps. The tests need committed data (`transaction=True`) and PostgreSQL's locking, so
they are skipped on SQLite, which has one writer at a time and nothing to race.
"""

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from outreach import models as om
from schools.models import Pupil
from tests.api_helpers import API, assert_error, body_of, client_for, flag_body, make_case

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL's row locks and sessions"),
    pytest.mark.django_db(transaction=True),
]


def race(*requests):
    """Sends each `(user, send)` from its own thread (own client, own connection), all released by one barrier."""
    barrier = threading.Barrier(len(requests))
    responses, failures = [None] * len(requests), []

    def run(index, user, send):
        try:
            client = APIClient()
            client.force_authenticate(get_user_model().objects.get(pk=user.pk))  # no user object shared by threads
            connection.ensure_connection()
            barrier.wait(timeout=30)
            responses[index] = send(client)
        except BaseException as error:  # reported below: an exception in a thread would otherwise vanish
            failures.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, *request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert not failures, failures
    return responses


def statuses(responses) -> Counter:
    return Counter(response.status_code for response in responses)


def events(case, kind) -> int:
    return om.CaseEvent.objects.filter(case=case, kind=kind).count()


WRITES = {
    "patch the flag": (
        "patch",
        "",
        lambda index: {"urgency": ["normal", "high"][index % 2], "details": f"Version {index}"},
        om.EventKind.FLAG_UPDATED,
    ),
    "record a family notice": (
        "post",
        "family-notice/",
        lambda index: {"on": timezone.localdate().isoformat(), "channel": ["sms", "letter"][index % 2]},
        om.EventKind.FAMILY_INFORMED,
    ),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_one_etag_lets_exactly_one_of_eight_parallel_writes_through(world, write):
    method, path, body, kind = WRITES[write]
    case = make_case(world, om.Status.IN_PROGRESS)
    etag = client_for(world.school_staff).get(f"{API}/cases/{case.pk}/")["ETag"]
    url = f"{API}/cases/{case.pk}/{path}"

    def send(index):
        return lambda client: getattr(client, method)(url, body(index), format="json", HTTP_IF_MATCH=etag)

    responses = race(*[(world.school_staff, send(index)) for index in range(8)])

    assert statuses(responses) == {200: 1, 412: 7}, [r.content[:200] for r in responses]
    for response in responses:
        if response.status_code == 412:
            assert_error(response, 412, "stale")
    assert events(case, kind) == 1
    assert om.FamilyNotice.objects.filter(case=case).count() == (kind == om.EventKind.FAMILY_INFORMED)


def test_parallel_flags_of_one_new_pupil_make_one_pupil_and_one_case(world, pupil_data):
    body = flag_body(world, pupil_data, external_ref="EL-RACE")
    flag = (world.school_staff, lambda client: client.post(f"{API}/cases/", body, format="json"))

    responses = race(*[flag] * 10)

    assert statuses(responses) == {201: 1, 200: 9}, [r.content[:200] for r in responses]
    assert len({body_of(response)["id"] for response in responses}) == 1
    assert Pupil.objects.filter(school=world.school, external_ref="EL-RACE").count() == 1
    assert om.Case.objects.filter(pupil__external_ref="EL-RACE").count() == 1


def test_parallel_bulk_flags_create_each_pupil_once(world, pupil_data):
    refs = [f"EL-BULK-{number}" for number in range(5)]
    items = [flag_body(world, pupil_data, external_ref=ref) for ref in refs]
    bulk = (world.school_staff, lambda client: client.post(f"{API}/cases/bulk/", items, format="json"))

    responses = race(*[bulk] * 10)

    assert statuses(responses) == {200: 10}, [r.content[:200] for r in responses]
    results = [body_of(response) for response in responses]
    for index, ref in enumerate(refs):
        outcomes = [result[index] for result in results]
        assert Counter(outcome["result"] for outcome in outcomes) == {"created": 1, "existing": 9}, outcomes
        assert len({outcome["case"]["id"] for outcome in outcomes}) == 1
        assert om.Case.objects.filter(pupil__school=world.school, pupil__external_ref=ref).count() == 1


def test_bulks_flagging_overlapping_new_pupils_in_parallel_answer_every_item_once(world, pupil_data):
    """Two bulks share half their new pupils, named in opposite orders: each pupil and case is made once, every item
    of both is answered, neither is a 500."""
    first = [f"EL-OVER-{number:03d}" for number in range(0, 60)]
    second = [f"EL-OVER-{number:03d}" for number in range(30, 90)][::-1]

    def bulk(refs):
        items = [flag_body(world, pupil_data, external_ref=ref) for ref in refs]
        return (world.school_staff, lambda client: client.post(f"{API}/cases/bulk/", items, format="json"))

    for _round in range(3):
        responses = race(bulk(first), bulk(second))
        assert statuses(responses) == {200: 2}, [r.content[:300] for r in responses]
        results = dict(zip(("first", "second"), (body_of(response) for response in responses), strict=True))
        assert [r["index"] for r in results["first"]] == list(range(60))
        assert [r["index"] for r in results["second"]] == list(range(60))
        case_of = {}
        for refs, answered in ((first, results["first"]), (second, results["second"])):
            for ref, result in zip(refs, answered, strict=True):
                assert result["result"] in ("created", "existing"), result
                assert case_of.setdefault(ref, result["case"]["id"]) == result["case"]["id"]
        created = Counter(r["result"] for r in results["first"] + results["second"])["created"]
        assert created == 90 * (_round == 0)
        assert Pupil.objects.filter(external_ref__startswith="EL-OVER-").count() == 90
        assert om.Case.objects.filter(pupil__external_ref__startswith="EL-OVER-").count() == 90


def test_a_reopen_racing_a_flag_of_the_same_pupil_leaves_one_open_case(world, pupil_data):
    for _round in range(5):
        closed = make_case(world, om.Status.CLOSED)
        url = f"{API}/cases/{closed.pk}/reopen/"
        body = flag_body(world, pupil_data, external_ref=closed.pupil.external_ref)
        reopen, flag = race(
            (world.coordinator, lambda c, url=url: c.post(url, {"note": "Absent"}, format="json")),
            (world.school_staff, lambda c, body=body: c.post(f"{API}/cases/", body, format="json")),
        )

        open_cases = list(om.Case.objects.filter(pupil=closed.pupil).exclude(status=om.Status.CLOSED))
        assert len(open_cases) == 1, (reopen.status_code, flag.status_code)
        if flag.status_code == 201:  # the flag went first: a new case, and the reopen finds it
            assert_error(reopen, 409, "invalid_transition")
            assert body_of(flag)["id"] == str(open_cases[0].pk) != str(closed.pk)
        else:  # the reopen went first: the flag answers with the reopened case, as it is
            assert (reopen.status_code, flag.status_code) == (200, 200), (reopen.content, flag.content)
            assert body_of(flag)["id"] == body_of(reopen)["id"] == str(open_cases[0].pk) == str(closed.pk)


def test_a_deadlock_is_retried_once_then_answered_409_never_503(world):
    """Two real deadlocks in a row against `POST /cases/{id}/reopen/`, orchestrated without sleeping.

    `case_reopen` locks the pupil row, then the case row. This test's own transaction (main thread) holds the case
    row. Each time the API request is seen waiting for it (pg_blocking_pids, polled), we ask for the pupil table
    in EXCLUSIVE mode, which waits for the API's lock on its pupil row: a lock cycle. Our deadlock_timeout is long,
    so PostgreSQL's check fires in the API's session and aborts its transaction (40P01). A table lock, unlike a row
    lock, is handed over atomically when its holder aborts, and we give it back (rollback to a savepoint) before
    the next round: each round is exactly one deadlock, whoever is faster. Two rounds are offered: without the
    retry the API answers after round one (503), with a second retry it gets through after round two (200); only
    "retried once, then Conflict" answers 409.
    """
    closed = make_case(world, om.Status.CLOSED)
    api_pid, pid_known, answered, responses = [], threading.Event(), threading.Event(), []

    def reopen():
        try:
            connection.ensure_connection()
            api_pid.append(connection.connection.info.backend_pid)
            pid_known.set()
            client = APIClient()
            client.force_authenticate(get_user_model().objects.get(pk=world.coordinator.pk))
            responses.append(client.post(f"{API}/cases/{closed.pk}/reopen/", {"note": "Absent"}, format="json"))
        finally:
            answered.set()
            connection.close()

    def api_waits_for_us(cursor) -> bool:
        while not answered.is_set():
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [api_pid[0]])
            if cursor.fetchone()[0]:
                return True
        return False

    thread = threading.Thread(target=reopen)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL deadlock_timeout = '60s'")
            list(om.Case.objects.select_for_update().filter(pk=closed.pk).values_list("pk"))
            thread.start()
            assert pid_known.wait(timeout=30)
            for attempt in (1, 2):
                assert api_waits_for_us(cursor), f"attempt {attempt} never came: {responses[0].content[:300]}"
                savepoint = transaction.savepoint()
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Pupil._meta.db_table)} IN EXCLUSIVE MODE")
                transaction.savepoint_rollback(savepoint)
    finally:
        thread.join(timeout=60)
    assert not thread.is_alive()

    assert_error(responses[0], 409, "conflict")
    closed.refresh_from_db()
    assert closed.status == om.Status.CLOSED
    assert events(closed, om.EventKind.REOPENED) == 0
