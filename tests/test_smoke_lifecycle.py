import pytest
from django.utils import timezone

from outreach import services
from outreach.access import access_scope, case_for, cases_visible_to
from outreach.models import AccessLog, CaseEvent, Status
from schools.permissions import Action


@pytest.mark.clock
@pytest.mark.django_db
def test_flag_to_confirmed_return(world, pupil_data):
    case, created = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=pupil_data(), reasons=["long_absence"], half_days_missed=12
    )
    assert created and case.status == Status.ROUTED and case.centre == world.centre
    again, created_again = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=pupil_data(), reasons=["long_absence"]
    )
    assert again.pk == case.pk and not created_again
    case = case_for(access_scope(world.manager), case.pk, Action.ACCEPT)
    services.case_accept(actor=world.manager, case=case)
    services.case_assign(actor=world.manager, case=case, animators=[world.animator])
    services.contact_log(
        actor=world.animator,
        case=case,
        kind="home_visit",
        occurred_at=timezone.now(),
        result="reached_family",
        supports=[{"kind": "device_tablet", "detail": "Emmaüs"}],
    )
    services.case_close(actor=world.animator, case=case, outcome="returned_to_school", note="Retour en classe")
    services.return_confirm(
        actor=world.school_staff, case=case, attendance="full", half_days_missed=0, on=timezone.localdate()
    )
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["flagged", "auto_routed", "accepted", "assigned", "contact_logged", "closed", "return_confirmed"]
    assert AccessLog.objects.filter(case=case).count() == len(kinds) + 1
    assert list(cases_visible_to(access_scope(world.other_school_staff))) == []
    assert list(cases_visible_to(access_scope(world.coordinator))) == [case]
