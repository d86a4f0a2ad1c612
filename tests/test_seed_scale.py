"""`manage.py seed_scale`: a large data set written by set-based SQL (PostgreSQL only)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from outreach.access import access_scope
from outreach.models import NO_DEADLINE, Case, CaseEvent, Contact, ReferenceCounter, Status
from schools.models import Guardian, Pupil, School
from schools.permissions import Action

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="seed_scale writes PostgreSQL SQL")


def test_seed_scale_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_scale", "--cases", "10")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is for other databases")
def test_seed_scale_refuses_anything_but_postgresql(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_scale", "--cases", "10")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_seed_scale_writes_consistent_cases_with_real_roles(settings):
    settings.DEBUG = True
    call_command("seed_scale", "--cases", "400", "--contacts", "2000")
    assert School.objects.count() == 60 and get_user_model().objects.count() == 306
    assert Case.objects.count() == Pupil.objects.count() == 400 and Contact.objects.count() == 2000
    assert Guardian.objects.count() >= 400 and CaseEvent.objects.count() > 400
    assert {status for status in Case.objects.values_list("status", flat=True)} == set(Status.values)
    for case in Case.objects.all():
        # The column Case.save() keeps, computed in SQL by the same rule.
        assert case.next_deadline_at == min(case.deadlines().values(), default=NO_DEADLINE)
        if case.first_contact_at:
            assert case.accepted_at <= case.first_contact_at <= case.last_contact_at
    with connection.cursor() as cursor:
        for table, column, target in (
            ("outreach_case", "pupil_id", "schools_pupil"),
            ("outreach_contact", "case_id", "outreach_case"),
            ("outreach_caseevent", "case_id", "outreach_case"),
            ("outreach_accesslog", "user_id", "auth_user"),
            ("schools_guardian", "pupil_id", "schools_pupil"),
        ):
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT id FROM {target})")  # noqa: S608
            assert cursor.fetchone()[0] == 0, f"{table}.{column}"
    for year, last in ReferenceCounter.objects.values_list("year", "last_number"):
        assert Case.objects.filter(reference__startswith=f"R-{year}-").count() == last
    scope = access_scope(get_user_model().objects.get(username="scale.school01.1"))
    assert list(scope.school_perms) == [School.objects.get(name="Collège Échelle 01").pk]
    assert Action.FLAG in next(iter(scope.school_perms.values())) and not scope.global_perms
    with pytest.raises(CommandError):  # seeded already
        call_command("seed_scale", "--cases", "10")
