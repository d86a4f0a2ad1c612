"""Emails (SPEC §7): who is told what, only once the write is committed, and never a name, an address or a note."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import notifications, services
from outreach.account import daily_digest_choose
from outreach.models import Status
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BASE = "https://radar.example.org"
# Names, an address and notes that must never leave Radar by email.
SECRETS = (
    "Anastasiette",
    "Zyxwvutsky",
    "Quintilienne",
    "Borowczykowa",
    "7 impasse des Glycines",
    "Glycines",
    "Hospitalisée",
    "Rappeler Mme Borowczykowa",
    "refus de la famille Zyxwvutsky",
)


@pytest.fixture(autouse=True)
def links(settings):
    settings.RADAR_BASE_URL = BASE


def _pupil(**overrides):
    return {
        "external_ref": "EL-77",
        "first_name": "Anastasiette",
        "last_name": "Zyxwvutsky",
        "birth_date": None,
        "level": "5e",
        "class_name": "5e B",
        "address": "7 impasse des Glycines",
        "postcode": "59000",
        "city": "Lille",
        "neighbourhood": "Wazemmes",
        "guardians": [{"name": "Quintilienne Borowczykowa", "relationship": "mère", "phone": "0600000000"}],
        **overrides,
    }


def _flag(world, django_capture_on_commit_callbacks, now=None, **pupil):
    with django_capture_on_commit_callbacks(execute=True):
        case, _created = services.case_flag(
            now=now,
            actor=world.school_staff,
            school=world.school,
            pupil=_pupil(**pupil),
            reasons=["long_absence"],
            details="Hospitalisée en octobre",
        )
    return case


def _sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def _text(message) -> str:
    return f"{message.subject}\n{message.body}"


# Who is told what --------------------------------------------------------------------------------


def test_a_case_routed_automatically_is_told_to_the_centre_managers_only(world, django_capture_on_commit_callbacks):
    case = _flag(world, django_capture_on_commit_callbacks)
    assert case.status == Status.ROUTED
    assert [message.to for message in mail.outbox] == [[world.manager.email]]
    assert case.reference in mail.outbox[0].subject
    assert f"{BASE}/cases/{case.pk}/" in mail.outbox[0].body


def test_a_case_routed_by_a_coordinator_is_told_to_that_centre(world, django_capture_on_commit_callbacks):
    case = _flag(world, django_capture_on_commit_callbacks, neighbourhood="Bois-Blancs", postcode="59999")
    assert case.status == Status.FLAGGED and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.case_route(actor=world.coordinator, case=case, centre=world.other_centre)
    assert [message.to for message in mail.outbox] == [[world.other_manager.email]]


@pytest.mark.parametrize(("step", "news"), [("accept", "accepted"), ("decline", "declined")])
def test_the_centre_answer_is_told_to_the_flagging_school(world, django_capture_on_commit_callbacks, step, news):
    case = _flag(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if step == "accept":
            services.case_accept(actor=world.manager, case=case)
        else:
            services.case_decline(actor=world.manager, case=case, reason="refus de la famille Zyxwvutsky")
    assert [message.to for message in mail.outbox] == [[world.school_staff.email]]
    assert case.reference in mail.outbox[0].subject
    assert (news == "declined") == ("triage" in mail.outbox[0].subject)


def test_a_closure_asks_the_school_to_confirm_the_return(world, django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "en"
    case = _flag(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_accept(actor=world.manager, case=case)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_close(actor=world.animator, case=case, outcome="returned_to_school", note="Hospitalisée")
    assert [message.to for message in mail.outbox] == [[world.school_staff.email]]
    assert "a return to confirm" in mail.outbox[0].subject


def test_nothing_is_sent_before_the_write_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_flag(actor=world.school_staff, school=world.school, pupil=_pupil(), reasons=["long_absence"])
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_news_that_no_longer_holds_when_the_task_runs_is_not_sent(world, django_capture_on_commit_callbacks):
    case = _flag(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_decline(actor=world.manager, case=case, reason="Hors secteur")
    mail.outbox.clear()
    assert notifications.send_case_news.call("routed", str(case.pk)) == 0
    assert mail.outbox == []


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_in_production_an_email_waits_in_the_database_for_the_worker(world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    case = _flag(world, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "outreach.notifications.send_case_news"
    # The task table holds a kind and an id, nothing about the pupil.
    assert queued.args_kwargs == {"args": ["routed", str(case.pk)], "kwargs": {}}


# The daily digest ---------------------------------------------------------------------------------


@pytest.fixture
def overdue(world, django_capture_on_commit_callbacks):
    """A case of centre A past its first-contact deadline, with a next step naming the family, past due too."""
    long_ago = timezone.now() - timedelta(days=40)
    case = _flag(world, django_capture_on_commit_callbacks, now=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_accept(actor=world.manager, case=case, now=long_ago + timedelta(days=1))
        services.contact_log(
            actor=world.animator,
            case=case,
            kind="home_visit",
            occurred_at=long_ago + timedelta(days=2),
            result="no_answer",
            notes="Quintilienne Borowczykowa absente, 7 impasse des Glycines",
            next_step="Rappeler Mme Borowczykowa",
            next_step_due_on=timezone.localdate() - timedelta(days=3),
        )
    mail.outbox.clear()
    return case


def test_the_digest_lists_overdue_cases_and_next_steps_by_reference(world, overdue):
    email = notifications.digest_email(world.animator, now=timezone.now())
    assert email is not None
    assert email.body.count(overdue.reference) == 2
    assert f"{BASE}/cases/{overdue.pk}/" in email.body
    assert f"{BASE}/account/" in email.body


def test_the_coordinators_digest_counts_overdue_cases_and_late_family_notices(world, overdue, settings):
    settings.LANGUAGE_CODE = "en"
    email = notifications.digest_email(world.coordinator, now=timezone.now())
    assert email is not None
    assert "Family notice: 1" in email.body
    assert overdue.reference not in email.body


def test_send_digests_mails_those_with_something_to_do_unless_they_opted_out(world, overdue):
    daily_digest_choose(actor=world.manager, receive=False)
    call_command("send_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    told = sorted(address for message in mail.outbox for address in message.to)
    # The animator has work; the other centre's staff have none; the manager opted out; schools get no digest.
    assert told == sorted([world.animator.email, world.coordinator.email])


def test_no_email_holds_a_name_an_address_or_a_note(world, overdue, django_capture_on_commit_callbacks):
    """Every kind of email, rendered from data full of names."""
    rendered = [notifications.case_news_email(news, overdue) for news in notifications.CaseNews] + [
        notifications.digest_email(user, now=timezone.now())
        for user in (world.animator, world.manager, world.coordinator)
    ]
    closed = factories.CaseFactory(
        closed=True,
        outcome="moved_away",
        reference="R-1999-00001",
        pupil=factories.PupilFactory(first_name="Anastasiette"),
    )
    rendered.append(notifications.case_news_email(notifications.CaseNews.CLOSED, closed))
    with django_capture_on_commit_callbacks(execute=True):
        services.case_close(actor=world.animator, case=overdue, outcome="returned_to_school", note="Hospitalisée")
    call_command("send_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    texts = [f"{email.subject}\n{email.body}" for email in rendered if email] + [_text(m) for m in mail.outbox]
    assert len(texts) >= 8
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)
        assert BASE in text


def test_a_deployment_without_a_base_url_is_warned(settings):
    from outreach.checks import base_url_set

    assert base_url_set(None) == []
    settings.RADAR_BASE_URL = ""
    assert [warning.id for warning in base_url_set(None)] == ["radar.W001"]


def test_a_digest_costs_the_same_queries_whatever_the_caseload(world, overdue, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as one_case:
        notifications.digest_email(world.manager, now=timezone.now())
    long_ago = timezone.now() - timedelta(days=40)
    for number in range(5):
        _flag(world, django_capture_on_commit_callbacks, now=long_ago, external_ref=f"EL-{number}")
    with CaptureQueriesContext(connection) as six_cases:
        email = notifications.digest_email(world.manager, now=timezone.now())
    assert email is not None and email.body.count("R-") >= 6
    assert len(six_cases.captured_queries) == len(one_case.captured_queries)
