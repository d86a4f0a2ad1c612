"""Unusual access alerts (CNIL 2021-122): what the daily check raises, and the coordinators' review."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from outreach.access_alerts import access_check, working_moment
from outreach.models import AccessAction, AccessAlert, AccessLog, AlertKind
from tests import factories

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 5, 11)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def cases(world):
    return [factories.CaseFactory(pupil=factories.PupilFactory(school=world.school)) for _ in range(12)]


def _read(user, case, at, action=AccessAction.READ_CASE):
    return factories.AccessLogFactory(user=user, case=case, at=at, action=action)


@pytest.fixture
def volume_floor(settings):
    settings.RADAR_ALERT_VOLUME_FLOOR = 5


# What the check raises ---------------------------------------------------------------------------


def test_an_account_reading_far_more_pupils_than_its_usual_day_is_raised(world, cases, volume_floor):
    for days_before in range(1, 6):
        for case in cases[:2]:
            _read(world.animator, case, _at(MONDAY - timedelta(days=days_before), 10))
    for case in cases[:10]:
        _read(world.animator, case, _at(MONDAY, 11))
        _read(world.animator, case, _at(MONDAY, 15))  # the same pupils again: counted once
    [alert] = access_check(day=MONDAY)
    assert (alert.kind, alert.user, alert.count, alert.usual) == (AlertKind.VOLUME, world.animator, 10, 2.0)
    assert alert.entries.count() == 20


def test_pupils_shown_by_lists_count_as_read(world, cases, volume_floor):
    from outreach.models import AccessedCase

    for days_before in range(1, 6):
        _read(world.animator, cases[0], _at(MONDAY - timedelta(days=days_before), 10))
    listing = factories.AccessLogFactory(
        user=world.animator, case=None, at=_at(MONDAY, 9), action=AccessAction.READ_LIST
    )
    AccessedCase.objects.bulk_create([AccessedCase(access_log=listing, case=case) for case in cases])
    [alert] = access_check(day=MONDAY)
    assert (alert.kind, alert.count, alert.usual) == (AlertKind.VOLUME, 12, 1.0)
    assert list(alert.entries.all()) == [listing]


def test_a_busy_day_within_the_accounts_habits_or_under_the_floor_is_not_raised(world, cases, volume_floor):
    for days_before in range(1, 4):
        for case in cases[:4]:
            _read(world.manager, case, _at(MONDAY - timedelta(days=days_before), 10))
    for case in cases[:12]:
        _read(world.manager, case, _at(MONDAY, 10))  # 12 pupils: 3 times 4, not more
    for case in cases[:5]:
        _read(world.animator, case, _at(MONDAY, 10))  # no history, but not above the floor of 5
    assert access_check(day=MONDAY) == []


@pytest.mark.parametrize(
    ("moment", "outside"),
    [
        (_at(MONDAY, 10), 0),
        (_at(MONDAY, 7, 59), 1),
        (_at(MONDAY, 19), 1),
        (_at(MONDAY + timedelta(days=5), 10), 0),  # a Saturday
        (_at(MONDAY + timedelta(days=6), 10), 2),  # a Sunday: the 10:00 reveal too
    ],
)
def test_a_reveal_outside_working_hours_is_raised(world, cases, moment, outside):
    assert working_moment(moment) is not bool(outside)
    _read(world.coordinator, cases[0], moment, action=AccessAction.REVEAL)
    _read(world.coordinator, cases[1], _at(moment.date(), 10), action=AccessAction.REVEAL)
    alerts = access_check(day=moment.date())
    assert [(alert.kind, alert.count) for alert in alerts] == ([(AlertKind.AFTER_HOURS, outside)] if outside else [])


def test_reading_a_case_long_closed_is_raised_but_not_a_return_to_confirm_nor_an_export(world):
    long_closed = factories.CaseFactory(closed=True, closed_at=_at(MONDAY - timedelta(days=60), 9))
    just_closed = factories.CaseFactory(closed=True, closed_at=_at(MONDAY - timedelta(days=5), 9))
    behind = _read(world.school_staff, long_closed, _at(MONDAY, 10))
    _read(world.school_staff, just_closed, _at(MONDAY, 10))
    _read(world.coordinator, long_closed, _at(MONDAY, 10), action=AccessAction.EXPORT)
    [alert] = access_check(day=MONDAY)
    assert (alert.kind, alert.user, alert.count) == (AlertKind.CLOSED_CASE, world.school_staff, 1)
    assert list(alert.entries.all()) == [behind]


def test_checking_a_day_again_adds_nothing(world, cases):
    _read(world.coordinator, cases[0], _at(MONDAY, 23), action=AccessAction.REVEAL)
    out = StringIO()
    call_command("check_access", day=MONDAY.isoformat(), stdout=out)
    call_command("check_access", day=MONDAY.isoformat(), stdout=out)
    assert AccessAlert.objects.count() == 1
    assert AccessAlert.objects.get().entries.count() == 1
    assert out.getvalue().count("1 alert(s)") == 2


# The coordinators' page ----------------------------------------------------------------------------


@pytest.fixture
def alerts(world, cases):
    for index, case in enumerate(cases[:3]):
        _read(world.animator, case, _at(MONDAY + timedelta(days=index), 23), action=AccessAction.REVEAL)
        access_check(day=MONDAY + timedelta(days=index))
    return list(AccessAlert.objects.order_by("day"))


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 200), ("school_staff", 403), ("animator", 403), ("manager", 403), ("nobody", 403)],
)
def test_only_coordinators_see_the_alerts(client, world, alerts, who, status):
    client.force_login(getattr(world, who))
    response = client.get(reverse("outreach:alerts"))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert all(f"alert-{alert.pk}" in html for alert in alerts)
        assert alerts[0].entries.get().case.reference in html


@pytest.mark.parametrize(("who", "status"), [("school_staff", 403), ("animator", 403), ("manager", 403)])
def test_only_coordinators_review_alerts(client, world, alerts, who, status):
    client.force_login(getattr(world, who))
    assert client.post(reverse("outreach:alert_review", args=[alerts[0].pk])).status_code == status
    assert AccessAlert.objects.filter(reviewed_at__isnull=False).count() == 0


def test_anonymous_users_are_sent_to_the_login_page(client, alerts):
    for response in (
        client.get(reverse("outreach:alerts")),
        client.post(reverse("outreach:alert_review", args=[alerts[0].pk])),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_unknown_alert_is_not_found(client, world):
    client.force_login(world.coordinator)
    assert client.post(reverse("outreach:alert_review", args=[999999])).status_code == 404


def test_a_coordinator_marks_an_alert_reviewed_once_and_it_is_logged(client, world, alerts):
    client.force_login(world.coordinator)
    url = reverse("outreach:alert_review", args=[alerts[0].pk])
    assert client.post(url, {"note": "Permanence du soir, vérifié"}).status_code == 302
    alert = AccessAlert.objects.get(pk=alerts[0].pk)
    assert alert.reviewed_by == world.coordinator and alert.review_note == "Permanence du soir, vérifié"
    assert AccessLog.objects.filter(user=world.coordinator, what="alert_reviewed", detail=f"alert={alert.pk}").exists()
    client.post(url, {"note": "encore"})
    assert AccessAlert.objects.get(pk=alert.pk).review_note == "Permanence du soir, vérifié"
    html = client.get(reverse("outreach:alerts")).content.decode()
    # Alerts to review come first.
    assert html.index(f"alert-{alerts[1].pk}") < html.index(f"alert-{alert.pk}")


def test_the_page_costs_the_same_queries_whatever_the_alerts_hold(
    client, world, alerts, cases, django_assert_max_num_queries
):
    client.force_login(world.coordinator)
    client.get(reverse("outreach:alerts"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("outreach:alerts"))
    for index, case in enumerate(cases[3:9]):
        _read(world.manager, case, _at(MONDAY + timedelta(days=index), 23), action=AccessAction.REVEAL)
        _read(world.manager, cases[0], _at(MONDAY + timedelta(days=index), 23, 30), action=AccessAction.REVEAL)
        access_check(day=MONDAY + timedelta(days=index))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("outreach:alerts"))
