"""The access log and the timeline are append-only in PostgreSQL itself: triggers refuse UPDATE and DELETE, except
the retention purge and the erasure of event notes, each behind a transaction-local switch carrying its cutoff."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from outreach import models as om
from outreach.audit import audit_trail_open_before
from tests import factories

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no triggers: the models enforce it"),
    pytest.mark.django_db,
]


def refused(operation) -> bool:
    """Whether the database refuses the operation (run in a savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            operation()
    except DatabaseError as error:
        assert "append-only" in str(error)
        return True
    return False


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def rows():
    now = timezone.now()
    event = factories.CaseEventFactory(at=now - timedelta(days=400), note="Famille injoignable depuis mai.")
    log = factories.AccessLogFactory(case=event.case, at=now - timedelta(days=400), detail="Pour le bilan")
    return {"event": event, "log": log, "now": now}


@pytest.mark.parametrize("model", [om.CaseEvent, om.AccessLog], ids=["timeline", "access-log"])
def test_the_orm_base_manager_can_neither_update_nor_delete(rows, model):
    row = rows["event" if model is om.CaseEvent else "log"]
    table = model._meta.db_table

    assert refused(lambda: model._base_manager.filter(pk=row.pk).update(at=rows["now"]))
    assert refused(lambda: model._base_manager.filter(pk=row.pk).delete())
    assert refused(lambda: raw(f"UPDATE {table} SET at = %s WHERE id = %s", rows["now"], row.pk))  # noqa: S608
    assert refused(lambda: raw(f"DELETE FROM {table} WHERE id = %s", row.pk))  # noqa: S608
    assert model._base_manager.filter(pk=row.pk, at=row.at).exists()


def test_the_switch_lets_retention_purge_only_the_access_log_entries_before_its_cutoff(rows):
    recent = factories.AccessLogFactory(case=rows["event"].case, at=rows["now"] - timedelta(days=10))

    def purge():
        audit_trail_open_before(rows["now"] - timedelta(days=365))
        om.AccessLog._base_manager.filter(pk__in=[rows["log"].pk]).delete()

    def purge_recent():
        audit_trail_open_before(rows["now"] - timedelta(days=365))
        raw("DELETE FROM outreach_accesslog WHERE id = %s", recent.pk)

    def update_under_switch():
        audit_trail_open_before(rows["now"])
        raw("UPDATE outreach_accesslog SET detail = '' WHERE id = %s", rows["log"].pk)

    assert refused(purge_recent)
    assert refused(update_under_switch)
    assert not refused(purge)
    assert not om.AccessLog.objects.filter(pk=rows["log"].pk).exists()
    assert om.AccessLog.objects.filter(pk=recent.pk).exists()


def test_the_switch_lets_anonymisation_erase_an_event_note_and_nothing_else(rows):
    event = rows["event"]

    def under_switch(sql, cutoff=rows["now"]):
        def run():
            audit_trail_open_before(cutoff)
            raw(sql, event.pk)

        return run

    assert refused(under_switch("UPDATE outreach_caseevent SET note = 'autre chose' WHERE id = %s"))
    assert refused(under_switch("UPDATE outreach_caseevent SET note = '', kind = 'closed' WHERE id = %s"))
    assert refused(under_switch("DELETE FROM outreach_caseevent WHERE id = %s"))
    assert refused(under_switch("UPDATE outreach_caseevent SET note = '' WHERE id = %s", event.at - timedelta(days=1)))
    assert not refused(under_switch("UPDATE outreach_caseevent SET note = '' WHERE id = %s"))
    assert om.CaseEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.django_db(transaction=True)
def test_the_switch_lasts_only_as_long_as_its_transaction():
    old = timezone.now() - timedelta(days=400)
    first = factories.AccessLogFactory(at=old)
    second = factories.AccessLogFactory(case=first.case, at=old)
    with transaction.atomic():
        audit_trail_open_before(timezone.now())
        om.AccessLog._base_manager.filter(pk=first.pk).delete()

    assert refused(lambda: om.AccessLog._base_manager.filter(pk=second.pk).delete())
    with pytest.raises(DatabaseError):
        raw("DELETE FROM outreach_accesslog WHERE id = %s", second.pk)
    assert not om.AccessLog.objects.filter(pk=first.pk).exists()
    assert om.AccessLog.objects.filter(pk=second.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_switch_is_refused_outside_a_transaction():
    with pytest.raises(RuntimeError):
        audit_trail_open_before(timezone.now())
