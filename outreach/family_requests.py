"""A family's requests about their child's data (GDPR articles 15 to 21): recorded by a coordinator with the date
received, answered within one month (art. 12.3), closed with what was done. Granting an erasure anonymises the
pupil at once, as retention would (outreach/retention.py)."""

import calendar
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.access import AccessScope, require_coordinator
from outreach.audit import access_log_write
from outreach.models import (
    OPEN_STATUSES,
    AccessAction,
    Case,
    CaseEvent,
    EventKind,
    FamilyRequest,
    FamilyRequestDecision,
    FamilyRequestKind,
)
from outreach.retention import anonymise_pupil
from outreach.services import _scope, _validated, entry_point
from schools.domain_errors import InvalidInput, InvalidTransition, NotFound


def one_month_after(day: date) -> date:
    """The same day next month, or that month's last day when it is shorter (31 January → 28 or 29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _log(request: FamilyRequest, *, actor, kind: EventKind, at: datetime) -> None:
    """The event carries no note: what the family asked and what was done stay on the request, for coordinators."""
    CaseEvent.objects.create(case=request.case, actor=actor, at=at, kind=kind)
    access_log_write(user=actor, action=AccessAction.WRITE, what=kind, case=request.case, detail=request.kind, at=at)


@entry_point
def family_request_record(
    *, actor, case: Case, kind: str, received_on: date, scope: AccessScope | None = None, now: datetime | None = None
) -> FamilyRequest:
    now = now or timezone.now()
    require_coordinator(_scope(actor, scope))
    request = FamilyRequest(case=case, kind=kind, received_on=received_on, recorded_by=actor, recorded_at=now)
    _validated(request, exclude=["case", "recorded_by", "due_on"])
    if received_on > timezone.localdate(now):
        raise InvalidInput(fields={"received_on": [_("The request cannot be received in the future.")]})
    request.due_on = one_month_after(received_on)
    request.save()
    _log(request, actor=actor, kind=EventKind.FAMILY_REQUEST, at=now)
    return request


@entry_point
def family_request_answer(
    *,
    actor,
    request_id: int,
    decision: str,
    response: str,
    scope: AccessScope | None = None,
    now: datetime | None = None,
) -> FamilyRequest:
    """Closes the request with what was done. A granted erasure anonymises the pupil now: every one of their cases
    must be closed first, since a file still being worked on cannot be erased."""
    now = now or timezone.now()
    require_coordinator(_scope(actor, scope))
    request = FamilyRequest.objects.select_for_update().select_related("case__pupil").filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    response = (response or "").strip()
    if decision not in FamilyRequestDecision.values:
        raise InvalidInput(fields={"decision": [_("Say whether the request was granted or refused.")]})
    if not response:
        raise InvalidInput(fields={"response": [_("Say what was done.")]})
    if not request.is_open:
        raise InvalidTransition(_("This request was already answered."))
    request.closed_at, request.closed_by, request.decision, request.response = now, actor, decision, response
    _validated(request, exclude=["case", "recorded_by", "closed_by", "due_on"])
    erasing = request.kind == FamilyRequestKind.ERASURE and decision == FamilyRequestDecision.GRANTED
    if erasing and Case.objects.filter(pupil=request.case.pupil, status__in=OPEN_STATUSES).exists():
        raise InvalidTransition(_("Close the pupil's open case before erasing their data."))
    request.save()
    _log(request, actor=actor, kind=EventKind.FAMILY_REQUEST_ANSWERED, at=now)
    if erasing:
        anonymise_pupil(pupil=request.case.pupil, now=now, actor=actor)
    return request
