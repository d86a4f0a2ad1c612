"""Retention (SPEC §7): anonymisation of quiet closed cases, the access-log purge, the command, the dashboard."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from outreach import dashboard, retention
from outreach import models as om
from outreach.access import access_scope, cases_visible_to
from outreach.pupil_export import pupil_export
from outreach.reports import GROUPINGS, funders_report, outcome_report
from outreach.services import case_reopen
from schools.domain_errors import InvalidTransition
from schools.models import Guardian, Pupil
from tests import factories
from tests.api_helpers import client_for

# The cases of these tests are written at fixed dates around 12 May 2026, so they run pinned there; the tests whose
# dates are relative to now are marked `clock` alone and run at every instant of `make test-dates`.
pytestmark = [pytest.mark.django_db, pytest.mark.clock(at="2026-05-12T10:15")]

PARIS = ZoneInfo("Europe/Paris")


def ui(message: str, **values) -> str:
    """A message as the pages and commands say it (in French, once the translations are merged)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values if values else gettext(message)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 11, tzinfo=PARIS)


def closed_case(world, *, flagged: datetime, closed: datetime, pupil=None, **fields) -> om.Case:
    """A closed case with everything retention erases or keeps: reasons, contacts, tutoring, a support, a return,
    a guardian, a timeline with notes, an access-log entry, all dated at or before `closed`."""
    pupil = pupil or factories.PupilFactory(
        school=world.school, neighbourhood="Wazemmes", birth_date=date(2012, 6, 4), sex="M"
    )
    factories.GuardianFactory(pupil=pupil, name="Nadia Benali", phone="0612345678")
    case = factories.CaseFactory(
        pupil=pupil,
        school=world.school,
        centre=world.centre,
        status=om.Status.CLOSED,
        outcome=om.Outcome.RETURNED_TO_SCHOOL,
        outcome_note="Retour en classe, la mère travaille de nuit.",
        details="Absent depuis la rentrée, frère à l'hôpital.",
        flagged_by=world.school_staff,
        flagged_at=flagged,
        status_changed_at=closed,
        routed_at=flagged + timedelta(days=1),
        accepted_at=flagged + timedelta(days=2),
        first_contact_at=flagged + timedelta(days=3),
        last_contact_at=flagged + timedelta(days=3),
        family_informed_on=(flagged + timedelta(days=4)).date(),
        closed_at=closed,
        **fields,
    )
    factories.CaseReasonFactory(case=case, reason=om.Reason.LONG_ABSENCE)
    contact = factories.ContactFactory(
        case=case,
        author=world.animator,
        occurred_at=flagged + timedelta(days=3),
        created_at=flagged + timedelta(days=3),
        notes="La mère dit que Yanis dort chez son oncle.",
        next_step="Rappeler l'oncle",
    )
    factories.SupportFactory(
        case=case,
        contact=contact,
        recorded_by=world.animator,
        provided_on=(flagged + timedelta(days=3)).date(),
        created_at=flagged + timedelta(days=3),
        detail="Tablette n° 12 remise à Yanis",
    )
    factories.TutoringSessionFactory(
        case=case,
        author=world.animator,
        on=(flagged + timedelta(days=5)).date(),
        created_at=flagged + timedelta(days=5),
        notes="Yanis a du mal en lecture.",
    )
    factories.ReturnConfirmationFactory(
        case=case,
        recorded_by=world.school_staff,
        on=closed.date(),
        created_at=closed,
        half_days_missed=2,
    )
    factories.CaseEventFactory(case=case, actor=world.school_staff, at=flagged, note="")
    factories.CaseEventFactory(
        case=case,
        actor=world.manager,
        at=closed,
        kind=om.EventKind.CLOSED,
        from_status=om.Status.IN_PROGRESS,
        to_status=om.Status.CLOSED,
        note="Yanis est revenu, sa mère a trouvé un travail.",
    )
    return case


@pytest.fixture
def cases(world):
    """Due: closed 25 months before the test's now with nothing since. Not due: closed 23 months ago; and an old
    case whose pupil has an open case."""
    now = timezone.now()
    due = closed_case(world, flagged=at(2024, 1, 10), closed=at(2024, 3, 1))
    recent = closed_case(world, flagged=at(2024, 5, 2), closed=at(2024, 7, 1))
    flagged_again = closed_case(world, flagged=at(2023, 9, 1), closed=at(2023, 12, 1))
    reopened = factories.CaseFactory(
        pupil=flagged_again.pupil, school=world.school, flagged_by=world.school_staff, flagged_at=now
    )
    return {"due": due, "recent": recent, "flagged_again": flagged_again, "open": reopened}


def figures(world) -> dict:
    """Every figure of the dashboard and the reports, as a coordinator sees them."""
    scope = access_scope(world.coordinator)
    visible = cases_visible_to(scope)
    now = timezone.now()
    months = dashboard.last_months(36, timezone.localdate(now))
    return {
        "kpis": dashboard.kpis(visible, now),
        "flags": dashboard.flags_per_month(visible, months),
        "delays": dashboard.first_contact_delays(visible, months),
        "outcomes": [dashboard.outcomes_by(scope=scope, group_by=g, since=months[0]) for g in ("centre", "school")],
        "overdue": dashboard.overdue_by_deadline(visible, now),
        "attendance": dashboard.attendance_before_after(visible),
        "reports": [outcome_report(scope=scope, group_by=g, closed_from=None, closed_to=None) for g in GROUPINGS],
        "funders": [funders_report(cases=visible, year=year) for year in (2023, 2024, 2025, 2026)],
    }


def test_a_pupil_whose_cases_are_all_quiet_for_24_months_is_anonymised_and_no_one_else(world, cases):
    summary = retention.retention_apply(progress=None)

    assert (summary.pupils, summary.cases) == (1, 1)
    assert summary.references == [cases["due"].reference]
    case = om.Case.objects.get(pk=cases["due"].pk)
    pupil = Pupil.objects.get(pk=case.pupil_id)
    assert case.anonymised_at == pupil.anonymised_at == timezone.now()
    assert (pupil.first_name, pupil.last_name, pupil.class_name, pupil.address, pupil.postcode, pupil.city) == (
        ("",) * 6
    )
    assert pupil.external_ref == f"anonymised-{pupil.pk}"
    assert pupil.birth_date == date(2012, 1, 1)
    assert (pupil.sex, pupil.level, pupil.neighbourhood) == ("M", "5e", "Wazemmes")
    assert not Guardian.objects.filter(pupil=pupil).exists()
    assert (case.details, case.outcome_note) == ("", "")
    assert (case.outcome, case.centre_id, case.closed_at) == (
        om.Outcome.RETURNED_TO_SCHOOL,
        world.centre.pk,
        at(2024, 3, 1),
    )
    assert set(om.Contact.objects.filter(case=case).values_list("notes", "next_step")) == {("", "")}
    assert set(om.Support.objects.filter(case=case).values_list("detail", "kind")) == {("", "device_tablet")}
    assert set(om.TutoringSession.objects.filter(case=case).values_list("notes", "duration_minutes")) == {("", 90)}
    assert set(om.CaseEvent.objects.filter(case=case).values_list("note", flat=True)) == {""}
    assert om.CaseReason.objects.filter(case=case).count() == 1
    for name in ("recent", "flagged_again"):
        untouched = om.Case.objects.select_related("pupil").get(pk=cases[name].pk)
        assert untouched.anonymised_at is None and untouched.pupil.anonymised_at is None
        assert untouched.details and untouched.pupil.last_name == cases[name].pupil.last_name


def test_a_contact_logged_within_24_months_keeps_the_case(world, cases):
    factories.ContactFactory(
        case=cases["due"], author=world.animator, occurred_at=at(2024, 6, 1), created_at=at(2024, 6, 1)
    )

    assert retention.retention_apply(progress=None).pupils == 0


def test_an_event_within_24_months_keeps_the_case(world, cases):
    factories.CaseEventFactory(case=cases["due"], actor=world.school_staff, at=at(2025, 1, 1))

    assert retention.retention_apply(progress=None).pupils == 0


def test_every_report_and_dashboard_figure_is_the_same_after_anonymisation(world, cases):
    before = figures(world)

    assert retention.retention_apply(progress=None).pupils == 1

    assert figures(world) == before


def test_the_access_log_is_purged_after_12_months_and_the_run_is_recorded(world, cases):
    cutoff = retention.access_log_cutoff(timezone.now())
    old = factories.AccessLogFactory(case=cases["recent"], user=world.coordinator, at=cutoff - timedelta(days=1))
    kept = factories.AccessLogFactory(case=cases["recent"], user=world.coordinator, at=cutoff + timedelta(days=1))

    summary = retention.retention_apply(progress=None, batch_size=1)

    assert summary.access_log == 1
    assert not om.AccessLog.objects.filter(pk=old.pk).exists()
    assert om.AccessLog.objects.filter(pk=kept.pk).exists()
    run = om.RetentionRun.objects.get()
    assert (run.pupils_anonymised, run.cases_anonymised, run.access_log_purged) == (1, 1, 1)


@pytest.mark.clock
def test_the_purge_takes_the_rows_behind_alerts_and_list_reads_with_it(world, cases):
    past_cutoff = retention.access_log_cutoff(timezone.now()) - timedelta(days=1)
    old = factories.AccessLogFactory(case=cases["recent"], user=world.coordinator, at=past_cutoff)
    alert = om.AccessAlert.objects.create(
        kind=om.AlertKind.CLOSED_CASE,
        user=world.coordinator,
        day=past_cutoff.date(),
        count=1,
        created_at=at(2025, 5, 12),
    )
    om.AccessAlertEntry.objects.create(alert=alert, access_log=old)
    om.AccessedCase.objects.create(access_log=old, case=cases["recent"])

    retention.retention_apply(progress=None, batch_size=10)

    assert not om.AccessLog.objects.filter(pk=old.pk).exists()
    assert not om.AccessAlertEntry.objects.exists() and not om.AccessedCase.objects.exists()
    assert om.AccessAlert.objects.filter(pk=alert.pk).exists()


@pytest.mark.clock
def test_csv_imports_are_deleted_after_30_days(world, cases):
    def job(created_at):
        return om.ImportJob.objects.create(
            school=world.school,
            created_by=world.school_staff,
            created_at=created_at,
            heartbeat_at=created_at,
            rows=[{"number": 2, "cells": {"first_name": "Inès"}}],
            rows_total=1,
        )

    now = timezone.now()
    old, recent = job(now - timedelta(days=31)), job(now - timedelta(days=29))
    om.ImportRowResult.objects.create(job=old, number=2, status="error", errors=[["first_name", ["x"]]])

    assert retention.retention_apply(progress=None, dry_run=True).imports == 1
    assert retention.retention_apply(progress=None).imports == 1
    assert list(om.ImportJob.objects.all()) == [recent] and not om.ImportRowResult.objects.exists()


def test_a_second_run_finds_nothing_more_to_do(world, cases):
    retention.retention_apply(progress=None, batch_size=1)

    summary = retention.retention_apply(progress=None, batch_size=1)

    assert (summary.pupils, summary.cases, summary.access_log) == (0, 0, 0)
    assert om.RetentionRun.objects.count() == 2


def test_the_dry_run_lists_what_it_would_do_and_writes_nothing(world, cases):
    factories.AccessLogFactory(case=cases["recent"], user=world.coordinator, at=at(2025, 1, 1))
    out = io.StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)

    message = (
        "Dry run: %(pupils)d pupils (%(cases)d cases) would be anonymised, %(log)d access-log entries purged, "
        "%(imports)d CSV imports deleted."
    )
    assert ui(message, pupils=1, cases=1, log=1, imports=0) in out.getvalue()
    assert cases["due"].reference in out.getvalue()
    assert not om.Case.objects.filter(anonymised_at__isnull=False).exists()
    assert not Pupil.objects.filter(anonymised_at__isnull=False).exists()
    assert om.AccessLog.objects.count() == 1
    assert not om.RetentionRun.objects.exists()


def test_the_command_prints_its_summary(world, cases):
    out = io.StringIO()

    call_command("apply_retention", stdout=out)

    message = (
        "%(pupils)d pupils (%(cases)d cases) anonymised, %(log)d access-log entries purged, "
        "%(imports)d CSV imports deleted."
    )
    assert ui(message, pupils=1, cases=1, log=0, imports=0) in out.getvalue()


def test_an_anonymised_case_cannot_be_reopened(world, cases):
    retention.retention_apply(progress=None)
    case = om.Case.objects.get(pk=cases["due"].pk)

    with pytest.raises(InvalidTransition):
        case_reopen(actor=world.coordinator, case=case, note="Il est revenu")
    assert om.Case.objects.get(pk=case.pk).status == om.Status.CLOSED


def test_an_anonymised_case_appears_in_no_search(client, world, cases):
    retention.retention_apply(progress=None)
    reference = cases["due"].reference
    client.force_login(world.school_staff)

    def web(q):
        return f">{q}</a>" in client.get("/cases/", {"q": q}).content.decode()

    def api(q):
        return bool(client_for(world.school_staff).get("/api/v1/cases/", {"q": q}).json()["results"])

    still_found = cases["recent"].reference
    assert not web(reference) and not api(reference)
    assert web(still_found) and api(still_found)


def test_the_pupil_export_says_the_pupil_was_anonymised(world, cases):
    retention.retention_apply(progress=None)

    export = pupil_export(
        actor=world.coordinator, scope=access_scope(world.coordinator), pupil_id=cases["due"].pupil_id
    )

    assert export["pupil"]["anonymised_at"] == timezone.now()
    assert export["cases"][0]["anonymised_at"] == timezone.now()
    assert export["pupil"]["last_name"] == "" and export["pupil"]["guardians"] == []


def test_the_dashboard_says_when_retention_last_ran_and_warns_after_48_hours(client, world):
    client.force_login(world.coordinator)
    never = client.get("/dashboard/").content.decode()
    om.RetentionRun.objects.create(
        started_at=timezone.now() - timedelta(hours=49),
        finished_at=timezone.now() - timedelta(hours=49),
        pupils_anonymised=3,
        cases_anonymised=4,
        access_log_purged=5,
    )
    late = client.get("/dashboard/").content.decode()
    om.RetentionRun.objects.create(
        started_at=timezone.now() - timedelta(hours=2),
        finished_at=timezone.now() - timedelta(hours=2),
        pupils_anonymised=0,
        cases_anonymised=0,
        access_log_purged=7,
    )
    recent = client.get("/dashboard/").content.decode()

    never_ran = ui("Retention has never run: check the daily timer (apply_retention).")
    stopped = ui("Retention has not run for more than 48 hours: check the daily timer (apply_retention).")
    assert never_ran in never and "panel-warning" in never
    assert stopped in late and "panel-warning" in late
    assert stopped not in recent and never_ran not in recent and "panel-warning" not in recent
