"""Everything held about one pupil and who accessed it: a family's right of access (GDPR art. 15)."""

from django.db import transaction
from django.db.models import Q

from outreach.access import AccessScope, require_global
from outreach.audit import access_log_write
from outreach.models import AccessAction, AccessedCase, AccessLog, Case
from outreach.redaction import person_name, pupil_identity
from schools.domain_errors import NotFound
from schools.models import Pupil
from schools.permissions import Action


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
    # Its own reads and writes, and every list that showed one of its cases.
    shown_in = AccessedCase.objects.filter(case__pupil=pupil).values("access_log_id")
    accesses = AccessLog.objects.filter(Q(pupil=pupil) | Q(pk__in=shown_in)).select_related("user").order_by("at", "pk")
    return {
        # An anonymised pupil's export says so: the empty names and notes are erased, not missing.
        "pupil": pupil_identity(pupil) | {"school": pupil.school.uai, "anonymised_at": pupil.anonymised_at},
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
                "anonymised_at": case.anonymised_at,
                "contacts": [
                    {
                        "kind": c.kind,
                        "occurred_at": c.occurred_at,
                        "duration_minutes": c.duration_minutes,
                        "result": c.result,
                        "notes": c.notes,
                        "next_step": c.next_step,
                        "next_step_due_on": c.next_step_due_on,
                        "author": person_name(c.author),
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
                        "author": person_name(t.author),
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
                        "actor": person_name(e.actor),
                        "note": e.note,
                    }
                    for e in case.events.all()
                ],
            }
            for case in cases
        ],
        "accesses": [
            {"at": a.at, "user": person_name(a.user), "action": a.action, "what": a.what, "ip_address": a.ip_address}
            for a in accesses
        ],
    }
