"""The family information notice (GDPR art. 14): printed for a case, edited by coordinators, and whether families
are informed in time (the funders' report's compliance figure)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from outreach.models import AccessLog, Case, FamilyNoticeText, NoticeLanguage
from outreach.programme_reports import calendar_year
from outreach.reports import funders_family_notice
from outreach.selectors import family_notice_compliance
from tests import factories

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def case(world):
    pupil = factories.PupilFactory(school=world.school, first_name="Anastasiette", last_name="Zyxwvutsky")
    return factories.CaseFactory(pupil=pupil, routed=True, centre=world.centre, reference="R-1999-00007")


def test_the_notice_is_seeded_in_french_and_the_guardians_languages():
    texts = dict(FamilyNoticeText.objects.values_list("language", "text"))
    assert set(texts) == set(NoticeLanguage.values)
    assert "Vos droits" in texts["fr"] and "{dpo}" in texts["fr"]
    assert all("{reference}" in text and "{retention_months}" in text for text in texts.values())


# Printing it for a case ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("school_staff", 200),
        ("animator", 200),
        ("manager", 200),
        ("coordinator", 200),
        ("other_school_staff", 404),
        ("other_animator", 404),
        ("nobody", 404),
    ],
)
def test_whoever_sees_the_case_prints_its_notice(client, world, case, who, status):
    client.force_login(getattr(world, who))
    response = client.get(reverse("outreach:family_notice_print", args=[case.pk]))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert world.school.name in html and world.centre.name in html and case.reference in html
        assert "Zyxwvutsky" not in html
        assert "{college}" not in html


def test_anonymous_users_are_sent_to_the_login_page(client, case):
    response = client.get(reverse("outreach:family_notice_print", args=[case.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_notice_prints_in_the_familys_language_right_to_left_where_it_is_written_so(client, world, case):
    client.force_login(world.school_staff)
    html = client.get(reverse("outreach:family_notice_print", args=[case.pk]), {"language": "ar"}).content.decode()
    assert 'lang="ar" dir="rtl"' in html and "حقوقكم" in html
    html = client.get(reverse("outreach:family_notice_print", args=[case.pk]), {"language": "xx"}).content.decode()
    assert 'lang="fr" dir="ltr"' in html


def test_the_case_page_links_to_the_notice(client, world, case):
    client.force_login(world.school_staff)
    html = client.get(reverse("outreach:case", args=[case.pk])).content.decode()
    assert reverse("outreach:family_notice_print", args=[case.pk]) in html


# Editing it --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 200), ("school_staff", 403), ("animator", 403), ("manager", 403), ("nobody", 403)],
)
def test_only_coordinators_edit_the_notice(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.get(reverse("outreach:family_notice_texts")).status_code == status
    assert client.get(reverse("outreach:family_notice_edit", args=["tr"])).status_code == status
    response = client.post(reverse("outreach:family_notice_edit", args=["tr"]), {"text": "Yeni metin {reference}"})
    assert response.status_code == (302 if status == 200 else status)
    assert (FamilyNoticeText.objects.get(language="tr").text == "Yeni metin {reference}") is (status == 200)


def test_anonymous_users_cannot_open_the_editor(client):
    response = client.get(reverse("outreach:family_notice_texts"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_edit_is_logged_and_shows_on_the_next_print(client, world, case):
    client.force_login(world.coordinator)
    client.post(reverse("outreach:family_notice_edit", args=["fr"]), {"text": "Bonjour. Dossier {reference}."})
    assert AccessLog.objects.filter(user=world.coordinator, what="family_notice_text", detail="fr").exists()
    html = client.get(reverse("outreach:family_notice_print", args=[case.pk])).content.decode()
    assert f"Bonjour. Dossier {case.reference}." in html


def test_an_empty_notice_or_an_unknown_language_is_refused(client, world):
    client.force_login(world.coordinator)
    assert client.post(reverse("outreach:family_notice_edit", args=["fr"]), {"text": "  "}).status_code == 400
    assert client.get(reverse("outreach:family_notice_edit", args=["xx"])).status_code == 404
    assert "Vos droits" in FamilyNoticeText.objects.get(language="fr").text


# Compliance ----------------------------------------------------------------------------------------------


def _case(flagged_at: datetime, informed_after_days: int | None) -> Case:
    informed = None if informed_after_days is None else flagged_at.date() + timedelta(days=informed_after_days)
    return factories.CaseFactory(flagged_at=flagged_at, family_informed_on=informed)


@pytest.fixture
def notices(world):
    """Late at night Paris time, so a day computed in UTC would be the wrong one."""
    now = datetime(2026, 6, 30, 12, tzinfo=PARIS)
    long_ago = datetime(2026, 3, 2, 23, 30, tzinfo=PARIS)
    lately = now - timedelta(days=5)
    _case(long_ago, 30)  # on the last day: in time
    _case(long_ago, 31)  # a day late
    _case(long_ago, None)  # never informed, deadline past
    _case(lately, None)  # not due yet: not counted
    _case(lately, 2)  # informed already: in time
    _case(datetime(2025, 3, 2, 10, tzinfo=PARIS), 3)  # another year
    return now


def test_compliance_is_the_share_of_families_informed_within_30_days(notices):
    assert family_notice_compliance(Case.objects.all(), now=notices) == {"cases": 5, "in_time": 3, "share": 0.6}
    assert family_notice_compliance(Case.objects.none(), now=notices) == {"cases": 0, "in_time": 0, "share": None}


def test_the_funders_report_gives_the_years_compliance(client, world, notices, settings):
    assert funders_family_notice(cases=Case.objects.all(), period=calendar_year(2026), now=notices) == {
        "cases": 4,
        "in_time": 2,
        "share": 0.5,
    }
    client.force_login(world.coordinator)
    html = client.get(reverse("outreach:funders_report"), {"year": timezone.localdate().year}).content.decode()
    assert 'id="funders-family_notice"' in html
