"""Writes on cases. Each service checks its transition, writes its CaseEvent and its access-log entry."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from outreach.audit import access_log_write, request_ip
from outreach.lifecycle import statuses_for
from outreach.models import (
    OPEN_STATUSES,
    AccessAction,
    AccessLog,
    Attendance,
    Case,
    CaseEvent,
    CaseReason,
    Centre,
    Contact,
    ContactKind,
    ContactResult,
    EventKind,
    FamilyNotice,
    NoticeChannel,
    Outcome,
    Reason,
    ReferenceCounter,
    ReturnConfirmation,
    Status,
    Support,
    SupportKind,
    TutoringSession,
    Urgency,
)
from outreach.selectors import access_scope, centre_staff, centres_covering, open_case_of
from schools.errors import ActionForbidden, InvalidInput, InvalidTransition
from schools.models import School
from schools.permissions import ROLE_ORGANISATION, ROLE_PERMISSIONS, Action, Role
from schools.services import pupil_upsert

FLAG_FIELDS = ("reasons", "details", "urgency", "half_days_missed", "last_seen_on")
# A contact dated before this year is a typing error (0899 for 2025), and one before 1911 would even be shown
# with Paris's local mean time offset (+00:09:21), which no client parses as an ISO 8601 date-time.
EARLIEST_CONTACT_YEAR = 2000


# Roles -------------------------------------------------------------------------------------------


def _check_role_target(role: Role, organisation) -> None:
    kind = ROLE_ORGANISATION[role]
    expected = {"school": School, "centre": Centre, None: type(None)}[kind]
    if not isinstance(organisation, expected):
        raise InvalidInput(fields={"organisation": [_("This role is not held on that kind of organisation.")]})


@transaction.atomic
def role_grant(*, user: AbstractBaseUser, role: Role, organisation: School | Centre | None = None) -> None:
    role = Role(role)
    _check_role_target(role, organisation)
    if organisation is None:
        case_type = ContentType.objects.get_for_model(Case)
        user.user_permissions.add(
            *Permission.objects.filter(content_type=case_type, codename__in=ROLE_PERMISSIONS[role])
        )
        return
    for action in ROLE_PERMISSIONS[role]:
        assign_perm(action.value, user, organisation)


@transaction.atomic
def role_revoke(*, user: AbstractBaseUser, role: Role, organisation: School | Centre | None = None) -> None:
    """Removes every permission the role bundles there. To demote a manager, revoke then grant `animator`."""
    role = Role(role)
    _check_role_target(role, organisation)
    if organisation is None:
        case_type = ContentType.objects.get_for_model(Case)
        user.user_permissions.remove(
            *Permission.objects.filter(content_type=case_type, codename__in=ROLE_PERMISSIONS[role])
        )
        return
    for action in ROLE_PERMISSIONS[role]:
        remove_perm(action.value, user, organisation)


# Case lifecycle ----------------------------------------------------------------------------------


def _require(user, action: Action, case: Case) -> None:
    """Services re-check the matrix, so a caller that skipped the gate cannot act beyond its rights.

    The check is made on the case as stored, under a row lock: a caller holding a stale copy of a case
    rerouted to another centre since it was read cannot act on it through its former centre's rights.
    """
    current = Case.objects.select_for_update(of=("self",)).only("school", "centre").filter(pk=case.pk).first()
    if current is None or not access_scope(user).can(action, current):
        raise ActionForbidden()


def _require_status(case: Case, *allowed: Status) -> None:
    if case.status not in allowed:
        raise InvalidTransition(
            _("Not possible while the case is %(status)s.") % {"status": case.get_status_display().lower()}
        )


def _lock(case: Case) -> Case:
    """Re-reads the case under a row lock so two concurrent transitions cannot both apply."""
    return Case.objects.select_for_update(of=("self",)).select_related("pupil", "school", "centre").get(pk=case.pk)


def _record(
    case: Case,
    *,
    actor,
    kind: EventKind,
    from_status: str | None = None,
    note: str = "",
    access: AccessAction = AccessAction.WRITE,
    detail: str = "",
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        actor=actor,
        kind=kind,
        from_status=from_status or "",
        to_status=case.status if from_status is not None else "",
        note=note,
    )
    access_log_write(user=actor, action=access, what=kind, case=case, detail=detail)
    return event


def _next_reference(year: int) -> str:
    ReferenceCounter.objects.get_or_create(year=year)
    ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.select_for_update().get(year=year).last_number
    return f"R-{year}-{number:05d}"


def _flag_field_errors(values: dict, *, partial: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "reasons" in values or not partial:
        reasons = list(values.get("reasons") or [])
        if not reasons:
            errors["reasons"] = [_("Give at least one reason.")]
        elif unknown := [reason for reason in reasons if reason not in Reason.values]:
            errors["reasons"] = [_("Unknown reason: %(value)s.") % {"value": ", ".join(map(str, unknown))}]
        elif Reason.OTHER in reasons and not str(values.get("details") or "").strip():
            errors["details"] = [_("Describe the situation when the reason is 'other'.")]
    if values.get("urgency", Urgency.NORMAL) not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency: %(value)s.") % {"value": values.get("urgency")}]
    half_days = values.get("half_days_missed", 0)
    if not isinstance(half_days, int) or half_days < 0 or half_days > 40:
        errors["half_days_missed"] = [_("Give a number of half-days between 0 and 40.")]
    last_seen_on = values.get("last_seen_on")
    if last_seen_on is not None and last_seen_on > timezone.localdate():
        errors["last_seen_on"] = [_("This date cannot be in the future.")]
    return errors


def _auto_route(case: Case, *, actor) -> None:
    centres = centres_covering(neighbourhood_name=case.pupil.neighbourhood, postcode=case.pupil.postcode)
    if len(centres) != 1:
        return
    now = timezone.now()
    case.centre = centres[0]
    case.status = Status.ROUTED
    case.routed_at = case.status_changed_at = now
    case.save(update_fields=["centre", "status", "routed_at", "status_changed_at", "updated_at"])
    _record(
        case,
        actor=actor,
        kind=EventKind.AUTO_ROUTED,
        from_status=Status.FLAGGED,
        detail=f"centre={case.centre_id}",
    )


@transaction.atomic
def case_flag(
    *,
    actor,
    school: School,
    pupil: dict,
    reasons: Iterable[str],
    details: str = "",
    urgency: str = Urgency.NORMAL,
    half_days_missed: int = 0,
    last_seen_on: date | None = None,
) -> tuple[Case, bool]:
    """Flags a pupil. Returns (case, created): the pupil's open case, if any, is returned as it is."""
    if not access_scope(actor).can_on_school(Action.FLAG, school.pk):
        raise ActionForbidden()
    values = {
        "reasons": list(reasons),
        "details": details,
        "urgency": urgency,
        "half_days_missed": half_days_missed,
        "last_seen_on": last_seen_on,
    }
    errors = _flag_field_errors(values, partial=False)
    try:
        pupil_record = pupil_upsert(school=school, data=pupil)
    except InvalidInput as error:
        errors.update({f"pupil.{key}": messages for key, messages in error.fields.items()})
    if errors:
        raise InvalidInput(fields=errors)

    existing = open_case_of(pupil_record)
    if existing is not None:
        access_log_write(user=actor, action=AccessAction.WRITE, what="flag_existing", case=existing)
        return existing, False

    now = timezone.now()
    case = Case(
        reference=_next_reference(timezone.localdate(now).year),
        pupil=pupil_record,
        school=school,
        details=details.strip(),
        urgency=urgency,
        half_days_missed=half_days_missed,
        last_seen_on=last_seen_on,
        flagged_by=actor,
        flagged_at=now,
        status_changed_at=now,
    )
    try:
        with transaction.atomic():
            case.save(force_insert=True)
    except IntegrityError:
        # Another request flagged the same pupil between our check and our insert.
        existing = open_case_of(pupil_record)
        if existing is None:
            raise
        return existing, False
    CaseReason.objects.bulk_create(CaseReason(case=case, reason=reason) for reason in dict.fromkeys(values["reasons"]))
    _record(case, actor=actor, kind=EventKind.FLAGGED, from_status="", note="")
    _auto_route(case, actor=actor)
    return case, True


@transaction.atomic
def case_update_flag(*, actor, case: Case, changes: dict) -> Case:
    """Edits the flag while the case is open. Only the keys given change."""
    _require(actor, Action.EDIT_FLAG, case)
    case = _lock(case)
    _require_status(case, *statuses_for("edit_flag"))
    unknown = set(changes) - set(FLAG_FIELDS)
    if unknown:
        raise InvalidInput(fields={key: [_("This field cannot be changed.")] for key in sorted(unknown)})
    merged = {"details": case.details, **changes}
    if "details" in changes and "reasons" not in changes:
        merged["reasons"] = list(case.reasons.values_list("reason", flat=True))
    errors = _flag_field_errors(merged, partial="reasons" not in merged)
    if errors:
        raise InvalidInput(fields=errors)
    for name in ("details", "urgency", "half_days_missed", "last_seen_on"):
        if name in changes:
            setattr(case, name, changes[name].strip() if isinstance(changes[name], str) else changes[name])
    case.save()
    if "reasons" in changes:
        case.reasons.all().delete()
        CaseReason.objects.bulk_create(CaseReason(case=case, reason=r) for r in dict.fromkeys(changes["reasons"]))
    _record(case, actor=actor, kind=EventKind.FLAG_UPDATED, detail=",".join(sorted(changes)))
    return case


@transaction.atomic
def case_route(*, actor, case: Case, centre: Centre, note: str = "") -> Case:
    _require(actor, Action.ROUTE, case)
    case = _lock(case)
    _require_status(case, *statuses_for("route"))
    if case.centre_id == centre.pk and case.status != Status.FLAGGED:
        raise InvalidTransition(_("The case is already with this centre."))
    previous = case.status
    now = timezone.now()
    case.centre = centre
    case.status = Status.ROUTED
    case.routed_at = case.status_changed_at = now
    case.accepted_at = None
    case.save()
    case.animators.clear()
    _record(
        case, actor=actor, kind=EventKind.ROUTED, from_status=previous, note=note.strip(), detail=f"centre={centre.pk}"
    )
    return case


@transaction.atomic
def case_accept(*, actor, case: Case) -> Case:
    _require(actor, Action.ACCEPT, case)
    case = _lock(case)
    _require_status(case, *statuses_for("accept"))
    now = timezone.now()
    case.status = Status.IN_PROGRESS
    case.accepted_at = case.status_changed_at = now
    case.save()
    _record(case, actor=actor, kind=EventKind.ACCEPTED, from_status=Status.ROUTED)
    return case


@transaction.atomic
def case_decline(*, actor, case: Case, reason: str) -> Case:
    """The centre declines: the case goes back to the coordinators' triage."""
    _require(actor, Action.ACCEPT, case)
    if not reason.strip():
        raise InvalidInput(fields={"reason": [_("Say why the centre declines the case.")]})
    case = _lock(case)
    _require_status(case, *statuses_for("decline"))
    declined_by = case.centre
    case.status = Status.FLAGGED
    case.centre = None
    case.routed_at = None
    case.status_changed_at = timezone.now()
    case.save()
    case.animators.clear()
    _record(
        case,
        actor=actor,
        kind=EventKind.DECLINED,
        from_status=Status.ROUTED,
        note=reason.strip(),
        detail=f"centre={declined_by.pk}",
    )
    return case


@transaction.atomic
def case_assign(*, actor, case: Case, animators: list) -> Case:
    _require(actor, Action.ASSIGN, case)
    case = _lock(case)
    _require_status(case, *statuses_for("assign"))
    eligible = set(centre_staff(case.centre).values_list("pk", flat=True))
    outsiders = [user.pk for user in animators if user.pk not in eligible]
    if outsiders:
        raise InvalidInput(fields={"animators": [_("Only animators of the case's centre can be assigned.")]})
    case.animators.set(animators)
    case.save(update_fields=["updated_at"])
    _record(
        case,
        actor=actor,
        kind=EventKind.ASSIGNED,
        note=", ".join(user.get_full_name() or user.get_username() for user in animators),
    )
    return case


def _check_duration(errors: dict, name: str, value, *, required: bool) -> None:
    if value is None:
        if required:
            errors[name] = [_("This field is required.")]
    elif not isinstance(value, int) or value < 0 or value > 24 * 60:
        errors[name] = [_("Give a duration between 0 and 1440 minutes.")]


def _support_errors(supports: list[dict]) -> dict[str, list[str]]:
    errors = {}
    for index, support in enumerate(supports):
        if support.get("kind") not in SupportKind.values:
            errors[f"supports.{index}.kind"] = [_("Unknown support: %(value)s.") % {"value": support.get("kind")}]
    return errors


@transaction.atomic
def contact_log(
    *,
    actor,
    case: Case,
    kind: str,
    occurred_at: datetime,
    result: str,
    duration_minutes: int | None = None,
    notes: str = "",
    supports: list[dict] | None = None,
    next_step: str = "",
    next_step_due_on: date | None = None,
) -> Contact:
    _require(actor, Action.LOG_CONTACT, case)
    supports = supports or []
    errors: dict[str, list[str]] = {}
    if kind not in ContactKind.values:
        errors["kind"] = [_("Unknown contact kind: %(value)s.") % {"value": kind}]
    if result not in ContactResult.values:
        errors["result"] = [_("Unknown contact result: %(value)s.") % {"value": result}]
    if occurred_at is None:
        errors["occurred_at"] = [_("This field is required.")]
    elif occurred_at > timezone.now() + timedelta(minutes=5):
        errors["occurred_at"] = [_("This date cannot be in the future.")]
    elif occurred_at.year < EARLIEST_CONTACT_YEAR:
        errors["occurred_at"] = [_("Enter a date from %(year)d on.") % {"year": EARLIEST_CONTACT_YEAR}]
    _check_duration(errors, "duration_minutes", duration_minutes, required=False)
    errors.update(_support_errors(supports))
    if errors:
        raise InvalidInput(fields=errors)
    case = _lock(case)
    _require_status(case, *statuses_for("log_contact"))
    contact = Contact.objects.create(
        case=case,
        author=actor,
        kind=kind,
        occurred_at=occurred_at,
        result=result,
        duration_minutes=duration_minutes,
        notes=notes.strip(),
        next_step=next_step.strip(),
        next_step_due_on=next_step_due_on,
    )
    Support.objects.bulk_create(
        Support(
            case=case,
            contact=contact,
            kind=support["kind"],
            detail=str(support.get("detail") or "").strip(),
            provided_on=timezone.localdate(occurred_at),
            recorded_by=actor,
        )
        for support in supports
    )
    case.first_contact_at = min(filter(None, [case.first_contact_at, occurred_at]))
    case.last_contact_at = max(filter(None, [case.last_contact_at, occurred_at]))
    case.save(update_fields=["first_contact_at", "last_contact_at", "updated_at"])
    _record(case, actor=actor, kind=EventKind.CONTACT_LOGGED, detail=f"contact={contact.pk}")
    return contact


CORRECTABLE_CONTACT_FIELDS = (
    "kind",
    "occurred_at",
    "duration_minutes",
    "result",
    "notes",
    "next_step",
    "next_step_due_on",
)


@transaction.atomic
def contact_correct(*, actor, contact: Contact, changes: dict) -> Contact:
    """Its author may correct a contact for a while; after that it is part of the record."""
    _require(actor, Action.LOG_CONTACT, contact.case)
    if contact.author_id != actor.pk:
        raise ActionForbidden(_("Only the author of a contact can correct it."))
    window = timedelta(hours=settings.RADAR_CONTACT_CORRECTION_HOURS)
    if timezone.now() - contact.created_at > window:
        raise InvalidTransition(_("This contact is part of the record now: log a new contact to correct it."))
    unknown = set(changes) - set(CORRECTABLE_CONTACT_FIELDS)
    if unknown:
        raise InvalidInput(fields={key: [_("This field cannot be changed.")] for key in sorted(unknown)})
    merged = {name: getattr(contact, name) for name in CORRECTABLE_CONTACT_FIELDS} | changes
    errors: dict[str, list[str]] = {}
    if merged["kind"] not in ContactKind.values:
        errors["kind"] = [_("Unknown contact kind: %(value)s.") % {"value": merged["kind"]}]
    if merged["result"] not in ContactResult.values:
        errors["result"] = [_("Unknown contact result: %(value)s.") % {"value": merged["result"]}]
    if merged["occurred_at"] is None:
        errors["occurred_at"] = [_("This field is required.")]
    elif merged["occurred_at"] > timezone.now() + timedelta(minutes=5):
        errors["occurred_at"] = [_("This date cannot be in the future.")]
    elif merged["occurred_at"].year < EARLIEST_CONTACT_YEAR:
        errors["occurred_at"] = [_("Enter a date from %(year)d on.") % {"year": EARLIEST_CONTACT_YEAR}]
    _check_duration(errors, "duration_minutes", merged["duration_minutes"], required=False)
    if errors:
        raise InvalidInput(fields=errors)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    for name, value in changes.items():
        setattr(contact, name, value.strip() if isinstance(value, str) else value)
    contact.save()
    case = _lock(contact.case)
    occurred = list(case.contacts.values_list("occurred_at", flat=True))
    case.first_contact_at, case.last_contact_at = min(occurred), max(occurred)
    case.save(update_fields=["first_contact_at", "last_contact_at", "updated_at"])
    _record(case, actor=actor, kind=EventKind.CONTACT_CORRECTED, detail=f"contact={contact.pk}")
    return contact


@transaction.atomic
def tutoring_log(
    *, actor, case: Case, on: date, duration_minutes: int, subjects: str = "", attended: bool = True, notes: str = ""
) -> TutoringSession:
    _require(actor, Action.LOG_CONTACT, case)
    errors: dict[str, list[str]] = {}
    if on is None:
        errors["on"] = [_("This field is required.")]
    elif on > timezone.localdate():
        errors["on"] = [_("This date cannot be in the future.")]
    _check_duration(errors, "duration_minutes", duration_minutes, required=True)
    if errors:
        raise InvalidInput(fields=errors)
    case = _lock(case)
    _require_status(case, *statuses_for("log_tutoring"))
    session = TutoringSession.objects.create(
        case=case,
        author=actor,
        on=on,
        duration_minutes=duration_minutes,
        subjects=subjects.strip(),
        attended=attended,
        notes=notes.strip(),
    )
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.TUTORING_LOGGED, detail=f"tutoring={session.pk}")
    return session


@transaction.atomic
def support_record(*, actor, case: Case, kind: str, detail: str = "", provided_on: date | None = None) -> Support:
    """A support arranged outside a contact (a device handed over at the centre, a referral)."""
    _require(actor, Action.LOG_CONTACT, case)
    errors = _support_errors([{"kind": kind}])
    if errors:
        raise InvalidInput(fields={"kind": errors["supports.0.kind"]})
    case = _lock(case)
    _require_status(case, *statuses_for("record_support"))
    support = Support.objects.create(
        case=case, kind=kind, detail=detail.strip(), recorded_by=actor, provided_on=provided_on or timezone.localdate()
    )
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.SUPPORT_RECORDED, detail=f"support={support.pk}")
    return support


@transaction.atomic
def family_notice_record(*, actor, case: Case, on: date, channel: str) -> FamilyNotice:
    _require(actor, Action.FAMILY_NOTICE, case)
    errors: dict[str, list[str]] = {}
    if channel not in NoticeChannel.values:
        errors["channel"] = [_("Unknown channel: %(value)s.") % {"value": channel}]
    if on is None:
        errors["on"] = [_("This field is required.")]
    elif on > timezone.localdate():
        errors["on"] = [_("This date cannot be in the future.")]
    if errors:
        raise InvalidInput(fields=errors)
    case = _lock(case)
    notice = FamilyNotice.objects.create(case=case, on=on, channel=channel, recorded_by=actor)
    case.family_informed_on = min(filter(None, [case.family_informed_on, on]))
    case.save(update_fields=["family_informed_on", "updated_at"])
    _record(case, actor=actor, kind=EventKind.FAMILY_INFORMED, detail=f"channel={channel}")
    return notice


def _close(case: Case, *, actor, outcome: str, note: str, kind: EventKind) -> Case:
    previous = case.status
    case.status = Status.CLOSED
    case.outcome = outcome
    case.outcome_note = note.strip()
    case.closed_at = case.status_changed_at = timezone.now()
    case.save()
    _record(case, actor=actor, kind=kind, from_status=previous, note=note.strip(), detail=f"outcome={outcome}")
    return case


@transaction.atomic
def case_close(*, actor, case: Case, outcome: str, note: str = "") -> Case:
    _require(actor, Action.CLOSE, case)
    if outcome not in Outcome.values:
        raise InvalidInput(fields={"outcome": [_("Unknown outcome: %(value)s.") % {"value": outcome}]})
    case = _lock(case)
    _require_status(case, *statuses_for("close"))
    return _close(case, actor=actor, outcome=outcome, note=note, kind=EventKind.CLOSED)


@transaction.atomic
def case_withdraw(*, actor, case: Case, note: str = "") -> Case:
    """The school withdraws its flag: the pupil is back, nothing more is needed."""
    _require(actor, Action.WITHDRAW, case)
    case = _lock(case)
    _require_status(case, *statuses_for("withdraw"))
    return _close(case, actor=actor, outcome=Outcome.RESOLVED_BY_SCHOOL, note=note, kind=EventKind.WITHDRAWN)


@transaction.atomic
def case_reopen(*, actor, case: Case, note: str) -> Case:
    _require(actor, Action.REOPEN, case)
    if not note.strip():
        raise InvalidInput(fields={"note": [_("Say why the case is reopened.")]})
    case = _lock(case)
    _require_status(case, *statuses_for("reopen"))
    if open_case_of(case.pupil) is not None:
        raise InvalidTransition(_("The pupil already has an open case."))
    case.status = Status.IN_PROGRESS if case.centre_id else Status.FLAGGED
    case.outcome = ""
    case.outcome_note = ""
    case.closed_at = None
    case.status_changed_at = timezone.now()
    case.save()
    _record(case, actor=actor, kind=EventKind.REOPENED, from_status=Status.CLOSED, note=note.strip())
    return case


@transaction.atomic
def return_confirm(*, actor, case: Case, attendance: str, half_days_missed: int, on: date) -> ReturnConfirmation:
    """The school says whether the pupil attends again, so outcomes are measured before and after."""
    _require(actor, Action.CONFIRM_RETURN, case)
    errors: dict[str, list[str]] = {}
    if attendance not in Attendance.values:
        errors["attendance"] = [_("Unknown attendance: %(value)s.") % {"value": attendance}]
    if not isinstance(half_days_missed, int) or not 0 <= half_days_missed <= 40:
        errors["half_days_missed"] = [_("Give a number of half-days between 0 and 40.")]
    if on is None:
        errors["on"] = [_("This field is required.")]
    elif on > timezone.localdate():
        errors["on"] = [_("This date cannot be in the future.")]
    if errors:
        raise InvalidInput(fields=errors)
    case = _lock(case)
    confirmation = ReturnConfirmation.objects.create(
        case=case, attendance=attendance, half_days_missed=half_days_missed, on=on, recorded_by=actor
    )
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.RETURN_CONFIRMED, detail=f"attendance={attendance}")
    return confirmation


@transaction.atomic
def identity_reveal(*, actor, case: Case, reason: str) -> Case:
    """A coordinator sees one pupil's identity, for a stated reason that stays in the log."""
    _require(actor, Action.REVEAL, case)
    if not reason.strip():
        raise InvalidInput(fields={"reason": [_("Say why you need the pupil's identity.")]})
    assign_perm(Action.VIEW_IDENTITY.value, actor, case)
    CaseEvent.objects.create(case=case, actor=actor, kind=EventKind.IDENTITY_REVEALED, note=reason.strip())
    access_log_write(user=actor, action=AccessAction.REVEAL, what="identity", case=case, detail=reason.strip())
    return case


@transaction.atomic
def caseload_handover(*, actor, centre: Centre, from_user, to_user) -> int:
    """Moves a leaving animator's open cases at this centre to a colleague. Returns how many moved."""
    if not access_scope(actor).can_on_centre(Action.ASSIGN, centre.pk):
        raise ActionForbidden()
    staff = set(centre_staff(centre).values_list("pk", flat=True))
    if to_user.pk not in staff:
        raise InvalidInput(fields={"to_user": [_("The colleague must be an animator of this centre.")]})
    if from_user.pk == to_user.pk:
        raise InvalidInput(fields={"to_user": [_("Choose another colleague.")]})
    cases = list(
        Case.objects.select_for_update()
        .filter(centre=centre, status__in=OPEN_STATUSES, animators=from_user)
        .order_by("pk")
    )
    through = Case.animators.through
    through.objects.filter(case__in=cases, user=from_user).delete()
    already = set(through.objects.filter(case__in=cases, user=to_user).values_list("case_id", flat=True))
    through.objects.bulk_create(through(case=case, user=to_user) for case in cases if case.pk not in already)
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(updated_at=timezone.now())
    note = _("From %(from)s to %(to)s") % {
        "from": from_user.get_full_name() or from_user.get_username(),
        "to": to_user.get_full_name() or to_user.get_username(),
    }
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, actor=actor, kind=EventKind.HANDED_OVER, note=note) for case in cases
    )
    AccessLog.objects.bulk_create(
        AccessLog(
            user=actor,
            action=AccessAction.WRITE,
            what=EventKind.HANDED_OVER,
            case=case,
            pupil_id=case.pupil_id,
            ip_address=request_ip.get(),
        )
        for case in cases
    )
    return len(cases)
