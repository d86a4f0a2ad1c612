"""CSV imports as background jobs: the file is read in the request, its rows flagged by a task, a chunk at a time.

Each chunk of at most CHUNK_ROWS rows is one transaction: its flags (services.cases_flag_in_transaction), its rows'
results and the job's progress commit together, so a job resumed after its worker died starts after the last
committed chunk and never flags a row twice. django-tasks does not requeue the task of a worker that died:
`manage.py resume_imports` enqueues again the jobs whose progress stopped (`stale_import_jobs`). Two runs of one job
(a resumed job whose worker was only slow) take its row lock in turn for each chunk and never repeat one.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from outreach.access import AccessScope, access_scope
from outreach.csv_import import CsvRow, RowReader, flag_read_rows
from outreach.models import ImportJob, ImportRowResult, ImportStatus
from outreach.services import entry_point
from schools.domain_errors import ActionForbidden, DomainError
from schools.models import School
from schools.permissions import Action

logger = logging.getLogger(__name__)

CHUNK_ROWS = 500
# A job whose progress stopped for this long lost its worker (a chunk of 500 rows takes about a second).
STALE_AFTER = timedelta(minutes=10)


@entry_point
def import_job_create(
    *, actor, scope: AccessScope, school: School, rows: list[CsvRow], now: datetime | None = None
) -> ImportJob:
    """Records the rows read from a file as a job for the background task (enqueue it once this commits)."""
    if not scope.can_on_school(Action.FLAG, school.pk):
        raise ActionForbidden()
    now = now or timezone.now()
    return ImportJob.objects.create(
        school=school,
        created_by=actor,
        created_at=now,
        heartbeat_at=now,
        rows=[
            {"number": row.number, "cells": row.cells, **({"nul": row.nul_columns} if row.nul_columns else {})}
            for row in rows
        ],
        rows_total=len(rows),
    )


@task()
def import_job_task(job_id: str) -> None:
    """The background task (django-tasks): runs the job from its last committed chunk."""
    import_job_run(job_id)


def import_job_run(job_id) -> None:
    """The task's body: the job's chunks from the first not yet committed, then the job marked done (or failed
    with the reason: its author lost the right to flag for the school, say)."""
    job = ImportJob.objects.select_related("school", "created_by").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return
    rows = job.rows
    try:
        while import_job_chunk(job_id=job.pk, school=job.school, actor=job.created_by, rows=rows):
            pass
    except DomainError as error:
        _failed(job.pk, error.message)
    except Exception:
        logger.exception("CSV import %s stopped", job.pk)
        _failed(job.pk, _("The import stopped because of an error on our side."))
        raise


@entry_point
def import_job_chunk(*, job_id, school: School, actor, rows: list[dict], now: datetime | None = None) -> bool:
    """Flags the next chunk of the job's rows and records their results; False once every row is done."""
    now = now or timezone.now()
    job = ImportJob.objects.select_for_update().defer("rows").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return False
    chunk = [
        CsvRow(number=row["number"], cells=row["cells"], nul_columns=row.get("nul", []))
        for row in rows[job.rows_done : job.rows_done + CHUNK_ROWS]
    ]
    if chunk:
        reader = RowReader()
        for row in chunk:
            reader.read(row)
        # The author's grants as they are now: a right revoked during the import stops it.
        report = flag_read_rows(actor=actor, scope=access_scope(actor), school=school, rows=chunk)
        ImportRowResult.objects.bulk_create(
            ImportRowResult(
                job_id=job.pk,
                number=result["number"],
                status=result["status"],
                case=result["case"],
                errors=result["errors"],
            )
            for result in report
        )
    job.rows_done += len(chunk)
    job.heartbeat_at = now
    job.status = ImportStatus.RUNNING if job.rows_done < job.rows_total else ImportStatus.DONE
    job.finished_at = now if job.status == ImportStatus.DONE else None
    job.save(update_fields=["rows_done", "heartbeat_at", "status", "finished_at"])
    return job.status == ImportStatus.RUNNING


def _failed(job_id, reason: str) -> None:
    with transaction.atomic():
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, failure=reason, finished_at=timezone.now()
        )


def stale_import_jobs(now: datetime | None = None, after: timedelta = STALE_AFTER) -> QuerySet[ImportJob]:
    """Jobs pending or running whose progress stopped `after` ago: their worker died."""
    now = now or timezone.now()
    return ImportJob.objects.filter(
        status__in=[ImportStatus.PENDING, ImportStatus.RUNNING], heartbeat_at__lt=now - after
    ).order_by("heartbeat_at")
