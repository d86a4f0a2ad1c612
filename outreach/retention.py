"""Retention (SPEC §7): pupils whose cases are all closed and quiet for RADAR_CASE_RETENTION_MONTHS are
anonymised, and access-log entries older than RADAR_ACCESS_LOG_RETENTION_MONTHS are purged.

The unit of anonymisation is the pupil: their identity is on every one of their cases, so it is erased only when
every case qualifies, and then every case's free text goes with it. What statistics read is kept: birth year, sex,
level, neighbourhood, codes, dates, school, centre, outcome, counts and durations.

Every step works on one batch at a time, each in its own transaction, and picks its batch from what is still to
do: a run stopped half-way leaves whole pupils done or untouched, and the next run carries on.
"""

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from outreach.audit import access_log_write, audit_trail_open_before
from outreach.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseEvent,
    Contact,
    EventKind,
    RetentionRun,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
)
from schools.models import Guardian, Pupil

BATCH_SIZE = 200
# How long after the last completed run the dashboard warns that retention has stopped.
RETENTION_LATE_AFTER = timedelta(hours=48)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the last day of the month when that one is shorter)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return moment.replace(year=year, month=month_index + 1, day=min(moment.day, last_day))


def case_cutoff(now: datetime) -> datetime:
    return months_before(now, settings.RADAR_CASE_RETENTION_MONTHS)


def access_log_cutoff(now: datetime) -> datetime:
    return months_before(now, settings.RADAR_ACCESS_LOG_RETENTION_MONTHS)


def _quiet_since(cutoff: datetime) -> Q:
    """Closed before the cutoff, and nothing recorded on the case since: no event, contact, tutoring session or
    return confirmation. Reads are not activity."""
    day = cutoff.date()
    since = {"case": OuterRef("pk")}
    return (
        Q(status=Status.CLOSED, closed_at__lt=cutoff)
        & ~Exists(CaseEvent.objects.filter(**since, at__gte=cutoff))
        & ~Exists(Contact.objects.filter(Q(created_at__gte=cutoff) | Q(occurred_at__gte=cutoff), **since))
        & ~Exists(TutoringSession.objects.filter(Q(created_at__gte=cutoff) | Q(on__gte=day), **since))
        & ~Exists(ReturnConfirmation.objects.filter(Q(created_at__gte=cutoff) | Q(on__gte=day), **since))
    )


def pupils_due(now: datetime) -> QuerySet[Pupil]:
    """Pupils not anonymised yet whose every case is closed and quiet since the retention cutoff."""
    quiet = _quiet_since(case_cutoff(now))
    cases = Case.objects.filter(pupil=OuterRef("pk"))
    return (
        Pupil.objects.filter(anonymised_at__isnull=True)
        .filter(Exists(cases.filter(status=Status.CLOSED, anonymised_at__isnull=True)))
        .exclude(Exists(cases.exclude(quiet)))
        .order_by("pk")
    )


def access_log_due(now: datetime) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(at__lt=access_log_cutoff(now))


def anonymise_pupil(*, pupil: Pupil, now: datetime, actor=None) -> list[Case]:
    """Erases the pupil's identity, their guardians and every free text of their cases; keeps the figures.

    Runs inside the caller's transaction. Retention calls it with no actor; an erasure asked by the family passes
    the coordinator who records it, and each case then gets an `anonymised` event and an access-log entry.
    Returns the cases anonymised (those that were not already)."""
    cases = list(Case.objects.select_for_update().filter(pupil=pupil, anonymised_at__isnull=True).order_by("pk"))
    case_ids = [case.pk for case in cases]
    Guardian.objects.filter(pupil=pupil).delete()
    Pupil.objects.filter(pk=pupil.pk).update(
        first_name="",
        last_name="",
        # The birth year stays, for the age bands of the funders' report; the exact date goes.
        birth_date=date(pupil.birth_date.year, 1, 1) if pupil.birth_date else None,
        # Unique per school, so it cannot simply be emptied.
        external_ref=f"anonymised-{pupil.pk}",
        class_name="",
        address="",
        postcode="",
        city="",
        anonymised_at=now,
        updated_at=now,
    )
    Case.objects.filter(pk__in=case_ids).update(details="", outcome_note="", anonymised_at=now, updated_at=now)
    Contact.objects.filter(case__in=case_ids).update(notes="", next_step="")
    TutoringSession.objects.filter(case__in=case_ids).update(notes="", subjects="")
    Support.objects.filter(case__in=case_ids).update(detail="")
    # The timeline is append-only; erasing its notes is the one change the database lets through, and only
    # for the events already written when this transaction says so.
    audit_trail_open_before(now)
    CaseEvent._base_manager.filter(case__in=case_ids, at__lte=now).exclude(note="").update(note="")
    if actor is not None:
        for case in cases:
            CaseEvent.objects.create(case=case, actor=actor, at=now, kind=EventKind.ANONYMISED)
            access_log_write(user=actor, action=AccessAction.WRITE, what=EventKind.ANONYMISED, case=case, at=now)
    return cases


def access_log_purge_batch(*, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Deletes up to `batch_size` of the oldest entries past the cutoff, in one transaction; returns how many."""
    cutoff = access_log_cutoff(now)
    with transaction.atomic():
        ids = list(access_log_due(now).order_by("at", "pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return 0
        audit_trail_open_before(cutoff)
        AccessLog._base_manager.filter(pk__in=ids, at__lt=cutoff).delete()
    return len(ids)


@dataclass
class RetentionSummary:
    pupils: int = 0
    cases: int = 0
    access_log: int = 0
    references: list[str] = field(default_factory=list)


Progress = Callable[[str, int, int], None]


def _batches(queryset: QuerySet[Pupil], batch_size: int) -> Iterator[list[Pupil]]:
    """The queryset in primary-key order, one batch at a time, each read afresh from after the last one."""
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return
        yield batch
        last_pk = batch[-1].pk


def retention_apply(
    *, now: datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE, progress: Progress | None
) -> RetentionSummary:
    """Anonymises every pupil due and purges the access log past its cutoff; with `dry_run`, counts and lists what
    it would do and writes nothing. A completed real run is recorded for the dashboard."""
    started_at = now or timezone.now()
    report = progress or (lambda step, done, total: None)
    summary = RetentionSummary()
    due = pupils_due(started_at)
    total = due.count()
    report("pupils", 0, total)
    for batch in _batches(due, batch_size):
        if dry_run:
            due_cases = Case.objects.filter(pupil__in=batch, anonymised_at__isnull=True).order_by("reference")
            summary.references += due_cases.values_list("reference", flat=True)
            summary.pupils += len(batch)
        else:
            with transaction.atomic():
                # Read again under the lock: a pupil flagged again since the batch was chosen is left alone.
                locked = pupils_due(started_at).select_for_update().filter(pk__in=[pupil.pk for pupil in batch])
                for pupil in locked:
                    cases = anonymise_pupil(pupil=pupil, now=started_at)
                    summary.references += [case.reference for case in cases]
                    summary.pupils += 1
        report("pupils", min(summary.pupils, total), total)
    summary.cases = len(summary.references)

    log_total = access_log_due(started_at).count()
    report("access_log", 0, log_total)
    if dry_run:
        summary.access_log = log_total
    else:
        while purged := access_log_purge_batch(now=started_at, batch_size=batch_size):
            summary.access_log += purged
            report("access_log", summary.access_log, log_total)
        RetentionRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now() if now is None else started_at,
            pupils_anonymised=summary.pupils,
            cases_anonymised=summary.cases,
            access_log_purged=summary.access_log,
        )
    return summary


def last_retention_run() -> RetentionRun | None:
    return RetentionRun.objects.order_by("-finished_at").first()


def retention_is_late(run: RetentionRun | None, now: datetime) -> bool:
    return run is None or now - run.finished_at > RETENTION_LATE_AFTER
