"""Everything held about one pupil and who accessed it: a family's right of access (GDPR art. 15)."""

from django.db import transaction

from outreach.access import AccessScope, require_global
from outreach.audit import access_log_write
from outreach.models import AccessAction, AccessLog, Case
from schools.domain_errors import NotFound
from schools.models import Pupil
from schools.permissions import Action


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


@transaction.atomic
def pupil_export(*, actor, scope: AccessScope, pupil_id: int) -> dict:
    require_global(scope, Action.EXPORT_PUPIL)
    pupil = Pupil.objects.select_related("school").prefetch_related("guardians").filter(pk=pupil_id).first()
    if pupil is None:
        raise NotFound()
    cases = (
        Case.objects.filter(pupil=pupil)
        .select_related("centre", "school")
        .prefetch_related(
            "reasons",
            "contacts__author",
            "contacts__supports",
            "tutoring_sessions__author",
            "supports",
            "family_notices",
            "return_confirmations",
            "events__actor",
        )
        .order_by("flagged_at")
    )
    access_log_write(user=actor, action=AccessAction.EXPORT, what="pupil_export", pupil_id=pupil.pk)
    accesses = AccessLog.objects.filter(pupil=pupil).select_related("user").order_by("at", "pk")
    return {
        "pupil": {
            "id": pupil.pk,
            "school": pupil.school.uai,
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
                    "name": g.name,
                    "relationship": g.relationship,
                    "phone": g.phone,
                    "email": g.email,
                    "language": g.language,
                    "interpreter_needed": g.interpreter_needed,
                }
                for g in pupil.guardians.all()
            ],
        },
        "cases": [
            {
                "id": case.pk,
                "reference": case.reference,
                "status": case.status,
                "school": case.school.uai,
                "centre": case.centre.name if case.centre_id else None,
                "reasons": sorted(r.reason for r in case.reasons.all()),
                "details": case.details,
                "urgency": case.urgency,
                "half_days_missed": case.half_days_missed,
                "last_seen_on": case.last_seen_on,
                "flagged_at": case.flagged_at,
                "closed_at": case.closed_at,
                "outcome": case.outcome,
                "outcome_note": case.outcome_note,
                "contacts": [
                    {
                        "kind": c.kind,
                        "occurred_at": c.occurred_at,
                        "duration_minutes": c.duration_minutes,
                        "result": c.result,
                        "notes": c.notes,
                        "next_step": c.next_step,
                        "next_step_due_on": c.next_step_due_on,
                        "author": _person(c.author),
                        "supports": [{"kind": s.kind, "detail": s.detail} for s in c.supports.all()],
                    }
                    for c in case.contacts.all()
                ],
                "tutoring_sessions": [
                    {
                        "on": t.on,
                        "duration_minutes": t.duration_minutes,
                        "subjects": t.subjects,
                        "attended": t.attended,
                        "notes": t.notes,
                        "author": _person(t.author),
                    }
                    for t in case.tutoring_sessions.all()
                ],
                "supports": [
                    {"kind": s.kind, "detail": s.detail, "provided_on": s.provided_on} for s in case.supports.all()
                ],
                "family_notices": [{"on": n.on, "channel": n.channel} for n in case.family_notices.all()],
                "return_confirmations": [
                    {"on": r.on, "attendance": r.attendance, "half_days_missed": r.half_days_missed}
                    for r in case.return_confirmations.all()
                ],
                "events": [
                    {
                        "at": e.at,
                        "kind": e.kind,
                        "from_status": e.from_status,
                        "to_status": e.to_status,
                        "actor": _person(e.actor),
                        "note": e.note,
                    }
                    for e in case.events.all()
                ],
            }
            for case in cases
        ],
        "accesses": [
            {"at": a.at, "user": _person(a.user), "action": a.action, "what": a.what, "ip_address": a.ip_address}
            for a in accesses
        ],
    }
