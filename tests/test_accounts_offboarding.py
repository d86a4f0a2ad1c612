"""A member of staff who leaves is deactivated in one step: cases handed over, grants and tokens revoked, logged."""

import pytest
from django.urls import reverse
from knox.models import AuthToken

from outreach import models as om
from outreach.access import access_scope
from outreach.offboarding import OFFBOARDED, open_caseload, staff_offboard
from outreach.roles import Role
from outreach.services import identity_reveal, role_grant
from schools.domain_errors import ActionForbidden, InvalidInput
from tests import factories
from tests.api_helpers import make_case


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def colleague(world):
    user = factories.UserFactory(username="anim.two")
    role_grant(user=user, role=Role.ANIMATOR, organisation=world.centre)
    return user


def test_offboarding_hands_over_revokes_and_deactivates_in_one_step(world, admin_user, colleague):
    open_cases = [make_case(world, om.Status.IN_PROGRESS), make_case(world, om.Status.ROUTED)]
    for case in open_cases:
        case.animators.add(world.animator)
    AuthToken.objects.create(world.animator)
    assert open_caseload(world.animator) == [(world.centre, 2)]

    done = staff_offboard(actor=admin_user, user=world.animator, handovers={world.centre.pk: colleague})

    assert (done.handed_over, done.left_open) == (2, 0)
    world.animator.refresh_from_db()
    assert not world.animator.is_active
    subject = world.animator
    subject.is_active = True  # what they would hold if reactivated: nothing
    assert access_scope(subject).roles() == []
    assert not AuthToken.objects.filter(user=world.animator).exists()
    for case in open_cases:
        assert list(case.animators.all()) == [colleague]
    entry = om.AccessLog.objects.get(what=OFFBOARDED)
    assert (entry.user, entry.detail) == (admin_user, "anim")


def test_offboarding_a_coordinator_removes_the_global_role_and_the_reveals(world, admin_user):
    case = make_case(world, om.Status.ROUTED)
    identity_reveal(actor=world.coordinator, case=case, reason="Appel de la famille")
    staff_offboard(actor=admin_user, user=world.coordinator)
    world.coordinator.refresh_from_db()
    world.coordinator.is_active = True
    assert access_scope(world.coordinator).roles() == []
    assert not om.CaseUserObjectPermission.objects.filter(user=world.coordinator).exists()


def test_cases_left_without_a_colleague_are_counted(world, admin_user):
    make_case(world, om.Status.IN_PROGRESS).animators.add(world.animator)
    done = staff_offboard(actor=admin_user, user=world.animator)
    assert (done.handed_over, done.left_open) == (0, 1)


@pytest.mark.parametrize("actor", ["manager", "coordinator", "school_staff"])
def test_only_an_administrator_offboards(world, actor):
    with pytest.raises(ActionForbidden):
        staff_offboard(actor=getattr(world, actor), user=world.animator)
    world.animator.refresh_from_db()
    assert world.animator.is_active


def test_a_handover_to_someone_outside_the_centre_changes_nothing(world, admin_user):
    make_case(world, om.Status.IN_PROGRESS).animators.add(world.animator)
    with pytest.raises(InvalidInput):
        staff_offboard(actor=admin_user, user=world.animator, handovers={world.centre.pk: world.other_animator})
    world.animator.refresh_from_db()
    assert world.animator.is_active


def test_the_admin_action_offers_the_handover_then_offboards(world, admin_user, colleague, client):
    make_case(world, om.Status.IN_PROGRESS).animators.add(world.animator)
    client.force_login(admin_user)
    url = reverse("admin:auth_user_changelist")
    offer = client.post(url, {"action": "offboard", "_selected_action": [world.animator.pk]})
    assert offer.status_code == 200
    page = offer.content.decode()
    assert f'name="handover_{world.centre.pk}"' in page
    assert f'value="{colleague.pk}"' in page
    done = client.post(
        url,
        {
            "action": "offboard",
            "_selected_action": [world.animator.pk],
            "confirm": "1",
            f"handover_{world.centre.pk}": colleague.pk,
        },
    )
    assert done.status_code == 302
    world.animator.refresh_from_db()
    assert not world.animator.is_active
    assert om.Case.objects.filter(animators=colleague).count() == 1
