"""The Django admin: reference data, read-only cases, timeline and access log, roles on the user page."""

from datetime import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from outreach import services
from outreach.access import access_scope
from outreach.models import AccessLog, Case, CaseEvent
from outreach.roles import ROLE_LABELS, Role

REGISTERED = [
    "schools.School",
    "schools.Pupil",
    "outreach.Neighbourhood",
    "outreach.Centre",
    "outreach.Case",
    "outreach.CaseEvent",
    "outreach.AccessLog",
]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def case(world, pupil_data):
    """A case with a timeline and access-log entries, written through the services."""
    case, _created = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=pupil_data(), reasons=["long_absence"]
    )
    services.case_accept(actor=world.manager, case=case)
    services.contact_log(
        actor=world.animator, case=case, kind="home_visit", occurred_at=timezone.now(), result="reached_family"
    )
    return Case.objects.get(pk=case.pk)


def test_registered_models():
    registered = {model._meta.label for model in admin.site._registry}
    assert set(REGISTERED) <= registered
    assert get_user_model() in admin.site._registry


@pytest.mark.django_db
@pytest.mark.parametrize("label", [*REGISTERED, "auth.User"])
def test_admin_opens_the_changelist_and_an_object_of_each_model(admin_client, case, label):
    model = apps.get_model(label)
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    obj = model._default_manager.order_by("pk").first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.django_db
def test_admin_finds_cases_by_reference_and_filters_them(admin_client, case):
    found = admin_client.get(admin_url(Case, "changelist"), {"q": case.reference})
    assert list(found.context["cl"].result_list) == [case]
    filtered = admin_client.get(admin_url(Case, "changelist"), {"status__exact": "closed"})
    assert list(filtered.context["cl"].result_list) == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", [CaseEvent, AccessLog, Case])
def test_timeline_access_log_and_cases_cannot_be_edited_in_the_admin(admin_client, case, model):
    obj = model._default_manager.order_by("pk").first()
    before = list(model._default_manager.order_by("pk").values())
    page = admin_client.get(admin_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.post(admin_url(model, "change", obj.pk), {"note": "edited"}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert not changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request), "no bulk delete"
    admin_client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    assert list(model._default_manager.order_by("pk").values()) == before


def user_form(user, **extra) -> dict:
    """What the admin's user change form posts back, plus `extra`.

    The joining date is a fixed one: the admin refuses a time in the hour that repeats when clocks go back, so
    posting back a user created during that hour (on the night of a DST change) would fail for a reason that
    has nothing to do with roles."""
    joined = datetime(2026, 1, 15, 10, 0)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
        "last_login_0": "",
        "last_login_1": "",
        "user_permissions": list(user.user_permissions.values_list("pk", flat=True)),
    }
    data.update(extra)
    return data


def post_user(admin_client, user, **extra):
    return admin_client.post(admin_url(get_user_model(), "change", user.pk), user_form(user, **extra))


@pytest.mark.django_db
def test_admin_grants_a_centre_role(admin_client, world):
    response = post_user(admin_client, world.nobody, grant_role="animator", grant_centre=world.centre.pk)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert access_scope(world.nobody).roles() == [(Role.ANIMATOR, "centre", world.centre.pk)]


@pytest.mark.django_db
def test_admin_grants_a_school_role(admin_client, world):
    response = post_user(admin_client, world.nobody, grant_role="school_staff", grant_school=world.other_school.pk)
    assert response.status_code == 302
    assert access_scope(world.nobody).roles() == [(Role.SCHOOL_STAFF, "school", world.other_school.pk)]


@pytest.mark.django_db
def test_a_coordinator_grant_survives_the_form_saving_its_own_permissions(admin_client, world):
    assert post_user(admin_client, world.nobody, grant_role="coordinator").status_code == 302
    assert access_scope(world.nobody).roles() == [(Role.COORDINATOR, None, None)]
    assert post_user(admin_client, world.nobody).status_code == 302
    assert access_scope(world.nobody).roles() == [(Role.COORDINATOR, None, None)]


@pytest.mark.django_db
def test_admin_shows_and_revokes_roles_and_demotes_a_manager(admin_client, world):
    page = admin_client.get(admin_url(get_user_model(), "change", world.manager.pk))
    with translation.override("fr"):
        assert str(ROLE_LABELS[Role.CENTRE_MANAGER]) in page.content.decode()
    assert "Centre A" in page.content.decode()
    key = f"centre_manager:centre:{world.centre.pk}"
    response = post_user(
        admin_client, world.manager, revoke_roles=[key], grant_role="animator", grant_centre=world.centre.pk
    )
    assert response.status_code == 302
    assert access_scope(world.manager).roles() == [(Role.ANIMATOR, "centre", world.centre.pk)]
    post_user(admin_client, world.manager, revoke_roles=[f"animator:centre:{world.centre.pk}"])
    assert access_scope(world.manager).roles() == []


@pytest.mark.django_db
def test_admin_shows_the_grants_of_a_deactivated_account(admin_client, world):
    world.animator.is_active = False
    world.animator.save()
    page = admin_client.get(admin_url(get_user_model(), "change", world.animator.pk))
    with translation.override("fr"):
        expected = [(f"animator:centre:{world.centre.pk}", f"{ROLE_LABELS[Role.ANIMATOR]} — Centre A")]
    assert page.context["adminform"].form.fields["revoke_roles"].choices == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"grant_role": "school_staff", "grant_centre": "centre"}, "grant_school"),
        ({"grant_role": "animator"}, "grant_centre"),
        ({"grant_role": "coordinator", "grant_school": "school"}, "grant_school"),
        ({"grant_centre": "centre"}, "grant_role"),
    ],
)
def test_a_grant_needs_the_organisation_its_role_is_held_on(admin_client, world, extra, field):
    organisations = {"centre": world.centre.pk, "school": world.school.pk}
    extra = {key: organisations.get(value, value) for key, value in extra.items()}
    response = post_user(admin_client, world.nobody, **extra)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert access_scope(world.nobody).roles() == []
