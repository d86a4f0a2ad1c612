"""CSV imports in the background: chunks committed one by one, resumed after the last one, a progress page gated
like the import itself."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outreach import imports
from outreach.access import access_scope
from outreach.csv_import import read_flag_csv
from outreach.imports import import_job_chunk, import_job_create, import_job_run, stale_import_jobs
from outreach.models import Case, ImportJob, ImportRowResult, ImportStatus
from outreach.roles import Role
from outreach.services import role_revoke
from schools.models import Pupil
from tests.api_helpers import world_fixtures

api_world, world, fast_passwords = world_fixtures()

HEADER = "external_ref,first_name,last_name,level,neighbourhood,reasons"


def csv_rows(count: int, *, bad: frozenset[int] = frozenset(), prefix: str = "EL") -> bytes:
    lines = [HEADER] + [
        f"{prefix}-{n},Inès,Martin,{'7e' if n in bad else '5e'},Wazemmes,long_absence" for n in range(count)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def new_job(world, count: int, **kwargs) -> ImportJob:
    """A job of `count` rows for world.school, read from a file as the upload page reads it."""
    return import_job_create(
        actor=world.school_staff,
        scope=access_scope(world.school_staff),
        school=world.school,
        rows=read_flag_csv(csv_rows(count, **kwargs)),
    )


@pytest.fixture
def chunks_of_three(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)


def chunk(job: ImportJob) -> bool:
    job = ImportJob.objects.select_related("school", "created_by").get(pk=job.pk)
    return import_job_chunk(job_id=job.pk, school=job.school, actor=job.created_by, rows=job.rows)


def test_a_job_commits_its_rows_chunk_by_chunk_with_their_results(world, chunks_of_three):
    job = new_job(world, 7, bad=frozenset({4}))
    assert chunk(job) is True
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.RUNNING, 3)
    assert Case.objects.count() == ImportRowResult.objects.filter(job=job).count() == 3
    import_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.DONE, 7)
    results = list(job.results.values_list("number", "status"))
    assert results == [(n + 2, "error" if n == 4 else "created") for n in range(7)]  # line 1 is the header
    assert [column for column, _messages in job.results.get(status="error").errors] == ["level"]
    assert Case.objects.count() == 6


def test_a_chunk_costs_the_same_queries_for_3_rows_and_for_30(world, monkeypatch):
    counts = []
    for size in (3, 30):
        monkeypatch.setattr(imports, "CHUNK_ROWS", size)
        job = new_job(world, size, prefix=f"S{size}")
        with CaptureQueriesContext(connection) as queries:
            chunk(job)
        counts.append(len(queries))
    assert Pupil.objects.count() == 33
    assert counts[0] == counts[1]


def test_a_stale_job_is_resumed_after_its_last_committed_chunk(world, chunks_of_three):
    job = new_job(world, 8)
    chunk(job)  # the worker committed one chunk, then died
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = new_job(world, 2)  # another job, making progress: not stale

    assert list(stale_import_jobs()) == [ImportJob.objects.get(pk=job.pk)]
    call_command("resume_imports")  # the immediate backend of the tests runs the task inline

    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.DONE, 8)
    assert sorted(job.results.values_list("number", flat=True)) == list(range(2, 10))  # every row once
    assert Case.objects.filter(pupil__external_ref__startswith="EL-").count() == 8
    assert ImportJob.objects.get(pk=fresh.pk).status == ImportStatus.PENDING


def test_a_finished_job_run_again_changes_nothing(world):
    job = new_job(world, 2)
    import_job_run(job.pk)
    import_job_run(job.pk)
    assert ImportRowResult.objects.filter(job=job).count() == 2 and Case.objects.count() == 2


def test_an_author_who_lost_the_right_to_flag_stops_the_import(world, chunks_of_three):
    job = new_job(world, 5)
    chunk(job)
    role_revoke(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.school)
    import_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.FAILED, 3)
    assert job.failure
    assert Case.objects.count() == 3


# The pages ------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def upload(client, user, content: bytes):
    client.force_login(user)
    file = SimpleUploadedFile("flags.csv", content, content_type="text/csv")
    return client.post(reverse("outreach:flag_upload"), {"file": file})


def test_the_upload_redirects_to_the_report_of_its_job(client, world):
    response = upload(client, world.school_staff, csv_rows(3, bad=frozenset({1})))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:flag_import", args=[job.pk])
    html = client.get(response["Location"]).content.decode()
    assert "2 flagged, 0 already open, 1 not imported." in html
    assert 'http-equiv="refresh"' not in html


def test_the_progress_page_refreshes_until_the_job_is_done(client, world, chunks_of_three):
    job = new_job(world, 5)
    chunk(job)
    client.force_login(world.school_staff)
    html = client.get(reverse("outreach:flag_import", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in html
    assert "3 of 5 rows imported" in html
    assert 'id="report-title"' not in html


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("school_staff", 200),
        ("other_school_staff", 404),
        ("animator", 404),
        ("manager", 404),
        ("coordinator", 404),
        ("nobody", 404),
        (None, 302),
    ],
)
def test_only_school_staff_of_the_jobs_school_see_it(client, world, actor, status):
    job = new_job(world, 1)
    if actor is not None:
        client.force_login(getattr(world, actor))
    response = client.get(reverse("outreach:flag_import", args=[job.pk]))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
