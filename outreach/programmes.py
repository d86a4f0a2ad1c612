"""The centre's tutoring groups (CLAS): groups, their members, their sessions and the register.

Writes follow outreach/services.py: keyword-only, one durable transaction each (`entry_point`), the caller's scope
and the clock given, a CaseEvent and an access-log row for everything that concerns a case. A register line is the
case's tutoring record (a TutoringSession pointing at the group session), so the case page, the tutoring API and
the funders' figures read it as they read a one-to-one session.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.access import AccessScope, centres_run, centres_staffed, may_take_register
from outreach.audit import request_ip
from outreach.models import (
    ATTENDANCE_NOTE_LENGTH,
    AccessAction,
    AccessLog,
    Case,
    CaseEvent,
    Centre,
    EventKind,
    GroupMembership,
    GroupSession,
    Presence,
    Status,
    TutoringGroup,
    TutoringSession,
)
from outreach.selectors import centre_staff
from outreach.services import _begin, _record, _text, _validated, entry_point
from schools.domain_errors import ActionForbidden, InvalidInput, InvalidTransition, NotFound
from schools.permissions import Action

# How far ahead sessions may be planned from the schedule at once: a school term and a half.
PLANNING_WEEKS = 16


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# Groups ----------------------------------------------------------------------------------------------------------


def _animators_of(centre: Centre, animator_ids: list[int]) -> list:
    """The staff named to lead a group: each must work at its centre."""
    animators = list(centre_staff(centre).filter(pk__in=animator_ids).distinct())
    if len(animators) != len(set(animator_ids)):
        raise InvalidInput(fields={"animators": [_("Choose animators of the group's centre.")]})
    return animators


@entry_point
def group_create(
    *,
    actor,
    scope: AccessScope,
    centre: Centre,
    name: str,
    mode: str,
    weekday: int,
    starts_at: time,
    duration_minutes: int,
    animator_ids: list[int] | None = None,
    now: datetime | None = None,
) -> TutoringGroup:
    now = _now(now)
    if centre.pk not in centres_run(scope):
        raise ActionForbidden()
    group = TutoringGroup(
        centre=centre,
        name=_text(name),
        mode=mode,
        weekday=weekday,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        created_by=actor,
        created_at=now,
    )
    _validated(group, exclude=["centre", "created_by"])
    animators = _animators_of(centre, animator_ids or [])
    group.save()
    group.animators.set(animators)
    return group


@entry_point
def group_close(*, actor, scope: AccessScope, group: TutoringGroup, now: datetime | None = None) -> TutoringGroup:
    """A closed group keeps its history; its current members leave it on the day."""
    now = _now(now)
    group = TutoringGroup.objects.select_for_update().get(pk=group.pk)
    if group.centre_id not in centres_run(scope):
        raise ActionForbidden()
    if group.closed_at is not None:
        raise InvalidTransition(_("This group is already closed."))
    group.closed_at = now
    group.save(update_fields=["closed_at"])
    for membership in group.memberships.filter(left_on__isnull=True).select_related("case"):
        _leave(membership, actor=actor, now=now)
    return group


def _check_same_centre(group: TutoringGroup, case: Case) -> None:
    if case.centre_id != group.centre_id:
        raise InvalidInput(fields={"case": [_("Only cases of the group's centre can join it.")]})


@entry_point
def group_join(
    *,
    actor,
    scope: AccessScope,
    group: TutoringGroup,
    case: Case,
    joined_on: date | None = None,
    now: datetime | None = None,
) -> GroupMembership:
    """`joined_on` is today unless told: a pupil who came to the group before it was recorded here."""
    now = _now(now)
    joined_on = joined_on or timezone.localdate(now)
    if joined_on > timezone.localdate(now) or joined_on < group.created_at.date() - timedelta(weeks=PLANNING_WEEKS):
        raise InvalidInput(fields={"joined_on": [_("Give a day from the group's start to today.")]})
    case = _begin(case, actor=actor, scope=scope, action=Action.LOG_CONTACT)
    group = TutoringGroup.objects.select_for_update().get(pk=group.pk)
    if group.centre_id not in centres_staffed(scope):
        raise NotFound()
    _check_same_centre(group, case)
    if group.closed_at is not None:
        raise InvalidTransition(_("This group is closed."))
    if case.status != Status.IN_PROGRESS:
        raise InvalidTransition(_("Only a case in progress can join a group."))
    if group.memberships.filter(case=case, left_on__isnull=True).exists():
        raise InvalidTransition(_("This pupil is already in the group."))
    membership = GroupMembership.objects.create(group=group, case=case, joined_on=joined_on)
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.GROUP_JOINED, at=now, note=group.name, detail=f"group={group.pk}")
    return membership


def _leave(membership: GroupMembership, *, actor, now: datetime) -> None:
    membership.left_on = timezone.localdate(now)
    membership.save(update_fields=["left_on"])
    _record(
        membership.case,
        actor=actor,
        kind=EventKind.GROUP_LEFT,
        at=now,
        note=membership.group.name,
        detail=f"group={membership.group_id}",
    )


@entry_point
def group_leave(*, actor, scope: AccessScope, group: TutoringGroup, case: Case, now: datetime | None = None) -> None:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.LOG_CONTACT)
    membership = (
        GroupMembership.objects.select_for_update()
        .select_related("group")
        .filter(group=group, case=case, left_on__isnull=True)
        .first()
    )
    if membership is None or membership.group.centre_id not in centres_staffed(scope):
        raise InvalidTransition(_("This pupil is not in the group."))
    membership.case = case
    _leave(membership, actor=actor, now=now)
    case.save(update_fields=["updated_at"])


def member_count() -> Count:
    """A group's current members, as an annotation of a list of groups."""
    return Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True)


def current_members(group: TutoringGroup) -> QuerySet[GroupMembership]:
    return group.memberships.filter(left_on__isnull=True, case__centre_id=group.centre_id)


# Sessions --------------------------------------------------------------------------------------------------------


def schedule_dates(group: TutoringGroup, start: date, until: date) -> list[date]:
    """The days of the group's weekly slot from `start` to `until`, both included."""
    first = start + timedelta(days=(group.weekday - start.weekday()) % 7)
    days = []
    while first <= until:
        days.append(first)
        first += timedelta(weeks=1)
    return days


@entry_point
def sessions_plan(
    *,
    actor,
    scope: AccessScope,
    group: TutoringGroup,
    until: date,
    since: date | None = None,
    now: datetime | None = None,
) -> list[GroupSession]:
    """Sessions on the group's weekly slot from `since` (today unless told: a term already begun is recorded
    afterwards) to `until`; a slot that already has one is skipped."""
    now = _now(now)
    group = TutoringGroup.objects.select_for_update().get(pk=group.pk)
    if group.centre_id not in centres_run(scope):
        raise ActionForbidden()
    if group.closed_at is not None:
        raise InvalidTransition(_("This group is closed."))
    today = timezone.localdate(now)
    since = since or today
    if until < since or until > today + timedelta(weeks=PLANNING_WEEKS):
        raise InvalidInput(
            fields={"until": [_("Plan up to %(weeks)d weeks ahead, from today.") % {"weeks": PLANNING_WEEKS}]}
        )
    if since < today - timedelta(weeks=PLANNING_WEEKS):
        raise InvalidInput(
            fields={"since": [_("Plan from %(weeks)d weeks ago at the most.") % {"weeks": PLANNING_WEEKS}]}
        )
    taken = set(group.sessions.filter(on__gte=since, starts_at=group.starts_at).values_list("on", flat=True))
    sessions = [
        GroupSession(group=group, on=day, starts_at=group.starts_at, duration_minutes=group.duration_minutes)
        for day in schedule_dates(group, since, until)
        if day not in taken
    ]
    return GroupSession.objects.bulk_create(sessions)


@entry_point
def session_add(
    *,
    actor,
    scope: AccessScope,
    group: TutoringGroup,
    on: date,
    starts_at: time,
    duration_minutes: int,
    subjects: str = "",
    now: datetime | None = None,
) -> GroupSession:
    """A session outside the schedule (holidays, a catch-up): the group's animators or its manager add it."""
    now = _now(now)
    group = TutoringGroup.objects.select_for_update().get(pk=group.pk)
    if not may_take_register(scope, group, set(group.animators.values_list("pk", flat=True))):
        raise ActionForbidden()
    if group.closed_at is not None:
        raise InvalidTransition(_("This group is closed."))
    session = GroupSession(
        group=group,
        on=on,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        planned=False,
        subjects=_text(subjects),
    )
    _validated(session, exclude=["group", "register_taken_by"])
    if group.sessions.filter(on=on, starts_at=starts_at).exists():
        raise InvalidInput(fields={"starts_at": [_("The group already meets at that time that day.")]})
    session.save()
    return session


# The register ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One member's line of the register as the caller gave it."""

    presence: str
    note: str = ""


def register_members(session: GroupSession) -> QuerySet[GroupMembership]:
    """Who the register is taken for: the members of the group on the session's day, whose case is still the
    centre's."""
    return GroupMembership.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=session.on),
        group_id=session.group_id,
        joined_on__lte=session.on,
        case__centre_id=session.group.centre_id,
    )


def _check_marks(member_case_ids: list, marks: Mapping[str, Mark]) -> None:
    errors: dict[str, list[str]] = {}
    for case_id in member_case_ids:
        mark = marks.get(str(case_id))
        if mark is None or mark.presence not in Presence.values:
            # No default: every member is marked present, absent or excused by the person taking the register.
            errors[f"attendance.{case_id}.presence"] = [_("Mark this pupil present, absent or excused.")]
        elif len(mark.note) > ATTENDANCE_NOTE_LENGTH:
            errors[f"attendance.{case_id}.note"] = [
                _("Keep the note under %(count)d characters.") % {"count": ATTENDANCE_NOTE_LENGTH}
            ]
    unknown = set(marks) - {str(case_id) for case_id in member_case_ids}
    for case_id in sorted(unknown):
        errors[f"attendance.{case_id}"] = [_("This pupil is not in the group on that day.")]
    if errors:
        raise InvalidInput(fields=errors)


def _log_rows(actor, cases: list[Case], kind: EventKind, now: datetime, detail: str) -> None:
    """A CaseEvent and an access-log row for each case, in two inserts whatever the size of the group."""
    CaseEvent.objects.bulk_create([CaseEvent(case=case, actor=actor, at=now, kind=kind) for case in cases])
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                at=now,
                user=actor,
                action=AccessAction.WRITE,
                what=kind,
                case=case,
                pupil_id=case.pupil_id,
                detail=detail,
                ip_address=request_ip.get(),
            )
            for case in cases
        ]
    )
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(updated_at=now)


def _locked_session(scope: AccessScope, session: GroupSession) -> GroupSession:
    locked = GroupSession.objects.select_for_update(of=("self",)).select_related("group").get(pk=session.pk)
    animator_ids = set(locked.group.animators.values_list("pk", flat=True))
    if locked.group.centre_id not in centres_staffed(scope) or not may_take_register(scope, locked.group, animator_ids):
        raise ActionForbidden()
    return locked


@entry_point
def register_take(
    *,
    actor,
    scope: AccessScope,
    session: GroupSession,
    marks: Mapping[str, Mark],
    now: datetime | None = None,
) -> list[TutoringSession]:
    """Attendance for every member at once, each line the member's tutoring record of that day."""
    now = _now(now)
    session = _locked_session(scope, session)
    if session.on > timezone.localdate(now):
        raise InvalidTransition(_("The register is taken on the day of the session, not before."))
    if session.register_taken_at is not None:
        raise InvalidTransition(_("The register of this session is already taken: correct it instead."))
    members = list(register_members(session).select_related("case"))
    _check_marks([member.case_id for member in members], marks)
    lines = []
    for member in members:
        mark = marks[str(member.case_id)]
        lines.append(
            TutoringSession(
                case=member.case,
                author=actor,
                on=session.on,
                duration_minutes=session.duration_minutes,
                subjects=session.subjects or session.group.name,
                attended=mark.presence == Presence.PRESENT,
                presence=mark.presence,
                notes=_text(mark.note),
                group_session=session,
                created_at=now,
            )
        )
    TutoringSession.objects.bulk_create(lines)
    session.register_taken_at = now
    session.register_taken_by = actor
    session.save(update_fields=["register_taken_at", "register_taken_by"])
    _log_rows(actor, [member.case for member in members], EventKind.TUTORING_LOGGED, now, f"session={session.pk}")
    return lines


def correctable_until(session: GroupSession) -> datetime | None:
    if session.register_taken_at is None:
        return None
    return session.register_taken_at + timedelta(hours=settings.RADAR_CONTACT_CORRECTION_HOURS)


@entry_point
def register_correct(
    *,
    actor,
    scope: AccessScope,
    session: GroupSession,
    marks: Mapping[str, Mark],
    now: datetime | None = None,
) -> list[TutoringSession]:
    """For a day after the register was taken, its lines may be corrected; each change is an event of its case."""
    now = _now(now)
    session = _locked_session(scope, session)
    until = correctable_until(session)
    if until is None:
        raise InvalidTransition(_("The register of this session is not taken yet."))
    if now > until:
        raise InvalidTransition(_("This register is part of the record now: it can no longer be corrected."))
    lines = {str(line.case_id): line for line in session.attendance.select_for_update().select_related("case")}
    _check_marks(list(lines), marks)
    changed = []
    for key, line in lines.items():
        mark = marks.get(key)
        if mark is None or (mark.presence, _text(mark.note)) == (line.presence, line.notes):
            continue
        line.presence = mark.presence
        line.attended = mark.presence == Presence.PRESENT
        line.notes = _text(mark.note)
        changed.append(line)
    TutoringSession.objects.bulk_update(changed, ["presence", "attended", "notes"])
    if changed:
        _log_rows(actor, [line.case for line in changed], EventKind.ATTENDANCE_CORRECTED, now, f"session={session.pk}")
    return list(lines.values())


def attendance_rate(present: int, absent: int) -> float | None:
    """Present over present and absent: an excused absence counts for neither."""
    return present / (present + absent) if present + absent else None
