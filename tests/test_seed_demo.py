"""manage.py seed_demo: the demo data of SPEC §8."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone, translation

from outreach.access import access_scope
from outreach.demo.data import ACCOUNTS, CENTRES, NEIGHBOURHOODS, SCHOOLS
from outreach.models import (
    AccessLog,
    Case,
    CaseEvent,
    Centre,
    Contact,
    ContactKind,
    ContactResult,
    EventKind,
    Neighbourhood,
    Outcome,
    Status,
    Support,
    SupportKind,
    TutoringSession,
)
from outreach.roles import Role
from outreach.selectors import centres_covering, overdue_conditions
from schools.models import Level, Pupil, School, validate_uai

pytestmark = pytest.mark.clock

DEMO_USERNAMES = [*ACCOUNTS, "admin"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Row counts of every installed model, plus the natural keys that must not change."""
    return {
        "counts": {model._meta.label: model._default_manager.count() for model in apps.get_models()},
        "usernames": sorted(get_user_model().objects.values_list("username", flat=True)),
        "cases": sorted(
            Case.objects.values_list("reference", "pupil__external_ref", "status", "outcome", "flagged_at")
        ),
        "pupils": sorted(Pupil.objects.values_list("school__uai", "external_ref", "first_name", "last_name")),
        "coverage": sorted(Centre.objects.values_list("name", "neighbourhoods__name")),
    }


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    seed()


@pytest.mark.django_db
def test_refuses_without_force_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert not School.objects.exists()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_twice_leaves_the_same_data_and_force_overrides_debug(settings):
    settings.DEBUG = True
    # The command reports in the active language; the assertion below reads its English wording.
    with translation.override("en"):
        first_output = seed()
        first = snapshot()
        settings.DEBUG = False
        second_output = seed("--force")
    assert snapshot() == first
    assert "already present" in second_output and "already present" not in first_output
    assert first["counts"]["outreach.Case"] == 42


@pytest.mark.django_db
def test_reference_data_is_the_one_of_the_spec_and_routes_as_intended(seeded):
    assert sorted(School.objects.values_list("uai", "name", "city")) == [
        ("0599001N", "Collège Les Marronniers", "Lille"),
        ("0599002P", "Collège Jean Jaurès", "Lille"),
        ("0599003R", "Collège Pasteur", "Faches-Thumesnil"),
    ]
    for uai, *_rest in SCHOOLS.values():
        validate_uai(uai)
    assert set(Centre.objects.values_list("name", flat=True)) == {
        "Lazare Garreau",
        "L'Arbrisseau",
        "Le Projet",
        "Chemin Rouge",
    }
    covered = [name for _centre, name in Centre.objects.values_list("name", "neighbourhoods__name")]
    assert len(covered) == len(set(covered)), "each centre covers its own neighbourhoods"
    assert Neighbourhood.objects.filter(centres__isnull=True).exists()
    assert Neighbourhood.objects.filter(is_qpv=True).exists() and Neighbourhood.objects.filter(is_qpv=False).exists()

    expected = {name: [] for name in NEIGHBOURHOODS}
    for centre, (_address, covered) in CENTRES.items():
        for name in covered:
            expected[name] = [centre]
    for name, centres in expected.items():
        assert [c.name for c in centres_covering(neighbourhood_name=name, postcode="")] == centres, name
    # Without a neighbourhood, a Lille postcode is shared by several centres (triage), Faches' is not.
    assert len(centres_covering(neighbourhood_name="", postcode="59000")) > 1
    assert [c.name for c in centres_covering(neighbourhood_name="", postcode="59155")] == ["Chemin Rouge"]


@pytest.mark.django_db
def test_every_demo_account_logs_in_with_the_demo_password_and_holds_its_role(seeded):
    request = RequestFactory().post("/")
    for username in DEMO_USERNAMES:
        assert authenticate(request=request, username=username, password="radar-demo") is not None, username
    user_model = get_user_model()
    admin = user_model.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    for username, (first_name, last_name, role, organisation) in ACCOUNTS.items():
        user = user_model.objects.get(username=username)
        assert (user.first_name, user.last_name) == (first_name, last_name)
        assert not user.is_staff
        if role == Role.COORDINATOR:
            expected = (role, None, None)
        elif role == Role.SCHOOL_STAFF:
            expected = (role, "school", School.objects.get(uai=SCHOOLS[organisation][0]).pk)
        else:
            expected = (role, "centre", Centre.objects.get(name=organisation).pk)
        assert access_scope(user).roles() == [expected], username


@pytest.mark.django_db
def test_cases_cover_every_status_outcome_and_deadline(seeded):
    assert 35 <= Case.objects.count() <= 45
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Case.objects.exclude(outcome="").values_list("outcome", flat=True)) == set(Outcome.values)
    for name, condition in overdue_conditions().items():
        assert Case.objects.filter(condition).exists(), f"no case overdue for {name}"
    withdrawn = Case.objects.filter(events__kind=EventKind.WITHDRAWN)
    assert withdrawn.filter(outcome=Outcome.RESOLVED_BY_SCHOOL).exists()
    assert Case.objects.filter(status=Status.FLAGGED, events__kind=EventKind.DECLINED).exists()
    assert Case.objects.filter(status=Status.IN_PROGRESS, events__kind=EventKind.REOPENED).exists()
    assert Case.objects.filter(events__kind=EventKind.DECLINED, status=Status.IN_PROGRESS).exists(), "rerouted"
    rerouted_by_hand = CaseEvent.objects.filter(kind=EventKind.ROUTED, actor__username="coordination")
    assert rerouted_by_hand.exists()
    assert Pupil.objects.filter(cases__isnull=False).distinct().count() < Case.objects.count(), "a pupil flagged twice"
    assert set(Contact.objects.values_list("kind", flat=True)) == set(ContactKind.values)
    assert set(Contact.objects.values_list("result", flat=True)) == set(ContactResult.values)
    assert set(Support.objects.values_list("kind", flat=True)) == set(SupportKind.values)
    assert Support.objects.filter(detail__contains="Emmaüs Connect").exists()
    assert TutoringSession.objects.filter(attended=False).exists()
    assert Case.objects.filter(return_confirmations__isnull=False).exists()
    assert Case.objects.filter(family_notices__isnull=False).exists()


@pytest.mark.django_db
def test_cases_went_through_the_services_in_time_order(seeded):
    now = timezone.now()
    for case in Case.objects.all():
        events = list(case.events.order_by("pk").values_list("kind", "at", "actor__username"))
        assert events[0][0] == EventKind.FLAGGED
        assert events[0][2].startswith("cpe."), "flagged by the school's own staff"
        moments = [at for _kind, at, _actor in events]
        assert moments == sorted(moments), case.reference
        assert case.flagged_at <= moments[0] + timedelta(seconds=1) and moments[-1] <= now
        assert AccessLog.objects.filter(case=case, action="write").count() >= len(events)
        if case.closed_at:
            assert case.flagged_at < case.closed_at <= now
    assert not Contact.objects.filter(occurred_at__gt=now).exists()
    months = {timezone.localtime(at).strftime("%Y-%m") for at in Case.objects.values_list("flagged_at", flat=True)}
    assert len(months) >= 6, "flags spread over the months, so the charts have data"
    oldest = Case.objects.order_by("flagged_at").first().flagged_at
    assert now - timedelta(days=300) < oldest < now - timedelta(days=150)


@pytest.mark.django_db
def test_pupils_look_like_collégiens(seeded):
    for pupil in Pupil.objects.prefetch_related("guardians", "cases"):
        assert pupil.level in Level.values and pupil.sex in {"F", "M"}
        assert pupil.external_ref.startswith("DEMO-") and pupil.address and pupil.postcode
        assert 1 <= pupil.guardians.count() <= 2
        flagged_on = timezone.localdate(max(case.flagged_at for case in pupil.cases.all()))
        age = (flagged_on - pupil.birth_date).days / 365.25
        assert 10 <= age <= 16.5, (pupil.level, pupil.birth_date)
    assert Pupil.objects.filter(guardians__interpreter_needed=True).exclude(guardians__language="français").exists()
    assert Pupil.objects.filter(level__in=["ULIS", "SEGPA"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("today", ["2027-01-05T09:00"])
def test_demo_holds_together_whatever_the_day_it_is_loaded(settings, frozen_clock, today):
    """Loaded just after a new year and the Christmas holidays: still in time order, references by year."""
    settings.DEBUG = True
    now = datetime.fromisoformat(today).replace(tzinfo=ZoneInfo("Europe/Paris"))
    frozen_clock.move_to(now)
    seed()
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    for case in Case.objects.all():
        moments = list(case.events.order_by("pk").values_list("at", flat=True))
        assert moments == sorted(moments) and moments[-1] <= now, case.reference
        assert case.reference.startswith(f"R-{timezone.localtime(case.flagged_at).year}-")


@pytest.mark.django_db
def test_the_centres_programmes_have_a_term_of_registers_and_emmaus_connect_loans(seeded):
    from outreach.models import Device, DeviceLoan, GroupSession, Presence, TutoringGroup

    groups = TutoringGroup.objects.all()
    assert groups.count() == 3 and groups.values("centre").distinct().count() == 2
    taken = GroupSession.objects.filter(register_taken_at__isnull=False)
    # At least five weeks of each group's term so far (a term starting after the holidays is short in February).
    assert taken.count() >= 3 * 5, "a term of sessions with their register"
    lines = TutoringSession.objects.filter(group_session__isnull=False)
    present = lines.filter(presence=Presence.PRESENT).count()
    absent = lines.filter(presence=Presence.ABSENT).count()
    assert 0.6 < present / (present + absent) < 0.95, "realistic attendance"
    assert lines.filter(presence=Presence.EXCUSED).exists()
    assert 18 <= Device.objects.filter(partner="Emmaüs Connect").count() <= 22
    today = timezone.localdate()
    loans = DeviceLoan.objects.all()
    assert loans.filter(ended_on__isnull=True, due_on__gte=today).exists()
    assert loans.filter(ended_on__isnull=True, due_on__lt=today).exists()
    assert loans.filter(end="returned").exists() and loans.filter(end="given").exists()
