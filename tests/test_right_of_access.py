"""The right of access (GDPR art. 15) from the coordinator's case page: a printable page and the JSON, logged."""

import json

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from outreach import models as om
from tests import factories
from tests.api_helpers import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    case = make_case(world, om.Status.IN_PROGRESS, details="Absent depuis la Toussaint.")
    factories.GuardianFactory(pupil=case.pupil, name="Nadia Benali")
    factories.ContactFactory(case=case, author=world.animator, notes="La mère travaille de nuit.")
    return case


# (actor, answer): right org, other org, other role, anonymous.
PERMISSIONS = [
    ("coordinator", 200),
    ("school_staff", 403),
    ("other_school_staff", 404),
    ("animator", 403),
    ("other_animator", 404),
    ("manager", 403),
    ("anonymous", 302),
]


@pytest.mark.parametrize(("actor", "answer"), PERMISSIONS)
@pytest.mark.parametrize("as_json", [False, True], ids=["page", "json"])
def test_only_a_coordinator_exports_a_pupil(client, world, case, actor, answer, as_json):
    if actor != "anonymous":
        client.force_login(getattr(world, actor))
    before = om.AccessLog.objects.filter(action=om.AccessAction.EXPORT).count()

    response = client.get(f"/cases/{case.pk}/pupil-export/", {"format": "json"} if as_json else {})

    assert response.status_code == answer
    exported = om.AccessLog.objects.filter(action=om.AccessAction.EXPORT).count() - before
    assert exported == (1 if answer == 200 else 0)


def test_the_export_page_is_a_readable_document_with_the_notes_and_the_json(client, world, case):
    client.force_login(world.coordinator)

    page = client.get(f"/cases/{case.pk}/pupil-export/").content.decode()
    download = client.get(f"/cases/{case.pk}/pupil-export/", {"format": "json"})

    assert case.pupil.last_name in page and "Nadia Benali" in page and "La mère travaille de nuit." in page
    assert "Visite à domicile" in page and "home_visit" not in page  # labels, not codes
    assert 'href="?format=json"' in page
    assert download["Content-Disposition"] == f'attachment; filename="radar-{case.reference}-export.json"'
    body = json.loads(download.content)
    assert body["pupil"]["last_name"] == case.pupil.last_name
    assert body["cases"][0]["contacts"][0]["notes"] == "La mère travaille de nuit."


def test_the_export_lists_the_lists_that_showed_the_pupil(client, world, case):
    client.force_login(world.school_staff)
    client.get("/cases/")
    client.force_login(world.coordinator)

    body = json.loads(client.get(f"/cases/{case.pk}/pupil-export/", {"format": "json"}).content)

    assert {"read_list", "export"} <= {access["action"] for access in body["accesses"]}


def test_the_case_page_offers_the_export_to_a_coordinator_only(client, world, case):
    client.force_login(world.coordinator)
    coordinator_page = client.get(f"/cases/{case.pk}/").content.decode()
    client.force_login(world.school_staff)
    school_page = client.get(f"/cases/{case.pk}/").content.decode()

    with translation.override(settings.LANGUAGE_CODE):
        button = gettext("Export everything Radar holds about this pupil")
    assert button in coordinator_page and "/pupil-export/" in coordinator_page
    assert f"/access-log/?case={case.reference}" in coordinator_page
    assert button not in school_page and "/pupil-export/" not in school_page
