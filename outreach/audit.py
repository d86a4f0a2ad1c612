"""The access log: every read of a pupil's data and every write, with who, when and from where."""

from collections.abc import Collection
from contextvars import ContextVar
from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from outreach.models import AccessAction, AccessedCase, AccessLog, Case

request_ip: ContextVar[str | None] = ContextVar("request_ip", default=None)


def access_log_write(
    *,
    user,
    action: AccessAction,
    what: str,
    case: Case | None = None,
    pupil_id: int | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> AccessLog:
    return AccessLog.objects.create(
        at=at or timezone.now(),
        user=user,
        action=action,
        what=what,
        case=case,
        pupil_id=pupil_id if pupil_id is not None else (case.pupil_id if case is not None else None),
        detail=detail[:300],
        ip_address=request_ip.get(),
    )


def record_read(*, user, case: Case, action: AccessAction, what: str = "") -> AccessLog:
    """A read of a pupil's data is logged like a write: who looked, at what, when, from where."""
    return access_log_write(user=user, action=action, what=what or action, case=case)


def record_list_read(
    *, user, what: str, case_ids: Collection[UUID], search: str = "", pupil_id: int | None = None
) -> AccessLog:
    """A list, search, triage page or export that showed pupils: one access-log entry for the request, and the
    cases it showed in one multi-row INSERT (never one per row), so a list leaves the same trace as a case page."""
    entry = access_log_write(
        user=user, action=AccessAction.READ_LIST, what=what, pupil_id=pupil_id, detail=search.strip()
    )
    if case_ids:
        shown = dict.fromkeys(case_ids)  # a case on two lists of one page is one row
        AccessedCase.objects.bulk_create([AccessedCase(access_log=entry, case_id=case_id) for case_id in shown])
    return entry


def about_case(**case_lookup) -> Q:
    """The access-log entries about one case (`about_case(reference=...)`, `about_case(pk=...)`): its own reads and
    writes, and the lists that showed it. Both sides are indexed (the entry's case, the shown case), so "who has
    seen this pupil" is one query."""
    on_case = {f"case__{name}": value for name, value in case_lookup.items()}
    shown_in = AccessedCase.objects.filter(**on_case).values("access_log_id")
    return Q(**on_case) | Q(pk__in=shown_in)


def with_cases_shown(entries: QuerySet[AccessLog]) -> QuerySet[AccessLog]:
    """Each entry with `cases_shown_count`, how many cases it showed (0 for a read of one case or a write)."""
    shown = (
        AccessedCase.objects.filter(access_log=OuterRef("pk"))
        .order_by()
        .values("access_log")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return entries.annotate(cases_shown_count=Coalesce(Subquery(shown), 0))


# The transaction-local switch the PostgreSQL triggers on the access log and the timeline read (migration
# `privacya_append_only_triggers`): with it, this transaction may delete access-log entries and erase event notes
# dated before its cutoff, and nothing else. It carries its own cutoff because the database's clock is not the
# application's (a frozen clock in tests, a `now` passed to a service).
AUDIT_CUTOFF_SETTING = "radar.retention_cutoff"


def audit_trail_open_before(cutoff: datetime) -> None:
    """Lets the current transaction purge access-log entries, and erase event notes, dated before `cutoff`.
    Only retention and an erasure asked by the family call it. SQLite has no triggers: there the append-only rule
    is the models' (AppendOnlyModel), which these callers go around through `_base_manager`."""
    if not connection.in_atomic_block:
        raise RuntimeError("The audit trail opens only inside a transaction, and only for it.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [AUDIT_CUTOFF_SETTING, cutoff.isoformat()])
