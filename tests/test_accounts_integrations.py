"""Integration tokens: owned by a school, created by its staff with a second factor, listed and revoked by its
staff and the coordinators; they flag pupils and read that school's cases, nothing else, and every use is logged."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from outreach import models as om
from outreach.access import access_scope
from outreach.integrations import USED, integration_create
from outreach.mfa import MFA_PENDING
from outreach.offboarding import staff_offboard
from schools.domain_errors import ActionForbidden
from tests import factories
from tests.api_helpers import flag_body, make_case

API = "/api/v1"
PAGE = "/account/integrations/"


def verified_client(client, user):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[MFA_PENDING] = None
    session.save()
    return client


def issue(world, school=None, name="Pronote", valid_days=30):
    school = school or world.school
    staff = world.school_staff if school == world.school else world.other_school_staff
    return integration_create(
        actor=staff, scope=access_scope(staff), school=school, name=name, valid_days=valid_days, mfa_verified=True
    )


def api(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Integration {raw}")
    return client


# Creating ------------------------------------------------------------------------------------------------------


def test_school_staff_verified_with_a_second_factor_create_a_token_shown_once(world, client):
    verified_client(client, world.school_staff)
    response = client.post(PAGE, {"create": "1", "school": world.school.pk, "name": "Pronote", "valid_days": 30})
    assert response.status_code == 200
    token, raw = response.context["created"]
    assert raw.startswith("rdi_") and raw in response.content.decode()
    assert token.school == world.school and token.created_by == world.school_staff
    assert raw not in client.get(PAGE).content.decode(), "shown once"
    assert om.AccessLog.objects.filter(what="integration_created", user=world.school_staff).exists()


def test_a_session_without_a_verified_second_factor_cannot_create_a_token(world, client):
    client.force_login(world.school_staff)
    response = client.post(PAGE, {"create": "1", "school": world.school.pk, "name": "Pronote", "valid_days": 30})
    assert response.status_code == 400
    assert not om.IntegrationToken.objects.exists()


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("school_staff", True), ("other_school_staff", False), ("animator", False), ("coordinator", False)],
)
def test_only_the_schools_staff_create_its_tokens(world, actor, allowed):
    user = getattr(world, actor)
    if not allowed:
        with pytest.raises(ActionForbidden):
            integration_create(
                actor=user, scope=access_scope(user), school=world.school, name="X", valid_days=3, mfa_verified=True
            )
        return
    token, _raw = issue(world)
    assert token.pk


def test_the_life_of_a_token_is_bounded(world, client, settings):
    verified_client(client, world.school_staff)
    days = settings.RADAR_INTEGRATION_TOKEN_MAX_DAYS + 1
    response = client.post(PAGE, {"create": "1", "school": world.school.pk, "name": "X", "valid_days": days})
    assert response.status_code == 400
    assert not om.IntegrationToken.objects.exists()


# Listing and revoking ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "status", "sees_own", "sees_other"),
    [
        ("school_staff", 200, True, False),
        ("other_school_staff", 200, False, True),
        ("coordinator", 200, True, True),
        ("animator", 403, False, False),
        ("manager", 403, False, False),
    ],
)
def test_who_lists_which_tokens(world, client, actor, status, sees_own, sees_other):
    issue(world, name="Pronote A")
    issue(world, school=world.other_school, name="Pronote B")
    client.force_login(getattr(world, actor))
    response = client.get(PAGE)
    assert response.status_code == status
    page = response.content.decode()
    assert ("Pronote A" in page) is sees_own
    assert ("Pronote B" in page) is sees_other


def test_anonymous_is_sent_to_the_login(client, db):
    assert client.get(PAGE)["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("actor", "revoked"), [("school_staff", True), ("coordinator", True), ("other_school_staff", False)]
)
def test_who_revokes(world, client, actor, revoked):
    token, raw = issue(world)
    client.force_login(getattr(world, actor))
    response = client.post(PAGE, {"revoke": token.pk})
    assert response.status_code == (302 if revoked else 404)
    token.refresh_from_db()
    assert (token.revoked_at is not None) is revoked
    assert (api(raw).get(f"{API}/cases/").status_code == 401) is revoked


# Using ---------------------------------------------------------------------------------------------------------


def test_a_token_flags_a_pupil_and_reads_its_schools_cases_only(world, pupil_data):
    own = make_case(world)
    other = make_case(world, school=world.other_school)
    _token, raw = issue(world)
    client = api(raw)
    assert client.get(f"{API}/cases/{own.pk}/").status_code == 200
    assert client.get(f"{API}/cases/{other.pk}/").status_code == 404
    ids = {case["id"] for case in client.get(f"{API}/cases/").json()["results"]}
    assert ids == {str(own.pk)}
    created = client.post(f"{API}/cases/", flag_body(world, pupil_data), format="json")
    assert created.status_code == 201
    elsewhere = client.post(
        f"{API}/cases/", flag_body(world, pupil_data, external_ref="EL-2", school=world.other_school.uai), format="json"
    )
    assert elsewhere.status_code in (403, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/me/"),
        ("get", "/reports/outcomes/"),
        ("get", "/schools/"),
        ("get", "/audit/access/"),
        ("post", "/auth/logout/"),
    ],
)
def test_a_token_does_nothing_else(world, method, path):
    _token, raw = issue(world)
    assert getattr(api(raw), method)(f"{API}{path}").status_code == 403


def test_a_token_cannot_take_a_case_step(world):
    case = make_case(world, om.Status.IN_PROGRESS)
    _token, raw = issue(world)
    assert api(raw).post(f"{API}/cases/{case.pk}/withdraw/", {}, format="json").status_code == 403


def test_every_use_is_logged_under_the_integrations_name(world):
    case = make_case(world)
    token, raw = issue(world, name="Pronote Jaurès")
    api(raw).get(f"{API}/cases/")
    api(raw).get(f"{API}/cases/{case.pk}/")
    uses = om.AccessLog.objects.filter(what=USED, user=token.account)
    assert uses.count() == 2
    assert all(entry.detail.startswith("Pronote Jaurès: GET") for entry in uses)
    assert token.account.get_full_name() == "Pronote Jaurès"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_an_expired_token_is_refused(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _token, raw = issue(world, valid_days=1)
    time_machine.shift(timedelta(days=1, seconds=1))
    assert api(raw).get(f"{API}/cases/").status_code == 401


def test_an_unknown_token_is_refused(db):
    assert api("rdi_nope").get(f"{API}/cases/").status_code == 401


def test_a_token_survives_the_departure_of_its_creator(world):
    _token, raw = issue(world)
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    staff_offboard(actor=admin, user=world.school_staff)
    assert api(raw).get(f"{API}/cases/").status_code == 200


def test_a_token_account_cannot_log_in(world, client):
    token, _raw = issue(world)
    assert not token.account.has_usable_password()


def test_the_list_costs_the_same_queries_for_one_token_or_many(world, client, django_assert_max_num_queries):
    client.force_login(world.coordinator)
    issue(world, name="Pronote 0")
    with django_assert_max_num_queries(20) as one:
        client.get(PAGE)
    for number in range(1, 6):
        issue(world, school=world.other_school if number % 2 else world.school, name=f"Pronote {number}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(PAGE).status_code == 200
