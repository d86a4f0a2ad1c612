"""Unusual access (CNIL deliberation 2021-122): a daily look at one day of the access log, and the coordinators'
review of what it raised.

Three patterns, each raised once per account and day with the access-log rows behind it:
- volume: an account read far more pupils than on its usual day (its own median over the weeks before);
- after hours: an identity revealed outside the working hours or days;
- closed cases: a case read long after it was closed (past the weeks a school takes to confirm the return).
"""

import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.access import AccessScope, require_global
from outreach.audit import access_log_write
from outreach.models import AccessAction, AccessAlert, AccessAlertEntry, AccessLog, AlertKind, Status
from outreach.services import _text, _validated, entry_point
from schools.domain_errors import InvalidTransition, NotFound
from schools.permissions import Action

# Every action but a write reads a pupil's data.
READS = [action for action in AccessAction.values if action != AccessAction.WRITE]


def working_moment(moment: datetime) -> bool:
    """Within the working hours (start included, end excluded) of a working day, Paris time."""
    local = timezone.localtime(moment)
    start, _sep, end = settings.RADAR_WORKING_HOURS.partition("-")
    first_day, _sep, last_day = settings.RADAR_WORKING_DAYS.partition("-")
    return int(first_day) <= local.isoweekday() <= int(last_day) and int(start) <= local.hour < int(end)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _reads(start: datetime, end: datetime) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(at__gte=start, at__lt=end, action__in=READS)


IDENTITY_READ = Q(pupil__isnull=False) | Q(cases_shown__isnull=False)


def _volume(day: date) -> dict[int, tuple[int, float, QuerySet[AccessLog]]]:
    """Accounts that read more than FACTOR times their median day and more than FLOOR pupils: one grouped query.

    A pupil is read by a read of their case, or by a list that showed it (the cases a list entry links)."""
    start, end = _day_bounds(day)
    history_start, _end = _day_bounds(day - timedelta(days=settings.RADAR_ALERT_HISTORY_DAYS))
    per_day = (
        _reads(history_start, end)
        .filter(IDENTITY_READ)
        .annotate(on=TruncDate("at"))
        .values("user_id", "on")
        .annotate(pupils=Count(Coalesce("pupil_id", "cases_shown__case__pupil_id"), distinct=True))
    )
    history: dict[int, list[int]] = defaultdict(list)
    today: dict[int, int] = {}
    for row in per_day:
        if row["on"] == day:
            today[row["user_id"]] = row["pupils"]
        else:
            history[row["user_id"]].append(row["pupils"])
    unusual = {}
    for user_id, pupils in today.items():
        usual = statistics.median(history[user_id]) if history[user_id] else 0.0
        if pupils > settings.RADAR_ALERT_VOLUME_FACTOR * usual and pupils > settings.RADAR_ALERT_VOLUME_FLOOR:
            rows = _reads(start, end).filter(IDENTITY_READ, user_id=user_id).distinct()
            unusual[user_id] = (pupils, float(usual), rows)
    return unusual


def _after_hours(day: date) -> dict[int, list[int]]:
    start, end = _day_bounds(day)
    reveals: dict[int, list[int]] = defaultdict(list)
    for pk, user_id, at in AccessLog.objects.filter(at__gte=start, at__lt=end, action=AccessAction.REVEAL).values_list(
        "pk", "user_id", "at"
    ):
        if not working_moment(at):
            reveals[user_id].append(pk)
    return reveals


def _closed_cases(day: date) -> dict[int, list[int]]:
    """Reads of a case closed more than RADAR_RECENTLY_CLOSED_DAYS before. A right-of-access export reads closed
    cases by its nature, and is logged and reviewed on its own."""
    start, end = _day_bounds(day)
    grace = timedelta(days=settings.RADAR_RECENTLY_CLOSED_DAYS)
    rows = (
        _reads(start, end)
        .exclude(action=AccessAction.EXPORT)
        .filter(case__status=Status.CLOSED, case__closed_at__lt=F("at") - grace)
        .values_list("pk", "user_id")
    )
    reads: dict[int, list[int]] = defaultdict(list)
    for pk, user_id in rows:
        reads[user_id].append(pk)
    return reads


def _raise(kind: AlertKind, user_id: int, day: date, count: int, entry_ids, *, usual=None, now) -> AccessAlert:
    alert, _created = AccessAlert.objects.get_or_create(
        kind=kind, user_id=user_id, day=day, defaults={"count": count, "usual": usual, "created_at": now}
    )
    AccessAlertEntry.objects.bulk_create(
        (AccessAlertEntry(alert=alert, access_log_id=pk) for pk in entry_ids), ignore_conflicts=True
    )
    return alert


@transaction.atomic
def access_check(*, day: date, now: datetime | None = None) -> list[AccessAlert]:
    """Raises the alerts of one day. Running it again for the same day adds nothing."""
    now = now or timezone.now()
    alerts = []
    for user_id, (pupils, usual, rows) in _volume(day).items():
        ids = rows.values_list("pk", flat=True)
        alerts.append(_raise(AlertKind.VOLUME, user_id, day, pupils, ids, usual=usual, now=now))
    for user_id, ids in _after_hours(day).items():
        alerts.append(_raise(AlertKind.AFTER_HOURS, user_id, day, len(ids), ids, now=now))
    for user_id, ids in _closed_cases(day).items():
        alerts.append(_raise(AlertKind.CLOSED_CASE, user_id, day, len(ids), ids, now=now))
    return alerts


def alerts_for_review(scope: AccessScope) -> QuerySet[AccessAlert]:
    """Coordinators only: those to review first, then the newest days."""
    require_global(scope, Action.VIEW_ACCESS_LOG)
    return AccessAlert.objects.select_related("user", "reviewed_by").order_by(
        F("reviewed_at").desc(nulls_first=True), "-day", "-pk"
    )


@entry_point
def access_alert_review(
    *, actor, alert_id: int, note: str = "", scope: AccessScope, now: datetime | None = None
) -> AccessAlert:
    """A coordinator has looked at the rows behind an alert; what they found goes in the note. Logged."""
    now = now or timezone.now()
    require_global(scope, Action.VIEW_ACCESS_LOG)
    alert = AccessAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    if alert.reviewed_at is not None:
        raise InvalidTransition(_("This alert has been reviewed already."))
    alert.reviewed_at, alert.reviewed_by, alert.review_note = now, actor, _text(note)
    _validated(alert, exclude=["user", "reviewed_by"])
    alert.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    access_log_write(user=actor, action=AccessAction.WRITE, what="alert_reviewed", detail=f"alert={alert.pk}", at=now)
    return alert
