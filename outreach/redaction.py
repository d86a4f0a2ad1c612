"""What a caller may see of a case, its pupil, its contacts, tutoring sessions and timeline: decided here, once.

`disclosure(scope, case)` gives the caller's rights on one case; the functions below turn rows into plain
dictionaries holding only what those rights allow. The API serialises these dictionaries as they are and the
web pages render them, so no door decides for itself what to hide.

The rules (SPEC §4):
- identity (names, birth date, address, class, guardians, flag details) only to whoever holds `view_pupil_identity`
  on the case; everyone else sees the pseudonymised pupil: initials, birth year, level, school, neighbourhood and
  a stable key;
- free text about the family (contact and tutoring notes, next steps, the closing note) only to `view_case_notes`;
- a pseudonymised caller never reads free text written by a person: event notes included, whatever the event.
  What the services write themselves (who was assigned, who handed over to whom) names staff, never the pupil;
- why a coordinator revealed a pupil is read in the access log only.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from outreach.access import AccessScope
from outreach.models import Case, CaseEvent, Contact, DeviceLoan, EventKind, TutoringSession
from outreach.selectors import overdue_reasons
from schools.models import Pupil
from schools.permissions import Action

# Notes the services compose from staff names: nothing about the pupil, shown to every reader of the timeline.
GENERATED_NOTES = frozenset(
    {
        EventKind.ASSIGNED,
        EventKind.HANDED_OVER,
        # The group's name, the device's kind and reference.
        EventKind.GROUP_JOINED,
        EventKind.GROUP_LEFT,
        EventKind.DEVICE_LENT,
        EventKind.DEVICE_RETURNED,
        EventKind.DEVICE_GIVEN,
    }
)
# Notes a person writes about the workflow (why routed, declined, reopened, withdrawn): every reader who may see
# the pupil's identity needs them, a pseudonymised reader gets none (they may name the pupil or the family).
WORKFLOW_NOTES = frozenset(
    {EventKind.ROUTED, EventKind.AUTO_ROUTED, EventKind.DECLINED, EventKind.REOPENED, EventKind.WITHDRAWN}
)
# Why a coordinator revealed a pupil is for the audit of access: it is read in the access log, not the timeline.
AUDIT_NOTES = frozenset({EventKind.IDENTITY_REVEALED})


@dataclass(frozen=True)
class Disclosure:
    identity: bool
    notes: bool

    def event_note_visible(self, kind: str) -> bool:
        if kind in AUDIT_NOTES:
            return False
        if kind in GENERATED_NOTES:
            return True
        if kind in WORKFLOW_NOTES:
            return self.identity
        return self.notes and self.identity


def disclosure(scope: AccessScope, case: Case) -> Disclosure:
    perms = scope.permissions_on(case)
    identity = Action.VIEW_IDENTITY in perms
    return Disclosure(identity=identity, notes=identity and Action.VIEW_NOTES in perms)


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def pupil_identity(pupil: Pupil) -> dict:
    """The pupil as the school knows them. Guardians come from a prefetch (`pupil.guardians.all()`)."""
    return {
        "id": pupil.pk,
        "external_ref": pupil.external_ref,
        "first_name": pupil.first_name,
        "last_name": pupil.last_name,
        "birth_date": pupil.birth_date,
        "sex": pupil.sex,
        "level": pupil.level,
        "class_name": pupil.class_name,
        "address": pupil.address,
        "postcode": pupil.postcode,
        "city": pupil.city,
        "neighbourhood": pupil.neighbourhood,
        "guardians": [
            {
                "name": guardian.name,
                "relationship": guardian.relationship,
                "phone": guardian.phone,
                "email": guardian.email,
                "language": guardian.language,
                "interpreter_needed": guardian.interpreter_needed,
            }
            for guardian in pupil.guardians.all()
        ],
    }


def pupil_pseudonym(pupil: Pupil, school_uai: str) -> dict:
    return {
        "key": pupil.pseudonym_key,
        "initials": pupil.initials,
        "birth_year": pupil.birth_date.year if pupil.birth_date else None,
        "level": pupil.level,
        "school": school_uai,
        "neighbourhood": pupil.neighbourhood,
    }


def pupil_label(seen: Disclosure, case: Case) -> str:
    """How a line names the pupil: first and last name, or initials and pseudonymous key."""
    pupil = case.pupil
    return f"{pupil.first_name} {pupil.last_name}" if seen.identity else f"{pupil.initials} · {pupil.pseudonym_key}"


def pupil_view(seen: Disclosure, case: Case) -> dict:
    return pupil_identity(case.pupil) if seen.identity else pupil_pseudonym(case.pupil, case.school.uai)


def case_texts(seen: Disclosure, case: Case) -> dict:
    """The free-text fields of a case the caller may read; the others are left out, not blanked."""
    texts = {}
    if seen.identity:
        texts["details"] = case.details
    if seen.notes:
        texts["outcome_note"] = case.outcome_note
    return texts


def case_view(scope: AccessScope, case: Case) -> dict:
    """A case as the caller may see it. The case comes from selectors.case_list (counts, overdue flags, prefetched
    reasons, animators, guardians and return confirmations), so a page of them costs a fixed number of queries."""
    seen = disclosure(scope, case)
    annotated: Any = case  # overdue and counts are annotations of selectors.case_list, which mypy cannot see
    confirmations = list(case.return_confirmations.all())
    latest = confirmations[0] if confirmations else None
    return {
        "id": case.pk,
        "reference": case.reference,
        "status": case.status,
        "urgency": case.urgency,
        "reasons": sorted(reason.reason for reason in case.reasons.all()),
        **({"details": case.details} if seen.identity else {}),
        "half_days_missed": case.half_days_missed,
        "last_seen_on": case.last_seen_on,
        "school": {"id": case.school.pk, "uai": case.school.uai, "name": case.school.name, "city": case.school.city},
        "centre": {"id": case.centre.pk, "name": case.centre.name} if case.centre else None,
        "animators": [{"id": user.pk, "name": person_name(user)} for user in case.animators.all()],
        "outcome": case.outcome,
        **({"outcome_note": case.outcome_note} if seen.notes else {}),
        "flagged_at": case.flagged_at,
        "routed_at": case.routed_at,
        "accepted_at": case.accepted_at,
        "first_contact_at": case.first_contact_at,
        "last_contact_at": case.last_contact_at,
        "family_informed_on": case.family_informed_on,
        "closed_at": case.closed_at,
        "updated_at": case.updated_at,
        "overdue": annotated.overdue,
        "overdue_reasons": overdue_reasons(case),
        "counts": {
            "contacts": annotated.contact_count,
            "tutoring_sessions": annotated.tutoring_count,
            "supports": annotated.support_count,
        },
        "latest_return": (
            {"attendance": latest.attendance, "half_days_missed": latest.half_days_missed, "on": latest.on}
            if latest
            else None
        ),
        "identity_visible": seen.identity,
        "details_to_check": case.details_to_check_since is not None,
        "return_to_confirm": case.return_to_confirm(),
        "pupil": pupil_view(seen, case),
    }


def contact_view(seen: Disclosure, contact: Contact, *, now: datetime) -> dict:
    """A contact: kind, date and result for every reader of the case, notes and next step with notes.

    Supports come from a prefetch (`contact.supports.all()`)."""
    until = contact.created_at + timedelta(hours=settings.RADAR_CONTACT_CORRECTION_HOURS)
    supports = [{"kind": support.kind, "detail": support.detail} for support in contact.supports.all()]
    data: dict[str, Any] = {
        "id": contact.pk,
        "kind": contact.kind,
        "occurred_at": contact.occurred_at,
        "duration_minutes": contact.duration_minutes,
        "result": contact.result,
        "supports": supports,
        "next_step_due_on": contact.next_step_due_on,
        "author": {"id": contact.author_id, "name": person_name(contact.author)},
        "created_at": contact.created_at,
        "correctable_until": until if until > now else None,
    }
    if seen.notes:
        data["notes"] = contact.notes
        data["next_step"] = contact.next_step
    if not seen.identity:
        # A support's detail is free text ("agreement signed by the mother"): kinds only for a pseudonymised reader.
        data["supports"] = [{"kind": support["kind"], "detail": ""} for support in supports]
    return data


def tutoring_view(seen: Disclosure, session: TutoringSession) -> dict:
    data = {
        "id": session.pk,
        "on": session.on,
        "duration_minutes": session.duration_minutes,
        "subjects": session.subjects,
        "attended": session.attended,
        # A line of a group's register: present, absent or excused, and the group session it belongs to.
        "presence": session.presence or None,
        "group_session": session.group_session_id,
        "author": {"id": session.author_id, "name": person_name(session.author)},
        "created_at": session.created_at,
    }
    if seen.notes:
        data["notes"] = session.notes
    return data


def event_view(seen: Disclosure, event: CaseEvent) -> dict:
    return {
        "id": event.pk,
        "at": event.at,
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": {"id": event.actor_id, "name": person_name(event.actor)},
        "note": event.note if seen.event_note_visible(event.kind) else "",
        "note_withheld": bool(event.note) and not seen.event_note_visible(event.kind),
    }


def support_view(seen: Disclosure, support) -> dict:
    return {
        "id": support.pk,
        "kind": support.kind,
        "detail": support.detail if seen.identity else "",
        "provided_on": support.provided_on,
    }


# The centre's programmes: a member, a register line and a loan name the pupil as the reader may see them --------


def member_view(scope: AccessScope, case: Case) -> dict:
    """A case in a group, a register or a loan: the case and the pupil's label, nothing else about them."""
    return {"case": case.pk, "reference": case.reference, "pupil": pupil_label(disclosure(scope, case), case)}


def attendance_view(scope: AccessScope, line: TutoringSession) -> dict:
    seen = disclosure(scope, line.case)
    data = {**member_view(scope, line.case), "presence": line.presence, "attended": line.attended}
    if seen.notes:
        data["note"] = line.notes
    return data


def loan_view(scope: AccessScope, loan: DeviceLoan) -> dict:
    seen = disclosure(scope, loan.case)
    return {
        "id": loan.pk,
        "device": loan.device_id,
        **member_view(scope, loan.case),
        "lent_on": loan.lent_on,
        "due_on": loan.due_on,
        # Conditions are free text typed at the counter: readers of notes only.
        **({"condition_out": loan.condition_out, "condition_back": loan.condition_back} if seen.notes else {}),
        "reference_out": loan.reference_out,
        "ended_on": loan.ended_on,
        "end": loan.end or None,
    }
