"""One-time tokens of the web forms (outreach/views/once.py): a form submitted twice or three times (a double tap, a
slow network) writes once, and the replays are sent to what the first submit produced, saying so."""

import re
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from outreach import services
from outreach.models import Case, CaseEvent, Contact, SubmissionToken
from tests import factories
from tests.test_web_school import flag_post

ALREADY_SAVED = "Already saved."
FLAG_URL = reverse("outreach:flag")
TOKEN_INPUT = re.compile(r'<input type="hidden" name="submission" value="([0-9a-f-]{36})">')


@pytest.fixture
def client(client):
    """English pages: the assertions read the English source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def in_progress_case(world, pupil_data):
    case, _created = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=pupil_data(), reasons=["long_absence"]
    )
    services.case_accept(actor=world.manager, case=case)
    return Case.objects.get(pk=case.pk)


def contact_post(token, **overrides):
    data = {
        "submission": str(token),
        "log_contact-kind": "phone_call",
        "log_contact-result": "no_answer",
        "log_contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def step_url(case, step):
    return reverse("outreach:case_step", args=[case.pk, step])


def case_url(case):
    return reverse("outreach:case", args=[case.pk])


def shown_after(client, response) -> str:
    """The page the browser lands on after a redirect, with the messages it shows."""
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


# Case steps --------------------------------------------------------------------------------------------------------


@pytest.mark.clock
@pytest.mark.django_db
def test_a_contact_posted_three_times_with_one_token_is_saved_once(client, world, in_progress_case):
    client.force_login(world.animator)
    token = uuid.uuid4()
    first = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    saved_at = case_url(in_progress_case) + "#main"
    assert first["Location"] == saved_at
    assert ALREADY_SAVED not in shown_after(client, first)
    for _replay in range(2):
        response = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
        assert response["Location"] == saved_at
        assert ALREADY_SAVED in shown_after(client, response)
    assert in_progress_case.contacts.count() == 1
    assert SubmissionToken.objects.get(token=token).redirect_to == saved_at


@pytest.mark.clock
@pytest.mark.django_db
def test_the_replay_message_is_french_in_french(client, world, in_progress_case):
    client.force_login(world.animator)
    token = uuid.uuid4()
    client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    response = client.post(step_url(in_progress_case, "log_contact"), contact_post(token), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Déjà enregistré." in client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr").content.decode()


@pytest.mark.clock
@pytest.mark.django_db
def test_a_failed_submit_releases_the_token_and_the_corrected_one_saves(client, world, in_progress_case):
    client.force_login(world.animator)
    token = uuid.uuid4()
    failed = client.post(step_url(in_progress_case, "log_contact"), contact_post(token, **{"log_contact-result": ""}))
    assert failed.status_code == 400
    assert not SubmissionToken.objects.filter(token=token).exists()
    assert in_progress_case.contacts.count() == 0

    corrected = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    assert corrected.status_code == 302 and ALREADY_SAVED not in shown_after(client, corrected)
    assert in_progress_case.contacts.count() == 1
    replay = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    assert ALREADY_SAVED in shown_after(client, replay)
    assert in_progress_case.contacts.count() == 1


@pytest.mark.clock
@pytest.mark.django_db
def test_a_replay_while_the_first_submit_is_still_running_writes_nothing(client, world, in_progress_case):
    token = uuid.uuid4()
    SubmissionToken.objects.create(token=token, user=world.animator)  # claimed, not finished: no redirect_to yet
    client.force_login(world.animator)
    response = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    assert response["Location"] == case_url(in_progress_case)
    assert ALREADY_SAVED in shown_after(client, response)
    assert in_progress_case.contacts.count() == 0


@pytest.mark.clock
@pytest.mark.django_db
def test_a_post_without_a_token_or_with_a_broken_one_is_still_accepted(client, world, in_progress_case):
    client.force_login(world.animator)
    data = contact_post("x")
    for submission in (None, "not-a-uuid"):
        if submission is None:
            data.pop("submission")
        else:
            data["submission"] = submission
        assert client.post(step_url(in_progress_case, "log_contact"), data).status_code == 302
    assert in_progress_case.contacts.count() == 2
    assert not SubmissionToken.objects.exists()


@pytest.mark.django_db
def test_a_replayed_triage_route_goes_back_to_the_triage_page(client, world):
    case = factories.CaseFactory(pupil=factories.PupilFactory(school=world.school, neighbourhood="Bois-Blancs"))
    client.force_login(world.coordinator)
    triage = reverse("outreach:triage")
    data = {"submission": str(uuid.uuid4()), "next": triage, "route-centre": world.centre.pk, "route-note": ""}
    assert client.post(step_url(case, "route"), data)["Location"] == triage
    events = CaseEvent.objects.filter(case=case).count()
    replay = client.post(step_url(case, "route"), data)
    assert replay["Location"] == triage
    assert ALREADY_SAVED in shown_after(client, replay)
    assert CaseEvent.objects.filter(case=case).count() == events


# Committed for real: the claim is its own transaction, never an outer block around the services' durable ones.


@pytest.mark.clock
@pytest.mark.django_db(transaction=True)
def test_the_claim_commits_before_the_durable_service_runs(client, world, in_progress_case):
    client.force_login(world.animator)
    token = uuid.uuid4()
    assert client.post(step_url(in_progress_case, "log_contact"), contact_post(token)).status_code == 302
    replay = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    assert ALREADY_SAVED in shown_after(client, replay)
    assert in_progress_case.contacts.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs PostgreSQL's concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_five_simultaneous_submits_of_one_token_save_once(world, in_progress_case):
    """Each thread is its own connection, so its own transaction, as concurrent server workers; one barrier releases
    them together. The unique token lets one insert through; the others see it claimed."""
    token, url = uuid.uuid4(), step_url(in_progress_case, "log_contact")
    data = contact_post(token)
    barrier = threading.Barrier(5)
    responses, failures = [], []

    def submit():
        try:
            browser = Client(HTTP_ACCEPT_LANGUAGE="en")
            browser.force_login(get_user_model().objects.get(pk=world.animator.pk))
            barrier.wait(timeout=30)
            responses.append(browser.post(url, data))
        except BaseException as error:  # reported below: an exception in a thread would otherwise vanish
            failures.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _thread in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert [response.status_code for response in responses] == [302] * 5
    # The first submit lands on the case page's top (#main); the others on the case page, before or after it ends.
    assert {response["Location"].removesuffix("#main") for response in responses} == {case_url(in_progress_case)}
    assert in_progress_case.contacts.count() == 1


# The school's forms ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_flag_form_posted_twice_with_one_token_flags_once(client, world):
    client.force_login(world.school_staff)
    data = flag_post(submission=str(uuid.uuid4()))
    first = client.post(FLAG_URL, data)
    case = Case.objects.get()
    assert first["Location"] == case_url(case)
    replay = client.post(FLAG_URL, data)
    assert replay["Location"] == case_url(case)
    html = shown_after(client, replay)
    # "Already saved", not the warning of a second flag of a pupil with an open case: the replay wrote nothing.
    assert ALREADY_SAVED in html and "already has an open case" not in html
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_adding_a_guardian_row_does_not_use_the_token(client, world):
    client.force_login(world.school_staff)
    data = flag_post(submission=str(uuid.uuid4()))
    assert client.post(FLAG_URL, {**data, "add_guardian": "1"}).status_code == 200
    assert client.post(FLAG_URL, data)["Location"] == case_url(Case.objects.get())


@pytest.mark.django_db
def test_an_upload_sent_twice_with_one_token_imports_once(client, world):
    def upload():
        lines = [
            "external_ref,first_name,last_name,level,postcode,neighbourhood,reasons",
            "EL-1,Inès,Martin,5e,59000,Wazemmes,long_absence",
        ]
        return SimpleUploadedFile("flags.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")

    client.force_login(world.school_staff)
    token = str(uuid.uuid4())
    first = client.post(reverse("outreach:flag_upload"), {"file": upload(), "submission": token}, follow=True)
    assert first.status_code == 200 and "1 flagged" in first.content.decode()
    replay = client.post(reverse("outreach:flag_upload"), {"file": upload(), "submission": token})
    assert replay["Location"] == first.redirect_chain[0][0]  # the first import's report
    assert ALREADY_SAVED in shown_after(client, replay)
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_flag_edit_posted_twice_with_one_token_is_saved_once(client, world):
    case = factories.CaseFactory(pupil=factories.PupilFactory(school=world.school))
    factories.CaseReasonFactory(case=case, reason="long_absence")
    url = reverse("outreach:flag_edit", args=[case.pk])
    data = {"submission": str(uuid.uuid4()), "reasons": ["long_absence"], "urgency": "high", "half_days_missed": "6"}
    client.force_login(world.school_staff)
    assert client.post(url, data)["Location"] == case_url(case)
    events = CaseEvent.objects.filter(case=case).count()
    replay = client.post(url, data)
    assert replay["Location"] == case_url(case)
    assert ALREADY_SAVED in shown_after(client, replay)
    assert CaseEvent.objects.filter(case=case).count() == events


# Tokens are per user -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_users_replay_of_a_token_is_a_fresh_submit(client, world):
    """Another user's token is treated as no token at all (see once.claim): the submit goes on under that user's
    own permissions, and is never answered with "already saved" and a redirect to the first user's record."""
    token = str(uuid.uuid4())
    client.force_login(world.school_staff)
    first = client.post(FLAG_URL, flag_post(submission=token))
    theirs = Case.objects.get()
    assert first["Location"] == case_url(theirs)

    client.force_login(world.other_school_staff)
    data = flag_post(submission=token, external_ref="EL-200", neighbourhood="Moulins", postcode="59100")
    response = client.post(FLAG_URL, data)
    mine = Case.objects.exclude(pk=theirs.pk).get()
    assert mine.school == world.other_school
    assert response["Location"] == case_url(mine) != case_url(theirs)
    assert ALREADY_SAVED not in shown_after(client, response)
    assert SubmissionToken.objects.get(token=token).user == world.school_staff


@pytest.mark.clock
@pytest.mark.django_db
def test_a_colleagues_replay_of_a_contact_token_logs_their_own_contact(client, world, in_progress_case):
    token = uuid.uuid4()
    client.force_login(world.animator)
    client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    client.force_login(world.manager)
    response = client.post(step_url(in_progress_case, "log_contact"), contact_post(token))
    assert ALREADY_SAVED not in shown_after(client, response)
    assert Contact.objects.filter(case=in_progress_case, author=world.manager).count() == 1


# The hidden input --------------------------------------------------------------------------------------------------


def tokens_in(html: str) -> list[str]:
    return TOKEN_INPUT.findall(html)


@pytest.mark.django_db
def test_every_step_form_of_the_case_page_carries_its_own_token(client, world, in_progress_case):
    client.force_login(world.manager)
    html = client.get(case_url(in_progress_case)).content.decode()
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    step_forms = [form for form in forms if f'action="/cases/{in_progress_case.pk}/do/' in form]
    assert len(step_forms) >= 3
    assert all(len(tokens_in(form)) == 1 for form in step_forms)
    tokens = tokens_in(html)
    assert len(set(tokens)) == len(tokens)  # a fresh token per rendered form
    assert tokens_in(client.get(case_url(in_progress_case)).content.decode())[0] not in tokens


@pytest.mark.django_db
def test_the_schools_forms_carry_a_token(client, world):
    case = factories.CaseFactory(pupil=factories.PupilFactory(school=world.school))
    factories.CaseReasonFactory(case=case, reason="long_absence")
    client.force_login(world.school_staff)
    for url in (FLAG_URL, reverse("outreach:flag_upload"), reverse("outreach:flag_edit", args=[case.pk])):
        assert len(tokens_in(client.get(url).content.decode())) == 1, url


@pytest.mark.django_db
def test_the_triage_route_forms_carry_a_token(client, world):
    for _case in range(2):
        factories.CaseFactory(pupil=factories.PupilFactory(school=world.school, neighbourhood="Bois-Blancs"))
    client.force_login(world.coordinator)
    html = client.get(reverse("outreach:triage")).content.decode()
    assert html.count('name="route-centre"') == 2
    assert len(set(tokens_in(html))) == 2
