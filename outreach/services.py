"""Writes. Every service is keyword-only and atomic, takes the caller's scope and the clock (`now`), checks its
transition on the case row it locks, and writes its CaseEvent and its access-log entry.

The services a door calls are entry points: one durable transaction each (never nested inside a caller's), retried
once when the database reports a deadlock or a serialization failure, then refused as a `Conflict` (409). Where
the caller read the case before (an API client's ETag), `if_match` is compared with the case under its row lock,
so two writes made from the same copy cannot both apply.

Lock order, to keep concurrent writes from deadlocking: the pupil row first (flagging, reopening), then the case.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Min, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from outreach.access import AccessScope, access_scope
from outreach.accounts import api_tokens_revoke
from outreach.audit import access_log_write, request_ip
from outreach.models import (
    NO_DEADLINE,
    OPEN_STATUSES,
    UNANSWERED,
    UNANSWERED_BEFORE_CHECK,
    WRONG_DETAILS_BEFORE_CHECK,
    AccessAction,
    AccessLog,
    Case,
    CaseEvent,
    CaseReason,
    Centre,
    Contact,
    ContactResult,
    EventKind,
    FamilyNotice,
    Neighbourhood,
    NeighbourhoodPostcode,
    Outcome,
    Reason,
    ReferenceCounter,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
    Urgency,
    neighbourhood_key,
)
from outreach.notifications import CaseNews, case_news_on_commit
from outreach.roles import ROLE_ORGANISATION, ROLE_PERMISSIONS, Role
from outreach.selectors import centre_staff, centres_covering, open_case_of
from schools.domain_errors import ActionForbidden, Conflict, InvalidInput, InvalidTransition, StaleVersion
from schools.models import Guardian, Pupil, School
from schools.permissions import Action
from schools.services import PUPIL_FIELDS, pupil_candidate, pupil_upsert

P = ParamSpec("P")
R = TypeVar("R")

FLAG_FIELDS = ("reasons", "details", "urgency", "half_days_missed", "last_seen_on")
REASON_CODES = frozenset(Reason.values)  # Reason.values builds its list on every read
# PostgreSQL's "try again" states: serialization_failure and deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def _is_write_conflict(error: DatabaseError) -> bool:
    if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def entry_point(service: Callable[P, R]) -> Callable[P, R]:
    """One durable transaction, retried once on a deadlock or serialization failure, then a Conflict."""

    @wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in (1, 2):
            try:
                with transaction.atomic(durable=True):
                    return service(*args, **kwargs)
            except DatabaseError as error:
                if not _is_write_conflict(error):
                    raise
                if attempt == 2:
                    raise Conflict() from error
        raise AssertionError("unreachable")

    return run


# Roles -------------------------------------------------------------------------------------------


def _check_role_target(role: Role, organisation: School | Centre | None) -> None:
    kinds: dict[str | None, type] = {"school": School, "centre": Centre, None: type(None)}
    if not isinstance(organisation, kinds[ROLE_ORGANISATION[role]]):
        raise InvalidInput(fields={"organisation": [_("This role is not held on that kind of organisation.")]})


@transaction.atomic
def role_grant(*, user: AbstractBaseUser, role: Role, organisation: School | Centre | None = None) -> None:
    role = Role(role)
    _check_role_target(role, organisation)
    if organisation is None:
        case_type = ContentType.objects.get_for_model(Case)
        user.user_permissions.add(  # type: ignore[attr-defined]
            *Permission.objects.filter(content_type=case_type, codename__in=ROLE_PERMISSIONS[role])
        )
        return
    for action in ROLE_PERMISSIONS[role]:
        assign_perm(action.value, user, organisation)


@transaction.atomic
def role_revoke(*, user: AbstractBaseUser, role: Role, organisation: School | Centre | None = None) -> None:
    """Removes every permission the role bundles there, and the user's API tokens (taken with the old rights).

    To demote a manager, revoke then grant `animator`."""
    role = Role(role)
    _check_role_target(role, organisation)
    api_tokens_revoke(user=user)
    if organisation is None:
        case_type = ContentType.objects.get_for_model(Case)
        user.user_permissions.remove(  # type: ignore[attr-defined]
            *Permission.objects.filter(content_type=case_type, codename__in=ROLE_PERMISSIONS[role])
        )
        return
    for action in ROLE_PERMISSIONS[role]:
        remove_perm(action.value, user, organisation)


# Shared steps of every write ---------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _scope(actor, scope: AccessScope | None) -> AccessScope:
    return scope if scope is not None else access_scope(actor)


def _allowed_from(step: str) -> tuple[Status, ...]:
    # The step registry imports this module to name each step's service: read it when a service runs.
    from outreach.steps import STEPS

    return STEPS[step].allowed_from


def _begin(
    case: Case,
    *,
    actor,
    scope: AccessScope | None,
    action: Action,
    if_match: Collection[str] | None = None,
) -> Case:
    """Locks the case row and checks, on the case as stored, the caller's right and the version they read.

    A caller holding a stale copy of a case rerouted since to another centre cannot act on it through its former
    centre's rights, and a copy older than the case (`if_match`) changes nothing. The order of the checks is the
    order of the answers: forbidden first, then bad input (each service's own), then a state that does not allow
    the step (`_check_status`).
    """
    locked = (
        Case.objects.select_for_update(of=("self",)).select_related("pupil", "school", "centre").filter(pk=case.pk)
    ).first()
    if locked is None or not _scope(actor, scope).can(action, locked):
        raise ActionForbidden()
    if if_match is not None and locked.version not in if_match:
        raise StaleVersion()
    return locked


def _check_status(case: Case, step: str) -> None:
    if case.anonymised_at is not None:
        raise InvalidTransition(_("The case is anonymised: nothing more can be recorded on it."))
    if case.status not in _allowed_from(step):
        raise InvalidTransition(
            _("Not possible while the case is %(status)s.") % {"status": case.get_status_display().lower()}
        )


def _record(
    case: Case,
    *,
    actor,
    kind: EventKind,
    at: datetime,
    from_status: str | None = None,
    note: str = "",
    access: AccessAction = AccessAction.WRITE,
    detail: str = "",
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        actor=actor,
        at=at,
        kind=kind,
        from_status=from_status or "",
        to_status=case.status if from_status is not None else "",
        note=note,
    )
    access_log_write(user=actor, action=access, what=kind, case=case, detail=detail, at=at)
    return event


def _validated(instance: Model, *, exclude: Iterable[str] = (), prefix: str = "") -> None:
    """The model's own rules (choices, ranges, dates, lengths) as field errors: they are written once, there."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput(
            fields={f"{prefix}{key}": [str(m) for m in messages] for key, messages in error.message_dict.items()}
        ) from error


def _text(value: str | None) -> str:
    return (value or "").strip()


def next_reference(year: int, count: int = 1) -> list[str]:
    """`count` new references of the year in one statement: gap-free, never reused, safe under concurrency."""
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, %s) "  # noqa: S608 (a table name, not input)
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + EXCLUDED.last_number "
            "RETURNING last_number",
            [year, count],
        )
        last = cursor.fetchone()[0]
    return [f"R-{year}-{number:05d}" for number in range(last - count + 1, last + 1)]


def next_deadlines_refresh(*, batch_size: int = 1000) -> int:
    """Recomputes every open case's next deadline, after RADAR_DEADLINE_* changed. Returns how many changed.

    One batch of cases at a time, each in its own transaction, so it never holds every case in memory."""
    changed, last_pk = 0, None
    while True:
        open_cases = Case.objects.exclude(status=Status.CLOSED).order_by("pk")
        if last_pk is not None:
            open_cases = open_cases.filter(pk__gt=last_pk)
        with transaction.atomic():
            cases = list(open_cases.select_for_update()[:batch_size])
            if not cases:
                return changed
            stale = []
            for case in cases:
                due = min(case.deadlines().values(), default=NO_DEADLINE)
                if due != case.next_deadline_at:
                    case.next_deadline_at = due
                    stale.append(case)
            Case.objects.bulk_update(stale, ["next_deadline_at"])
        changed += len(stale)
        last_pk = cases[-1].pk


# Flagging ----------------------------------------------------------------------------------------


def _flag_errors(values: dict[str, Any], *, partial: bool, case: Case) -> dict[str, list[str]]:
    """Reasons (at least one, known, 'other' explained) and the case's own field rules on the merged values."""
    errors: dict[str, list[str]] = {}
    if "reasons" in values or not partial:
        reasons = list(values.get("reasons") or [])
        if not reasons:
            errors["reasons"] = [_("Give at least one reason.")]
        elif unknown := [reason for reason in reasons if reason not in REASON_CODES]:
            errors["reasons"] = [_("Unknown reason: %(value)s.") % {"value": ", ".join(map(str, unknown))}]
        elif Reason.OTHER in reasons and not _text(values.get("details")):
            errors["details"] = [_("Describe the situation when the reason is 'other'.")]
    for name in ("details", "urgency", "half_days_missed", "last_seen_on"):
        if name in values:
            setattr(case, name, values[name])
    try:
        case.full_clean(
            exclude=[f.name for f in Case._meta.fields if f.name not in FLAG_FIELDS],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, [str(message) for message in messages])
    return errors


def _auto_route(case: Case, *, actor, now: datetime) -> None:
    pupil = case.pupil
    centres = centres_covering(neighbourhood_name=pupil.neighbourhood, postcode=pupil.postcode, address=pupil.address)
    if len(centres) != 1:
        return
    case.centre = centres[0]
    case.status = Status.ROUTED
    case.routed_at = case.status_changed_at = now
    case.save(update_fields=["centre", "status", "routed_at", "status_changed_at", "updated_at"])
    _record(
        case,
        actor=actor,
        kind=EventKind.AUTO_ROUTED,
        at=now,
        from_status=Status.FLAGGED,
        detail=f"centre={case.centre_id}",
    )
    case_news_on_commit(CaseNews.ROUTED, case)


@entry_point
def case_flag(
    *,
    actor,
    school: School,
    pupil: dict[str, Any],
    reasons: Iterable[str],
    details: str = "",
    urgency: str = Urgency.NORMAL,
    half_days_missed: int = 0,
    last_seen_on: date | None = None,
    scope: AccessScope | None = None,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Flags a pupil. Returns (case, created): the pupil's open case, if any, is returned as it is."""
    now = _now(now)
    if not _scope(actor, scope).can_on_school(Action.FLAG, school.pk):
        raise ActionForbidden()
    case = Case(
        school=school,
        details=_text(details),
        urgency=urgency,
        half_days_missed=half_days_missed,
        last_seen_on=last_seen_on,
        flagged_by=actor,
        flagged_at=now,
        status_changed_at=now,
    )
    reason_codes = list(reasons)
    values = {
        "reasons": reason_codes,
        "details": details,
        "urgency": urgency,
        "half_days_missed": half_days_missed,
        "last_seen_on": last_seen_on,
    }
    errors = _flag_errors(values, partial=False, case=case)
    try:
        pupil_record = pupil_upsert(school=school, data=pupil)
    except InvalidInput as error:
        errors.update({f"pupil.{key}": messages for key, messages in error.fields.items()})
    if errors:
        raise InvalidInput(fields=errors)

    existing = open_case_of(pupil_record)
    if existing is not None:
        access_log_write(user=actor, action=AccessAction.WRITE, what="flag_existing", case=existing, at=now)
        if pupil.get("guardians") and existing.details_to_check_since is not None:
            _details_checked(existing, actor=actor, now=now)
        return existing, False

    case.pupil = pupil_record
    case.reference = next_reference(timezone.localdate(now).year)[0]
    case.details = _text(details)
    case.save(force_insert=True)
    CaseReason.objects.bulk_create(CaseReason(case=case, reason=reason) for reason in dict.fromkeys(reason_codes))
    _record(case, actor=actor, kind=EventKind.FLAGGED, at=now, from_status="")
    _auto_route(case, actor=actor, now=now)
    return case, True


@dataclass
class FlagOutcome:
    """One item of cases_flag: its case and whether it was created, or the field errors that kept it out."""

    case: Case | None = None
    created: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


def cases_flag_in_transaction(
    *,
    actor,
    school: School,
    items: Sequence[dict[str, Any]],
    scope: AccessScope | None = None,
    now: datetime | None = None,
) -> list[FlagOutcome]:
    """Flags many pupils of one school at once; one outcome per item, in order.

    Each item takes case_flag's arguments and its rules: an item that breaks one is reported with its field errors
    and never written; the valid ones are applied together, set-based, in this one transaction (pupils, guardians,
    references, routing, reasons, events and access-log rows in a fixed number of statements). Items naming a pupil
    twice are applied in order, as single flags would be: the first creates the case, the next find it open.
    """
    now = _now(now)
    if not _scope(actor, scope).can_on_school(Action.FLAG, school.pk):
        raise ActionForbidden()
    outcomes = [FlagOutcome() for _item in items]
    refs = [str(item["pupil"].get("external_ref") or "").strip() for item in items]
    # The pupils held, locked in one order so that parallel bulks queue on them instead of deadlocking.
    held = {
        pupil.external_ref: pupil
        for pupil in Pupil.objects.select_for_update()
        .filter(school=school, external_ref__in=sorted(set(refs) - {""}))
        .order_by("external_ref")
    }
    pupils: dict[str, Pupil] = dict(held)  # each pupil as the valid items before make it
    guardians: dict[str, list[Guardian]] = {}  # the guardians last given for a pupil
    cases: dict[int, tuple[Case, list[str]]] = {}  # each valid item's case (unsaved, no pupil yet) and reasons
    for index, item in enumerate(items):
        case, reasons, errors = _flag_candidate(item, school=school, actor=actor, now=now)
        pupil, given_guardians, pupil_errors = pupil_candidate(
            school=school, data=item["pupil"], base=pupils.get(refs[index])
        )
        errors.update({f"pupil.{key}": messages for key, messages in pupil_errors.items()})
        if errors:
            outcomes[index].errors = errors
            continue
        pupils[refs[index]] = pupil
        if given_guardians is not None:
            guardians[refs[index]] = given_guardians
        cases[index] = (case, reasons)
    if not cases:
        return outcomes

    touched = {refs[index] for index in cases}
    known = _pupils_save([pupils[ref] for ref in sorted(touched)], held=held, now=now)
    _guardians_replace({pupils[ref].pk: rows for ref, rows in guardians.items()}, known=known)
    open_cases = {
        case.pupil_id: case
        for case in Case.objects.exclude(status=Status.CLOSED).filter(pupil_id__in=[pupils[ref].pk for ref in touched])
    }
    new_cases: list[tuple[Case, list[str]]] = []
    existing: list[tuple[int, Case]] = []
    for index, (case, reasons) in cases.items():
        pupil = pupils[refs[index]]
        if pupil.pk in open_cases:
            existing.append((index, open_cases[pupil.pk]))
            continue
        case.pupil = pupil
        open_cases[pupil.pk] = case
        new_cases.append((case, reasons))
        outcomes[index].case, outcomes[index].created = case, True
    _new_cases_save(new_cases, actor=actor, now=now)
    logs = []
    for index, case in existing:
        outcomes[index].case = case
        logs.append(_log_row(actor=actor, what="flag_existing", case=case, at=now))
        if items[index]["pupil"].get("guardians") and case.details_to_check_since is not None:
            _details_checked(case, actor=actor, now=now)
    AccessLog.objects.bulk_create(logs)
    return outcomes


# The entry point; an import commits each chunk of rows with its report, so it calls the body in its own transaction.
cases_flag = entry_point(cases_flag_in_transaction)


def _flag_candidate(
    item: dict[str, Any], *, school: School, actor, now: datetime
) -> tuple[Case, list[str], dict[str, list[str]]]:
    """An unsaved case for the item, its reasons, and the flag's field errors (case_flag's rules)."""
    reasons = list(item.get("reasons") or [])
    values = {
        "reasons": reasons,
        "details": item.get("details", ""),
        "urgency": item.get("urgency", Urgency.NORMAL),
        "half_days_missed": item.get("half_days_missed", 0),
        "last_seen_on": item.get("last_seen_on"),
    }
    case = Case(school_id=school.pk, flagged_by_id=actor.pk, flagged_at=now, status_changed_at=now)
    errors = _flag_errors(values, partial=False, case=case)
    case.details = _text(values["details"])
    return case, list(dict.fromkeys(reasons)), errors


PUPIL_COLUMNS = [f for f in Pupil._meta.concrete_fields if not f.primary_key]


def _pupils_save(pupils: list[Pupil], *, held: dict[str, Pupil], now: datetime) -> set[int]:
    """New pupils inserted, known ones updated, in a few statements; returns the ids of the known ones. A new
    pupil another transaction created meanwhile (a parallel bulk) is left to it by the insert, then locked and
    updated like a known one."""
    new = [pupil for pupil in pupils if pupil.pk is None]
    inserted = _pupils_insert(new, now=now)
    raced = [pupil for pupil in new if pupil.external_ref not in inserted]
    raced_refs = {pupil.external_ref for pupil in raced}
    if raced:
        theirs = {
            pupil.external_ref: pupil
            for pupil in Pupil.objects.select_for_update()
            .filter(school_id=raced[0].school_id, external_ref__in=[pupil.external_ref for pupil in raced])
            .order_by("external_ref")
        }
        for pupil in raced:
            pupil.pk = theirs[pupil.external_ref].pk
            pupil.created_at = theirs[pupil.external_ref].created_at
    for pupil in new:
        if pupil.external_ref in inserted:
            pupil.pk = inserted[pupil.external_ref]
            pupil._state.adding = False
    changed = [pupil for pupil in pupils if pupil.external_ref in held or pupil.external_ref in raced_refs]
    for pupil in changed:
        pupil.updated_at = now
    Pupil.objects.bulk_update(changed, [*PUPIL_FIELDS, "updated_at"], batch_size=500)
    return {pupil.pk for pupil in changed}


def _pupils_insert(pupils: list[Pupil], *, now: datetime) -> dict[str, int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the ids of the rows this transaction inserted, by external_ref.
    Django's bulk_create returns no ids when it ignores conflicts."""
    if not pupils:
        return {}
    table = connection.ops.quote_name(Pupil._meta.db_table)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.attname) for f in PUPIL_COLUMNS)
    conflict = f"{quote('school_id')}, {quote('external_ref')}"
    row = "(" + ", ".join(["%s"] * len(PUPIL_COLUMNS)) + ")"
    per_statement = max(1, (connection.features.max_query_params or 65535) // len(PUPIL_COLUMNS))
    inserted: dict[str, int] = {}
    for start in range(0, len(pupils), per_statement):
        batch = pupils[start : start + per_statement]
        params: list[Any] = []
        for pupil in batch:
            pupil.created_at = pupil.updated_at = now
            params.extend(f.get_db_prep_save(getattr(pupil, f.attname), connection) for f in PUPIL_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(batch))} "  # noqa: S608 (names, not input)
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote('id')}, {quote('external_ref')}",
                params,
            )
            inserted.update((external_ref, pk) for pk, external_ref in cursor.fetchall())
    return inserted


def _guardians_replace(guardians_by_pupil: dict[int, list[Guardian]], *, known: set[int]) -> None:
    """The guardians given replace those on record (only known pupils have some)."""
    if replaced := known & set(guardians_by_pupil):
        Guardian.objects.filter(pupil_id__in=replaced).delete()
    rows = []
    for pupil_id, guardians in guardians_by_pupil.items():
        for guardian in guardians:
            guardian.pupil_id = pupil_id
            rows.append(guardian)
    Guardian.objects.bulk_create(rows, batch_size=500)


def _new_cases_save(new_cases: list[tuple[Case, list[str]]], *, actor, now: datetime) -> None:
    """References in one statement, routing by the pupils' neighbourhoods, then cases, reasons, events and
    access-log rows in one INSERT each."""
    if not new_cases:
        return
    cases = [case for case, _reasons in new_cases]
    references = next_reference(timezone.localdate(now).year, len(cases))
    centre_of = _only_centres_covering({(case.pupil.neighbourhood, case.pupil.postcode) for case in cases})
    events: list[CaseEvent] = []
    logs: list[AccessLog] = []
    reasons: list[CaseReason] = []
    for (case, case_reasons), reference in zip(new_cases, references, strict=True):
        case.reference = reference
        case.centre_id = centre_of.get((case.pupil.neighbourhood, case.pupil.postcode))
        events.append(
            CaseEvent(case_id=case.pk, actor_id=actor.pk, at=now, kind=EventKind.FLAGGED, to_status=Status.FLAGGED)
        )
        logs.append(_log_row(actor=actor, what=EventKind.FLAGGED, case=case, at=now))
        if case.centre_id is not None:
            case.status, case.routed_at = Status.ROUTED, now
            events.append(
                CaseEvent(
                    case_id=case.pk,
                    actor_id=actor.pk,
                    at=now,
                    kind=EventKind.AUTO_ROUTED,
                    from_status=Status.FLAGGED,
                    to_status=Status.ROUTED,
                )
            )
            logs.append(
                _log_row(actor=actor, what=EventKind.AUTO_ROUTED, case=case, at=now, detail=f"centre={case.centre_id}")
            )
        case.next_deadline_at = min(case.deadlines().values(), default=NO_DEADLINE)
        reasons.extend(CaseReason(case_id=case.pk, reason=reason) for reason in case_reasons)
    Case.objects.bulk_create(cases, batch_size=500)
    CaseReason.objects.bulk_create(reasons, batch_size=500)
    CaseEvent.objects.bulk_create(events, batch_size=500)
    AccessLog.objects.bulk_create(logs, batch_size=500)


def _only_centres_covering(places: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """selectors.centres_covering for many (neighbourhood, postcode) at once, in three queries: the one centre
    covering each place, where exactly one does."""
    keys = {neighbourhood_key(name) for name, _postcode in places} - {""}
    by_key: dict[str, set[int]] = {}
    for pk, key in Neighbourhood.objects.filter(key__in=keys).values_list("pk", "key"):
        by_key.setdefault(key, set()).add(pk)
    postcodes = {postcode.strip() for _name, postcode in places} - {""}
    by_postcode: dict[str, set[int]] = {}
    for neighbourhood_id, postcode in NeighbourhoodPostcode.objects.filter(postcode__in=postcodes).values_list(
        "neighbourhood_id", "postcode"
    ):
        by_postcode.setdefault(postcode, set()).add(neighbourhood_id)
    neighbourhoods_of = {
        place: by_key.get(neighbourhood_key(place[0])) or by_postcode.get(place[1].strip(), set()) for place in places
    }
    centres_by_neighbourhood: dict[int, set[int]] = {}
    coverage = Centre.neighbourhoods.through.objects.filter(
        neighbourhood_id__in=set().union(*neighbourhoods_of.values())
    ).values_list("neighbourhood_id", "centre_id")
    for neighbourhood_id, centre_id in coverage:
        centres_by_neighbourhood.setdefault(neighbourhood_id, set()).add(centre_id)
    only_centre = {}
    for place, neighbourhood_ids in neighbourhoods_of.items():
        centres = set().union(*(centres_by_neighbourhood.get(pk, set()) for pk in neighbourhood_ids))
        if len(centres) == 1:
            only_centre[place] = centres.pop()
    return only_centre


def _log_row(*, actor, what: str, case: Case, at: datetime, detail: str = "") -> AccessLog:
    """audit.access_log_write's row, unsaved, for a bulk insert."""
    return AccessLog(
        at=at,
        user_id=actor.pk,
        action=AccessAction.WRITE,
        what=what,
        case_id=case.pk,
        pupil_id=case.pupil_id,
        detail=detail[:300],
        ip_address=request_ip.get(),
    )


@entry_point
def case_update_flag(
    *,
    actor,
    case: Case,
    changes: dict[str, Any],
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    """Edits the flag while the case is open. Only the keys given change."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.EDIT_FLAG, if_match=if_match)
    unknown = set(changes) - set(FLAG_FIELDS)
    if unknown:
        raise InvalidInput(fields={key: [_("This field cannot be changed.")] for key in sorted(unknown)})
    merged = {"details": case.details, **changes}
    if "details" in changes and "reasons" not in changes:
        merged["reasons"] = list(case.reasons.values_list("reason", flat=True))
    changes = {name: _text(value) if isinstance(value, str) else value for name, value in changes.items()}
    errors = _flag_errors({**merged, **changes}, partial="reasons" not in merged, case=case)
    if errors:
        raise InvalidInput(fields=errors)
    _check_status(case, "edit_flag")
    if not changes:
        return case
    case.save()
    if "reasons" in changes:
        case.reasons.all().delete()
        CaseReason.objects.bulk_create(CaseReason(case=case, reason=r) for r in dict.fromkeys(changes["reasons"]))
    _record(case, actor=actor, kind=EventKind.FLAG_UPDATED, at=now, detail=",".join(sorted(changes)))
    return case


@entry_point
def contact_details_update(
    *,
    actor,
    case: Case,
    address: str = "",
    postcode: str = "",
    city: str = "",
    neighbourhood: str = "",
    guardians: list[dict],
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    """The school gives the pupil's address and guardians again (the centre could not reach the family)."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.EDIT_FLAG, if_match=if_match)
    pupil = case.pupil
    data = {
        "external_ref": pupil.external_ref,
        "address": address,
        "postcode": postcode,
        "city": city,
        "neighbourhood": neighbourhood,
        "guardians": guardians,
    }
    if not guardians:
        raise InvalidInput(fields={"guardians": [_("Give at least one guardian the centre can reach.")]})
    try:
        pupil_upsert(school=case.school, data=data)
    except InvalidInput as error:
        raise InvalidInput(fields=error.fields) from error
    _check_status(case, "update_contact_details")
    _details_checked(case, actor=actor, now=now)
    return case


# Routing and the centre's answer -----------------------------------------------------------------


@entry_point
def case_route(
    *,
    actor,
    case: Case,
    centre: Centre,
    note: str = "",
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.ROUTE, if_match=if_match)
    _check_status(case, "route")
    if case.centre_id == centre.pk and case.status != Status.FLAGGED:
        raise InvalidTransition(_("The case is already with this centre."))
    previous = case.status
    case.centre = centre
    case.status = Status.ROUTED
    case.routed_at = case.status_changed_at = now
    case.accepted_at = None
    case.save()
    case.animators.clear()
    _record(
        case,
        actor=actor,
        kind=EventKind.ROUTED,
        at=now,
        from_status=previous,
        note=_text(note),
        detail=f"centre={centre.pk}",
    )
    case_news_on_commit(CaseNews.ROUTED, case)
    return case


@entry_point
def case_accept(
    *,
    actor,
    case: Case,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.ACCEPT, if_match=if_match)
    _check_status(case, "accept")
    case.status = Status.IN_PROGRESS
    case.accepted_at = case.status_changed_at = now
    case.save()
    _record(case, actor=actor, kind=EventKind.ACCEPTED, at=now, from_status=Status.ROUTED)
    case_news_on_commit(CaseNews.ACCEPTED, case)
    return case


@entry_point
def case_decline(
    *,
    actor,
    case: Case,
    reason: str,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    """The centre declines: the case goes back to the coordinators' triage."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.ACCEPT, if_match=if_match)
    if not _text(reason):
        raise InvalidInput(fields={"reason": [_("Say why the centre declines the case.")]})
    _check_status(case, "decline")
    declined_by = case.centre
    case.status = Status.FLAGGED
    case.centre = None
    case.routed_at = None
    case.status_changed_at = now
    case.save()
    case.animators.clear()
    _record(
        case,
        actor=actor,
        kind=EventKind.DECLINED,
        at=now,
        from_status=Status.ROUTED,
        note=_text(reason),
        detail=f"centre={declined_by.pk}" if declined_by else "",
    )
    case_news_on_commit(CaseNews.DECLINED, case)
    return case


@entry_point
def case_assign(
    *,
    actor,
    case: Case,
    animators: list,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.ASSIGN, if_match=if_match)
    eligible = set(centre_staff(case.centre).values_list("pk", flat=True)) if case.centre else set()
    if any(user.pk not in eligible for user in animators):
        raise InvalidInput(fields={"animators": [_("Only animators of the case's centre can be assigned.")]})
    _check_status(case, "assign")
    case.animators.set(animators)
    case.save(update_fields=["updated_at"])
    _record(
        case,
        actor=actor,
        kind=EventKind.ASSIGNED,
        at=now,
        note=", ".join(user.get_full_name() or user.get_username() for user in animators),
    )
    return case


# What the centre logs ----------------------------------------------------------------------------


def _contact_times(case: Case) -> None:
    """First and last contact and the next step again from every contact of the case, after one of them changed."""
    times = case.contacts.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    case.first_contact_at, case.last_contact_at = times["first"], times["last"]
    latest = case.contacts.order_by("-occurred_at", "-pk").values_list("next_step_due_on", flat=True).first()
    case.next_step_due_on = latest
    case.save(update_fields=["first_contact_at", "last_contact_at", "next_step_due_on", "updated_at"])


def _supports(case: Case, supports: list[dict], *, actor, on: date, at: datetime) -> list[Support]:
    """Validated, unsaved support rows of a contact."""
    rows = [
        Support(
            case=case,
            kind=str(support.get("kind") or ""),
            detail=_text(support.get("detail")),
            provided_on=on,
            recorded_by=actor,
            created_at=at,
        )
        for support in supports
    ]
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        try:
            _validated(row, exclude=["case", "contact", "recorded_by", "provided_on"], prefix=f"supports.{index}.")
        except InvalidInput as error:
            errors.update(error.fields)
    if errors:
        raise InvalidInput(fields=errors)
    return rows


@entry_point
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
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Contact:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.LOG_CONTACT, if_match=if_match)
    contact = Contact(
        case=case,
        author=actor,
        kind=kind,
        occurred_at=occurred_at,
        result=result,
        duration_minutes=duration_minutes,
        notes=_text(notes),
        next_step=_text(next_step),
        next_step_due_on=next_step_due_on,
        created_at=now,
    )
    _validated(contact, exclude=["case", "author", "corrects"])
    support_rows = _supports(case, supports or [], actor=actor, on=timezone.localdate(occurred_at), at=now)
    _check_status(case, "log_contact")
    contact.save()
    for row in support_rows:
        row.contact = contact
    Support.objects.bulk_create(support_rows)
    latest = case.last_contact_at is None or occurred_at >= case.last_contact_at
    case.first_contact_at = min(filter(None, [case.first_contact_at, occurred_at]))
    case.last_contact_at = max(filter(None, [case.last_contact_at, occurred_at]))
    if latest:
        # The latest contact says what comes next: its next step replaces an earlier one, or closes it.
        case.next_step_due_on = next_step_due_on
    case.save(update_fields=["first_contact_at", "last_contact_at", "next_step_due_on", "updated_at"])
    _record(case, actor=actor, kind=EventKind.CONTACT_LOGGED, at=now, detail=f"contact={contact.pk}")
    doubtful_result = result == ContactResult.WRONG_DETAILS or result in UNANSWERED
    if doubtful_result and case.details_to_check_since is None and _details_doubtful(case):
        case.details_to_check_since = now
        case.save(update_fields=["details_to_check_since", "updated_at"])
        _record(case, actor=actor, kind=EventKind.DETAILS_TO_CHECK, at=now)
    return contact


def _details_doubtful(case: Case) -> bool:
    """Wrong details twice, or the last attempts all unanswered: the school should check the family's details."""
    wrong = case.contacts.filter(result=ContactResult.WRONG_DETAILS).count()
    latest = list(
        case.contacts.order_by("-occurred_at", "-pk").values_list("result", flat=True)[:UNANSWERED_BEFORE_CHECK]
    )
    unanswered = len(latest) == UNANSWERED_BEFORE_CHECK and all(result in UNANSWERED for result in latest)
    return wrong >= WRONG_DETAILS_BEFORE_CHECK or unanswered


def _details_checked(case: Case, *, actor, now: datetime) -> None:
    """The school has given the family's details again: the request to check them is answered."""
    if case.details_to_check_since is not None:
        case.details_to_check_since = None
        case.save(update_fields=["details_to_check_since", "updated_at"])
    _record(case, actor=actor, kind=EventKind.DETAILS_UPDATED, at=now)


CORRECTABLE_CONTACT_FIELDS = (
    "kind",
    "occurred_at",
    "duration_minutes",
    "result",
    "notes",
    "next_step",
    "next_step_due_on",
)


@entry_point
def contact_correct(
    *,
    actor,
    contact: Contact,
    changes: dict[str, Any],
    scope: AccessScope | None = None,
    now: datetime | None = None,
) -> Contact:
    """Its author may correct a contact for a while; after that it is part of the record."""
    now = _now(now)
    case = _begin(contact.case, actor=actor, scope=scope, action=Action.LOG_CONTACT)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.author_id != actor.pk:
        raise ActionForbidden(_("Only the author of a contact can correct it."))
    if now - contact.created_at > timedelta(hours=settings.RADAR_CONTACT_CORRECTION_HOURS):
        raise InvalidTransition(_("This contact is part of the record now: log a new contact to correct it."))
    unknown = set(changes) - set(CORRECTABLE_CONTACT_FIELDS)
    if unknown:
        raise InvalidInput(fields={key: [_("This field cannot be changed.")] for key in sorted(unknown)})
    for name, value in changes.items():
        setattr(contact, name, _text(value) if isinstance(value, str) else value)
    _validated(contact, exclude=["case", "author", "corrects"])
    contact.save()
    _contact_times(case)
    _record(case, actor=actor, kind=EventKind.CONTACT_CORRECTED, at=now, detail=f"contact={contact.pk}")
    return contact


@entry_point
def tutoring_log(
    *,
    actor,
    case: Case,
    on: date,
    duration_minutes: int,
    subjects: str = "",
    attended: bool = True,
    notes: str = "",
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> TutoringSession:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.LOG_CONTACT, if_match=if_match)
    session = TutoringSession(
        case=case,
        author=actor,
        on=on,
        duration_minutes=duration_minutes,
        subjects=_text(subjects),
        attended=attended,
        notes=_text(notes),
        created_at=now,
    )
    _validated(session, exclude=["case", "author"])
    _check_status(case, "log_tutoring")
    session.save()
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.TUTORING_LOGGED, at=now, detail=f"tutoring={session.pk}")
    return session


@entry_point
def support_record(
    *,
    actor,
    case: Case,
    kind: str,
    detail: str = "",
    provided_on: date | None = None,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Support:
    """A support arranged outside a contact (a device handed over at the centre, a referral)."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.LOG_CONTACT, if_match=if_match)
    support = Support(
        case=case,
        kind=kind,
        detail=_text(detail),
        recorded_by=actor,
        provided_on=provided_on or timezone.localdate(now),
        created_at=now,
    )
    _validated(support, exclude=["case", "contact", "recorded_by"])
    _check_status(case, "record_support")
    support.save()
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.SUPPORT_RECORDED, at=now, detail=f"support={support.pk}")
    return support


@entry_point
def family_notice_record(
    *,
    actor,
    case: Case,
    on: date,
    channel: str,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> FamilyNotice:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.FAMILY_NOTICE, if_match=if_match)
    notice = FamilyNotice(case=case, on=on, channel=channel, recorded_by=actor, created_at=now)
    _validated(notice, exclude=["case", "recorded_by"])
    _check_status(case, "family_notice")
    notice.save()
    case.family_informed_on = min(filter(None, [case.family_informed_on, on]))
    case.save(update_fields=["family_informed_on", "updated_at"])
    _record(case, actor=actor, kind=EventKind.FAMILY_INFORMED, at=now, detail=f"channel={channel}")
    return notice


# Closing and after -------------------------------------------------------------------------------


def _close(case: Case, *, actor, outcome: str, note: str, kind: EventKind, now: datetime) -> Case:
    previous = case.status
    case.status = Status.CLOSED
    case.outcome = outcome
    case.outcome_note = _text(note)
    case.closed_at = case.status_changed_at = now
    case.save()
    _record(case, actor=actor, kind=kind, at=now, from_status=previous, note=_text(note), detail=f"outcome={outcome}")
    return case


@entry_point
def case_close(
    *,
    actor,
    case: Case,
    outcome: str,
    note: str = "",
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.CLOSE, if_match=if_match)
    if outcome not in Outcome.values:
        raise InvalidInput(fields={"outcome": [_("Unknown outcome: %(value)s.") % {"value": outcome}]})
    _check_status(case, "close")
    _close(case, actor=actor, outcome=outcome, note=note, kind=EventKind.CLOSED, now=now)
    case_news_on_commit(CaseNews.CLOSED, case)
    return case


@entry_point
def case_withdraw(
    *,
    actor,
    case: Case,
    note: str,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    """The school withdraws its flag: the pupil is back, nothing more is needed."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.WITHDRAW, if_match=if_match)
    if not _text(note):
        raise InvalidInput(fields={"note": [_("Say why the flag is withdrawn.")]})
    _check_status(case, "withdraw")
    return _close(case, actor=actor, outcome=Outcome.RESOLVED_BY_SCHOOL, note=note, kind=EventKind.WITHDRAWN, now=now)


@entry_point
def case_reopen(
    *,
    actor,
    case: Case,
    note: str,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    now = _now(now)
    # The pupil first, as flagging does: a flag and a reopen of the same pupil then wait for each other instead
    # of each holding what the other needs.
    Pupil.objects.select_for_update().filter(pk=case.pupil_id).first()
    case = _begin(case, actor=actor, scope=scope, action=Action.REOPEN, if_match=if_match)
    if not _text(note):
        raise InvalidInput(fields={"note": [_("Say why the case is reopened.")]})
    _check_status(case, "reopen")
    if open_case_of(case.pupil) is not None:
        raise InvalidTransition(_("The pupil already has an open case."))
    case.status = Status.IN_PROGRESS if case.centre_id else Status.FLAGGED
    case.outcome = ""
    case.outcome_note = ""
    case.closed_at = None
    case.status_changed_at = now
    case.save()
    _record(case, actor=actor, kind=EventKind.REOPENED, at=now, from_status=Status.CLOSED, note=_text(note))
    return case


@entry_point
def return_confirm(
    *,
    actor,
    case: Case,
    attendance: str,
    half_days_missed: int,
    on: date,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> ReturnConfirmation:
    """The school says whether the pupil attends again, so outcomes are measured before and after."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.CONFIRM_RETURN, if_match=if_match)
    confirmation = ReturnConfirmation(
        case=case, attendance=attendance, half_days_missed=half_days_missed, on=on, recorded_by=actor, created_at=now
    )
    _validated(confirmation, exclude=["case", "recorded_by"])
    _check_status(case, "confirm_return")
    confirmation.save()
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.RETURN_CONFIRMED, at=now, detail=f"attendance={attendance}")
    return confirmation


@entry_point
def identity_reveal(
    *,
    actor,
    case: Case,
    reason: str,
    scope: AccessScope | None = None,
    now: datetime | None = None,
    if_match: Collection[str] | None = None,
) -> Case:
    """A coordinator sees one pupil's identity, for a stated reason that stays in the log."""
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.REVEAL, if_match=if_match)
    if not _text(reason):
        raise InvalidInput(fields={"reason": [_("Say why you need the pupil's identity.")]})
    _check_status(case, "reveal")
    assign_perm(Action.VIEW_IDENTITY.value, actor, case)
    CaseEvent.objects.create(case=case, actor=actor, at=now, kind=EventKind.IDENTITY_REVEALED, note=_text(reason))
    access_log_write(user=actor, action=AccessAction.REVEAL, what="identity", case=case, detail=_text(reason), at=now)
    return case


@entry_point
def caseload_handover(
    *,
    actor,
    centre: Centre,
    from_user,
    to_user,
    scope: AccessScope | None = None,
    now: datetime | None = None,
) -> int:
    """Moves a leaving animator's open cases at this centre to a colleague. Returns how many moved."""
    now = _now(now)
    if not _scope(actor, scope).can_on_centre(Action.ASSIGN, centre.pk):
        raise ActionForbidden()
    caseload_handover_check(centre=centre, from_user=from_user, to_user=to_user)
    return caseload_move(actor=actor, centre=centre, from_user=from_user, to_user=to_user, now=now)


def caseload_handover_check(*, centre: Centre, from_user, to_user) -> None:
    staff = set(centre_staff(centre).values_list("pk", flat=True))
    if to_user.pk not in staff:
        raise InvalidInput(fields={"to_user": [_("The colleague must be an animator of this centre.")]})
    if from_user.pk == to_user.pk:
        raise InvalidInput(fields={"to_user": [_("Choose another colleague.")]})


def caseload_move(*, actor, centre: Centre, from_user, to_user, now: datetime) -> int:
    """Moves the open cases (inside the caller's transaction, rights checked by the caller)."""
    cases = list(
        Case.objects.select_for_update()
        .filter(centre=centre, status__in=OPEN_STATUSES, animators=from_user)
        .order_by("pk")
    )
    through = Case.animators.through
    through.objects.filter(case__in=cases, user=from_user).delete()
    already = set(through.objects.filter(case__in=cases, user=to_user).values_list("case_id", flat=True))
    through.objects.bulk_create(through(case=case, user=to_user) for case in cases if case.pk not in already)
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(updated_at=now)
    note = _("From %(from)s to %(to)s") % {
        "from": from_user.get_full_name() or from_user.get_username(),
        "to": to_user.get_full_name() or to_user.get_username(),
    }
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, actor=actor, at=now, kind=EventKind.HANDED_OVER, note=note) for case in cases
    )
    AccessLog.objects.bulk_create(
        AccessLog(
            at=now,
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
