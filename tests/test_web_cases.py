"""The case list and the case page in the browser-less client: boundaries, what each role sees and may do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outreach import services
from outreach.models import Case, CaseEvent, Status
from tests import factories

NOTE = "Note-marqueur-XYZ"


@pytest.fixture
def in_progress_case(world, pupil_data):
    case, _ = services.case_flag(
        actor=world.school_staff,
        school=world.school,
        pupil=pupil_data(last_name="Zylberstein"),
        reasons=["long_absence"],
    )
    services.case_accept(actor=world.manager, case=case)
    services.contact_log(
        actor=world.animator,
        case=case,
        kind="home_visit",
        occurred_at=timezone.now(),
        result="reached_family",
        notes=NOTE,
        supports=[{"kind": "device_tablet", "detail": "Emmaüs Connect"}],
    )
    return Case.objects.get(pk=case.pk)


def page(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("school_staff", 200),
        ("other_school_staff", 404),
        ("animator", 200),
        ("other_animator", 404),
        ("manager", 200),
        ("other_manager", 404),
        ("coordinator", 200),
        ("nobody", 404),
    ],
)
def test_case_page_boundaries(client, world, in_progress_case, actor, status):
    response = page(client, getattr(world, actor), f"/cases/{in_progress_case.pk}/")
    assert response.status_code == status
    if status == 200:
        assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, in_progress_case):
    response = client.get(f"/cases/{in_progress_case.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "sees_name", "sees_notes"),
    [("school_staff", True, False), ("animator", True, True), ("manager", True, True), ("coordinator", False, False)],
)
def test_case_page_shows_identity_and_notes_by_role(client, world, in_progress_case, actor, sees_name, sees_notes):
    html = page(client, getattr(world, actor), f"/cases/{in_progress_case.pk}/").content.decode()
    assert ("Zylberstein" in html) is sees_name
    assert (NOTE in html) is sees_notes
    # A support's detail is free text: a pseudonymised reader sees the kind only.
    assert ("Emmaüs Connect" in html) is sees_name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "offered", "not_offered"),
    [
        ("school_staff", ["step-withdraw", "step-confirm_return"], ["step-log_contact", "step-close", "step-route"]),
        ("animator", ["step-log_contact", "step-close"], ["step-assign", "step-withdraw", "step-route"]),
        ("manager", ["step-log_contact", "step-assign", "step-close"], ["step-route", "step-withdraw"]),
        ("coordinator", ["step-route", "step-close", "step-reveal"], ["step-log_contact", "step-withdraw"]),
    ],
)
def test_case_page_offers_each_role_its_steps(client, world, in_progress_case, actor, offered, not_offered):
    html = page(client, getattr(world, actor), f"/cases/{in_progress_case.pk}/").content.decode()
    for section in offered:
        assert f'id="{section}"' in html
    for section in not_offered:
        assert f'id="{section}"' not in html


@pytest.mark.django_db
def test_a_step_the_role_may_not_take_is_403_and_writes_nothing(client, world, in_progress_case):
    client.force_login(world.school_staff)
    events = CaseEvent.objects.count()
    response = client.post(f"/cases/{in_progress_case.pk}/do/close/", {"close-outcome": "returned_to_school"})
    assert response.status_code == 403
    assert CaseEvent.objects.count() == events


@pytest.mark.django_db
def test_a_step_on_a_case_of_another_school_is_404(client, world, in_progress_case):
    client.force_login(world.other_school_staff)
    response = client.post(f"/cases/{in_progress_case.pk}/do/withdraw/", {"withdraw-note": "x"})
    assert response.status_code == 404
    assert Case.objects.get(pk=in_progress_case.pk).status == Status.IN_PROGRESS


@pytest.mark.clock
@pytest.mark.django_db
def test_logging_a_contact_from_the_case_page(client, world, in_progress_case):
    client.force_login(world.animator)
    response = client.post(
        f"/cases/{in_progress_case.pk}/do/log_contact/",
        {
            "log_contact-kind": "phone_call",
            "log_contact-result": "no_answer",
            "log_contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert in_progress_case.contacts.filter(kind="phone_call", result="no_answer").exists()


@pytest.mark.django_db
def test_an_invalid_step_keeps_what_was_typed_and_shows_the_error_by_the_field(client, world, in_progress_case):
    client.force_login(world.animator)
    response = client.post(
        f"/cases/{in_progress_case.pk}/do/log_contact/",
        {
            "log_contact-kind": "phone_call",
            "log_contact-notes": "Texte saisi",
            "log_contact-occurred_at": "pas une date",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Texte saisi" in html
    assert 'id="id_log_contact-result_error"' in html
    assert in_progress_case.contacts.count() == 1


@pytest.mark.django_db
def test_an_illegal_transition_is_reported_not_applied(client, world, in_progress_case):
    services.case_close(actor=world.animator, case=in_progress_case, outcome="returned_to_school")
    client.force_login(world.coordinator)
    response = client.post(f"/cases/{in_progress_case.pk}/do/reopen/", {"reopen-note": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert Case.objects.get(pk=in_progress_case.pk).status == Status.CLOSED


@pytest.mark.django_db
def test_case_list_is_scoped_and_pseudonymised(client, world, in_progress_case, pupil_data):
    services.case_flag(
        actor=world.other_school_staff,
        school=world.other_school,
        pupil=pupil_data(external_ref="OTHER", last_name="Autreecole", neighbourhood="Moulins"),
        reasons=["behaviour"],
    )
    mine = page(client, world.school_staff, "/cases/").content.decode()
    assert in_progress_case.reference in mine and "Autreecole" not in mine
    coordinator = page(client, world.coordinator, "/cases/").content.decode()
    assert in_progress_case.reference in coordinator
    assert "Zylberstein" not in coordinator and "Autreecole" not in coordinator
    searched = page(client, world.coordinator, "/cases/?q=Zylberstein").content.decode()
    assert in_progress_case.reference not in searched


@pytest.mark.django_db
def test_case_list_query_count_does_not_grow_with_rows(client, world):
    client.force_login(world.school_staff)
    factories.CaseFactory(pupil__school=world.school, school=world.school)
    with CaptureQueriesContext(connection) as few:
        client.get("/cases/")
    for _ in range(30):
        factories.CaseFactory(pupil__school=world.school, school=world.school)
    with CaptureQueriesContext(connection) as many:
        client.get("/cases/")
    assert len(few) == len(many)


@pytest.mark.django_db
@pytest.mark.parametrize(("actor", "status"), [("manager", 200), ("animator", 403), ("school_staff", 403)])
def test_handover_page_is_for_managers(client, world, actor, status):
    assert page(client, getattr(world, actor), "/handover/").status_code == status


@pytest.mark.django_db
def test_handover_page_moves_open_cases(client, world, in_progress_case):
    services.case_assign(actor=world.manager, case=in_progress_case, animators=[world.animator])
    client.force_login(world.manager)
    response = client.post(
        "/handover/", {"centre": world.centre.pk, "from_user": world.animator.pk, "to_user": world.manager.pk}
    )
    assert response.status_code == 302
    assert list(in_progress_case.animators.all()) == [world.manager]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "target"),
    [("coordinator", "/todo/"), ("school_staff", "/todo/"), ("animator", "/todo/"), ("nobody", "/no-role/")],
)
def test_home_sends_each_role_to_its_work(client, world, actor, target):
    client.force_login(getattr(world, actor))
    assert client.get("/")["Location"] == target


@pytest.mark.django_db
def test_error_pages_are_in_the_site_style(client, world):
    client.force_login(world.school_staff)
    missing = client.get("/cases/00000000-0000-0000-0000-000000000000/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()
    forbidden = client.get("/triage/", HTTP_ACCEPT_LANGUAGE="en")
    assert forbidden.status_code == 403 and "Not allowed" in forbidden.content.decode()
