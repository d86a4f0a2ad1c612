"""The centre's programmes on the web and in the domain: tutoring groups, the register, device loans."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import devices, programmes
from outreach.access import access_scope
from outreach.models import (
    CaseEvent,
    Device,
    DeviceLoan,
    DeviceState,
    EventKind,
    GroupMode,
    GroupSession,
    Presence,
    TutoringGroup,
    TutoringSession,
)
from outreach.programmes import Mark
from schools.domain_errors import ActionForbidden, InvalidInput, InvalidTransition, NotFound
from tests import factories
from tests.api_helpers import world_fixtures

api_world, world, fast_passwords = world_fixtures()


def scope_of(user):
    return access_scope(user)


def make_group(world, *, animators=(), centre=None, **overrides):
    centre = centre or world.centre
    values = {
        "name": "CLAS 5e-4e mardi",
        "mode": GroupMode.AT_CENTRE,
        "weekday": 1,
        "starts_at": time(17, 0),
        "duration_minutes": 90,
    } | overrides
    manager = world.manager if centre == world.centre else world.other_manager
    return programmes.group_create(
        actor=manager,
        scope=scope_of(manager),
        centre=centre,
        animator_ids=[user.pk for user in animators],
        **values,
    )


def case_in(centre, **kwargs):
    return factories.CaseFactory(in_progress=True, centre=centre, **kwargs)


def group_with_members(world, count=3, *, animators=None):
    group = make_group(world, animators=animators if animators is not None else [world.animator])
    cases = [case_in(world.centre) for _ in range(count)]
    for case in cases:
        programmes.group_join(actor=world.animator, scope=scope_of(world.animator), group=group, case=case)
    return group, cases


def session_today(group):
    return GroupSession.objects.create(
        group=group, on=timezone.localdate(), starts_at=time(17, 0), duration_minutes=group.duration_minutes
    )


# Groups --------------------------------------------------------------------------------------------------------


def test_a_manager_creates_a_group_led_by_animators_of_the_centre(world):
    group = make_group(world, animators=[world.animator])
    assert group.centre == world.centre
    assert list(group.animators.all()) == [world.animator]


@pytest.mark.parametrize("actor", ["animator", "other_manager", "coordinator", "school_staff"])
def test_only_the_centres_manager_creates_its_groups(world, actor):
    user = getattr(world, actor)
    with pytest.raises(ActionForbidden):
        programmes.group_create(
            actor=user,
            scope=scope_of(user),
            centre=world.centre,
            name="CLAS",
            mode=GroupMode.REMOTE,
            weekday=2,
            starts_at=time(14, 0),
            duration_minutes=60,
        )


def test_a_group_refuses_animators_of_another_centre_and_durations_out_of_range(world):
    with pytest.raises(InvalidInput) as error:
        make_group(world, animators=[world.other_animator])
    assert "animators" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        make_group(world, duration_minutes=600)
    assert "duration_minutes" in error.value.fields


def test_joining_and_leaving_a_group_are_events_of_the_case(world):
    group, [case] = group_with_members(world, 1)
    programmes.group_leave(actor=world.animator, scope=scope_of(world.animator), group=group, case=case)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", "note"))
    assert kinds == [(EventKind.GROUP_JOINED, group.name), (EventKind.GROUP_LEFT, group.name)]
    assert not programmes.current_members(group).exists()


def test_a_case_of_another_centre_cannot_join_and_a_member_cannot_join_twice(world):
    group, [case] = group_with_members(world, 1)
    with pytest.raises(InvalidTransition):
        programmes.group_join(actor=world.animator, scope=scope_of(world.animator), group=group, case=case)
    other = case_in(world.other_centre)
    with pytest.raises(ActionForbidden):
        programmes.group_join(actor=world.animator, scope=scope_of(world.animator), group=group, case=other)


def test_closing_a_group_makes_its_members_leave(world):
    group, _cases = group_with_members(world, 2)
    programmes.group_close(actor=world.manager, scope=scope_of(world.manager), group=group)
    assert not programmes.current_members(group).exists()
    assert CaseEvent.objects.filter(kind=EventKind.GROUP_LEFT).count() == 2
    with pytest.raises(InvalidTransition):
        programmes.group_join(
            actor=world.animator, scope=scope_of(world.animator), group=group, case=case_in(world.centre)
        )


@pytest.mark.clock
def test_sessions_are_planned_on_the_weekly_slot_once(world):
    today = timezone.localdate()
    group = make_group(world, weekday=today.weekday())
    planned = programmes.sessions_plan(
        actor=world.manager, scope=scope_of(world.manager), group=group, until=today + timedelta(weeks=3)
    )
    assert [session.on for session in planned] == [today + timedelta(weeks=n) for n in range(4)]
    again = programmes.sessions_plan(
        actor=world.manager, scope=scope_of(world.manager), group=group, until=today + timedelta(weeks=4)
    )
    assert [session.on for session in again] == [today + timedelta(weeks=4)]


# The register --------------------------------------------------------------------------------------------------


def test_the_register_has_no_default_every_member_must_be_marked(world):
    group, cases = group_with_members(world, 3)
    session = session_today(group)
    marks = {str(cases[0].pk): Mark(Presence.PRESENT), str(cases[1].pk): Mark(Presence.ABSENT)}
    with pytest.raises(InvalidInput) as error:
        programmes.register_take(actor=world.animator, scope=scope_of(world.animator), session=session, marks=marks)
    assert list(error.value.fields) == [f"attendance.{cases[2].pk}.presence"]
    assert not TutoringSession.objects.exists()


def test_each_register_line_is_the_cases_tutoring_record(world):
    group, cases = group_with_members(world, 3)
    session = session_today(group)
    marks = {
        str(cases[0].pk): Mark(Presence.PRESENT, "Fractions"),
        str(cases[1].pk): Mark(Presence.ABSENT),
        str(cases[2].pk): Mark(Presence.EXCUSED, "Rendez-vous médical"),
    }
    programmes.register_take(actor=world.animator, scope=scope_of(world.animator), session=session, marks=marks)
    lines = {line.case_id: line for line in TutoringSession.objects.all()}
    assert (lines[cases[0].pk].attended, lines[cases[0].pk].presence) == (True, Presence.PRESENT)
    assert (lines[cases[1].pk].attended, lines[cases[1].pk].presence) == (False, Presence.ABSENT)
    assert (lines[cases[2].pk].attended, lines[cases[2].pk].notes) == (False, "Rendez-vous médical")
    assert {line.duration_minutes for line in lines.values()} == {90}
    assert CaseEvent.objects.filter(kind=EventKind.TUTORING_LOGGED).count() == 3
    assert programmes.attendance_rate(1, 1) == 0.5


def test_the_register_is_taken_by_the_groups_animators_or_the_centres_manager(world):
    other_colleague = factories.UserFactory(username="anim.colleague")
    from outreach.roles import Role
    from outreach.services import role_grant

    role_grant(user=other_colleague, role=Role.ANIMATOR, organisation=world.centre)
    group, cases = group_with_members(world, 1)
    marks = {str(cases[0].pk): Mark(Presence.PRESENT)}
    with pytest.raises(ActionForbidden):
        programmes.register_take(
            actor=other_colleague, scope=scope_of(other_colleague), session=session_today(group), marks=marks
        )
    session = GroupSession.objects.get()
    programmes.register_take(actor=world.manager, scope=scope_of(world.manager), session=session, marks=marks)
    assert TutoringSession.objects.get().author == world.manager


def test_attendance_is_corrected_for_24_hours_as_an_event(world):
    group, cases = group_with_members(world, 2)
    session = session_today(group)
    taken_at = timezone.now()
    marks = {str(case.pk): Mark(Presence.ABSENT) for case in cases}
    programmes.register_take(
        actor=world.animator, scope=scope_of(world.animator), session=session, marks=marks, now=taken_at
    )
    marks[str(cases[0].pk)] = Mark(Presence.PRESENT, "Arrivé en retard")
    programmes.register_correct(
        actor=world.animator,
        scope=scope_of(world.animator),
        session=session,
        marks=marks,
        now=taken_at + timedelta(hours=23),
    )
    line = TutoringSession.objects.get(case=cases[0])
    assert (line.attended, line.notes) == (True, "Arrivé en retard")
    assert list(CaseEvent.objects.filter(kind=EventKind.ATTENDANCE_CORRECTED).values_list("case_id", flat=True)) == [
        cases[0].pk
    ]
    with pytest.raises(InvalidTransition):
        programmes.register_correct(
            actor=world.animator,
            scope=scope_of(world.animator),
            session=session,
            marks=marks,
            now=taken_at + timedelta(hours=25),
        )


def test_the_register_of_a_future_session_waits_for_its_day(world):
    group, cases = group_with_members(world, 1)
    session = GroupSession.objects.create(
        group=group, on=timezone.localdate() + timedelta(days=7), starts_at=time(17), duration_minutes=90
    )
    with pytest.raises(InvalidTransition):
        programmes.register_take(
            actor=world.animator,
            scope=scope_of(world.animator),
            session=session,
            marks={str(cases[0].pk): Mark(Presence.PRESENT)},
        )


# Devices -------------------------------------------------------------------------------------------------------


def add_device(world, reference="EC-0001", kind="tablet"):
    return devices.device_add(
        actor=world.manager,
        scope=scope_of(world.manager),
        centre=world.centre,
        kind=kind,
        reference=reference,
        partner="Emmaüs Connect",
    )


def test_a_device_is_lent_then_returned_each_an_event(world):
    device = add_device(world)
    case = case_in(world.centre)
    today = timezone.localdate()
    loan = devices.device_lend(
        actor=world.animator,
        scope=scope_of(world.animator),
        device=device,
        case=case,
        lent_on=today,
        due_on=today + timedelta(weeks=8),
        condition_out="Bon état, chargeur fourni",
    )
    device.refresh_from_db()
    assert (device.state, loan.reference_out) == (DeviceState.LENT, "EC-0001")
    with pytest.raises(InvalidTransition):
        devices.device_lend(
            actor=world.animator,
            scope=scope_of(world.animator),
            device=device,
            case=case_in(world.centre),
            lent_on=today,
            due_on=today,
            condition_out="—",
        )
    devices.loan_end(actor=world.animator, scope=scope_of(world.animator), loan=loan, end="returned", ended_on=today)
    device.refresh_from_db()
    assert device.state == DeviceState.AVAILABLE
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == [EventKind.DEVICE_LENT, EventKind.DEVICE_RETURNED]


def test_a_device_given_for_good_leaves_the_stock(world):
    device = add_device(world)
    today = timezone.localdate()
    loan = devices.device_lend(
        actor=world.animator,
        scope=scope_of(world.animator),
        device=device,
        case=case_in(world.centre),
        lent_on=today - timedelta(days=60),
        due_on=today - timedelta(days=1),
        condition_out="Neuf",
    )
    figures = devices.stock(Device.objects.all(), today)
    assert (figures.out, figures.overdue, figures.available) == (1, 1, 0)
    devices.loan_end(actor=world.manager, scope=scope_of(world.manager), loan=loan, end="given", ended_on=today)
    figures = devices.stock(Device.objects.all(), today)
    assert (figures.out, figures.overdue, figures.available) == (0, 0, 0)


def test_a_device_is_lent_only_to_a_case_of_its_centre(world):
    device = add_device(world)
    with pytest.raises(ActionForbidden):
        devices.device_lend(
            actor=world.animator,
            scope=scope_of(world.animator),
            device=device,
            case=case_in(world.other_centre),
            lent_on=timezone.localdate(),
            due_on=timezone.localdate(),
            condition_out="Bon",
        )
    with pytest.raises(NotFound):
        devices.device_lend(
            actor=world.other_animator,
            scope=scope_of(world.other_animator),
            device=device,
            case=case_in(world.other_centre),
            lent_on=timezone.localdate(),
            due_on=timezone.localdate(),
            condition_out="Bon",
        )
    assert not DeviceLoan.objects.exists()


def test_device_kinds_leave_the_contact_form_but_stay_as_history(world):
    from outreach.forms import ContactForm, SupportForm

    case = case_in(world.centre)
    kinds = dict(ContactForm(case=case, now=timezone.now()).fields["supports"].choices)
    assert "device_tablet" not in kinds and "internet_access" in kinds
    assert "device_pc" not in dict(SupportForm(case=case, now=timezone.now()).fields["kind"].choices)
    old = factories.SupportFactory(case=case, kind="device_tablet")
    assert old.kind == "device_tablet" and old.get_kind_display() != "device_tablet"


# Pages: who sees what ------------------------------------------------------------------------------------------

ACTORS = ["animator", "manager", "other_animator", "other_manager", "school_staff", "coordinator", "anonymous"]


def client_for(world, actor):
    client = Client()
    if actor != "anonymous":
        client.force_login(getattr(world, actor))
    return client


def pages(world):
    group, _cases = group_with_members(world, 1)
    session = session_today(group)
    device = add_device(world)
    return {
        "groups": "/groups/",
        "group": f"/groups/{group.pk}/",
        "register": f"/sessions/{session.pk}/",
        "devices": "/devices/",
        "_device": device,
    }


# right organisation (animator, manager) 200; other organisation, other roles 404; anonymous to the login page
PAGE_MATRIX = {
    "animator": 200,
    "manager": 200,
    "other_animator": 404,
    "other_manager": 404,
    "school_staff": 404,
    "coordinator": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("page", ["group", "register"])
@pytest.mark.parametrize("actor", ACTORS)
def test_group_pages_are_for_the_centres_staff_only(world, actor, page):
    url = pages(world)[page]
    response = client_for(world, actor).get(url)
    assert response.status_code == PAGE_MATRIX[actor]


@pytest.mark.parametrize("page", ["groups", "devices"])
@pytest.mark.parametrize("actor", ACTORS)
def test_list_pages_are_for_centre_staff_only(world, actor, page):
    urls = pages(world)
    url = urls[page]
    expected = {"other_animator": 200, "other_manager": 200}.get(actor, PAGE_MATRIX[actor])
    response = client_for(world, actor).get(url)
    assert response.status_code == expected
    if expected == 200 and actor.startswith("other"):
        assert b"EC-0001" not in response.content and urls["group"].encode() not in response.content


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("manager", 302), ("animator", 403), ("other_manager", 404), ("coordinator", 404), ("anonymous", 302)],
)
def test_closing_a_group_is_for_its_centres_manager(world, actor, expected):
    group = make_group(world)
    response = client_for(world, actor).post(f"/groups/{group.pk}/close/")
    assert response.status_code == expected
    assert TutoringGroup.objects.get().closed_at is not None if actor == "manager" else True
    if actor != "manager":
        assert TutoringGroup.objects.get().closed_at is None


def test_an_animator_not_leading_the_group_reads_the_register_but_cannot_take_it(world):
    group, cases = group_with_members(world, 1, animators=[])
    session = session_today(group)
    client = client_for(world, "animator")
    assert b"Save the register" not in client.get(f"/sessions/{session.pk}/").content
    response = client.post(f"/sessions/{session.pk}/", {f"presence_{cases[0].pk}": "present"})
    assert response.status_code == 403


def test_the_register_page_saves_every_line_and_refuses_a_missing_mark(world):
    group, cases = group_with_members(world, 2)
    session = session_today(group)
    client = client_for(world, "animator")
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "checked" not in page
    response = client.post(f"/sessions/{session.pk}/", {f"presence_{cases[0].pk}": "present"})
    assert response.status_code == 400
    response = client.post(
        f"/sessions/{session.pk}/",
        {f"presence_{cases[0].pk}": "present", f"presence_{cases[1].pk}": "excused", f"note_{cases[1].pk}": "Malade"},
    )
    assert response.status_code == 302
    assert sorted(TutoringSession.objects.values_list("presence", flat=True)) == ["excused", "present"]


def test_the_web_flow_creates_a_group_and_adds_a_case_from_its_page(world):
    client = client_for(world, "manager")
    response = client.post(
        "/groups/",
        {
            "centre": world.centre.pk,
            "name": "Mon centre social à la maison - maths",
            "mode": "remote",
            "weekday": "2",
            "starts_at": "14:00",
            "duration_minutes": "60",
            "animators": [world.animator.pk],
        },
    )
    group = TutoringGroup.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/"
    case = case_in(world.centre)
    client.post(f"/groups/{group.pk}/join/", {"choice": str(case.pk)})
    assert list(programmes.current_members(group).values_list("case_id", flat=True)) == [case.pk]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Mon centre social à la maison - maths" in page


def test_a_case_joins_a_group_from_its_own_page(world):
    group = make_group(world)
    case = case_in(world.centre)
    response = client_for(world, "animator").post(f"/cases/{case.pk}/join-group/", {"choice": str(group.pk)})
    assert response.status_code == 302
    assert programmes.current_members(group).get().case == case


def test_a_device_is_lent_and_returned_from_the_devices_page(world):
    device = add_device(world)
    case = case_in(world.centre)
    client = client_for(world, "animator")
    today = timezone.localdate().isoformat()
    response = client.post(
        "/devices/",
        {"device": device.pk, "case": str(case.pk), "lent_on": today, "due_on": today, "condition_out": "Bon état"},
    )
    assert response.status_code == 302
    loan = DeviceLoan.objects.get()
    response = client.post(
        f"/loans/{loan.pk}/end/", {"end-end": "returned", "end-ended_on": today, "end-condition_back": "Écran rayé"}
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.end, loan.condition_back) == ("returned", "Écran rayé")
    assert "Écran rayé" not in client_for(world, "other_animator").get("/devices/").content.decode()


def test_register_and_device_pages_cost_the_same_queries_whatever_their_size(world):
    group, _cases = group_with_members(world, 2)
    session = session_today(group)
    for n in range(2):
        add_device(world, reference=f"EC-{n}")
    client = client_for(world, "manager")
    counts = {}
    for size in ("small", "large"):
        with CaptureQueriesContext(connection) as register:
            assert client.get(f"/sessions/{session.pk}/").status_code == 200
        with CaptureQueriesContext(connection) as device_list:
            assert client.get("/devices/").status_code == 200
        with CaptureQueriesContext(connection) as group_page:
            assert client.get(f"/groups/{group.pk}/").status_code == 200
        counts[size] = (len(register), len(device_list), len(group_page))
        for _ in range(6):
            case = case_in(world.centre)
            programmes.group_join(actor=world.animator, scope=scope_of(world.animator), group=group, case=case)
        for n in range(6):
            device = add_device(world, reference=f"EC-{size}-{n}")
            if n % 2:
                devices.device_lend(
                    actor=world.animator,
                    scope=scope_of(world.animator),
                    device=device,
                    case=case_in(world.centre),
                    lent_on=timezone.localdate(),
                    due_on=timezone.localdate(),
                    condition_out="Bon",
                )
    assert counts["small"] == counts["large"]


def test_todays_sessions_are_on_the_to_do_page_of_those_who_take_the_register(world):
    group, _cases = group_with_members(world, 1)
    session = session_today(group)
    GroupSession.objects.create(
        group=group, on=timezone.localdate() + timedelta(days=1), starts_at=time(17), duration_minutes=90
    )
    for actor, shown in (("animator", True), ("manager", True), ("other_animator", False), ("school_staff", False)):
        page = client_for(world, actor).get("/todo/").content.decode()
        assert (f"/sessions/{session.pk}/" in page) is shown, actor
    assert page.count("/sessions/") == 0


def web_writes(world):
    """Each web form of the programmes, with data that succeeds for the right caller."""
    group, [member] = group_with_members(world, 1)
    # The school's own pupil: the school sees the case (403 to join it to a group), not the group (404).
    spare = case_in(world.centre, pupil=factories.PupilFactory(school=world.school))
    device = add_device(world)
    loan = devices.device_lend(
        actor=world.manager,
        scope=scope_of(world.manager),
        device=device,
        case=member,
        lent_on=timezone.localdate(),
        due_on=timezone.localdate(),
        condition_out="Bon",
    )
    today = timezone.localdate().isoformat()
    return {
        "join": (f"/groups/{group.pk}/join/", {"choice": str(spare.pk)}),
        "join_from_case": (f"/cases/{spare.pk}/join-group/", {"choice": str(group.pk)}),
        "leave": (f"/groups/{group.pk}/leave/{member.pk}/", {}),
        "plan": (f"/groups/{group.pk}/plan/", {"until": today}),
        "add_session": (
            f"/groups/{group.pk}/sessions/",
            {"session-on": today, "session-starts_at": "10:00", "session-duration_minutes": "60"},
        ),
        "end_loan": (f"/loans/{loan.pk}/end/", {"end-end": "returned", "end-ended_on": today}),
    }


# right organisation: the group's animator and the manager (302 back to a page); another centre, a school and the
# coordinators: 404; anonymous: to the login page. Planning is the manager's: 403 to an animator.
WEB_WRITE_MATRIX = {
    "join": {"animator": 302, "manager": 302, "other_animator": 404, "school_staff": 404, "coordinator": 404},
    "join_from_case": {"animator": 302, "manager": 302, "other_animator": 404, "school_staff": 403, "coordinator": 403},
    "leave": {"animator": 302, "manager": 302, "other_animator": 404, "school_staff": 404, "coordinator": 404},
    "plan": {"animator": 403, "manager": 302, "other_animator": 404, "school_staff": 404, "coordinator": 404},
    "add_session": {"animator": 302, "manager": 302, "other_animator": 404, "school_staff": 404, "coordinator": 404},
    "end_loan": {"animator": 302, "manager": 302, "other_animator": 404, "school_staff": 404, "coordinator": 404},
}
WEB_WRITE_CELLS = [
    (form, actor, expected)
    for form, row in WEB_WRITE_MATRIX.items()
    for actor, expected in [*row.items(), ("anonymous", 302)]
]


@pytest.mark.parametrize(("form", "actor", "expected"), WEB_WRITE_CELLS)
def test_web_write_matrix(world, form, actor, expected):
    url, data = web_writes(world)[form]
    response = client_for(world, actor).post(url, data)
    assert response.status_code == expected
    if actor == "anonymous":
        assert response["Location"].startswith("/login/")
    elif expected == 302:
        assert not [m for m in response.wsgi_request._messages if m.level_tag == "error"]


def test_the_case_page_shows_the_cases_loans_overdue_and_the_centres_stock(world):
    case = case_in(world.centre, pupil=factories.PupilFactory(school=world.school))
    lent, spare = add_device(world, "EC-1"), add_device(world, "EC-2")
    add_device(world, "EC-3")
    today = timezone.localdate()
    devices.device_lend(
        actor=world.animator,
        scope=scope_of(world.animator),
        device=lent,
        case=case,
        lent_on=today - timedelta(days=30),
        due_on=today - timedelta(days=1),
        condition_out="Bon",
    )
    response = client_for(world, "animator").get(f"/cases/{case.pk}/")
    page = response.content.decode()
    assert "EC-1" in page and [loan.overdue for loan in response.context["loans"]] == [True]
    assert response.context["devices_available"] == 2 and spare.state == DeviceState.AVAILABLE
    school_page = client_for(world, "school_staff").get(f"/cases/{case.pk}/")
    # The school reads "device lent" in the case's timeline, but no loan, form or stock of the centre.
    assert school_page.status_code == 200 and "loans" not in school_page.context
    assert "/loans/" not in school_page.content.decode() and "/devices/" not in school_page.content.decode()
