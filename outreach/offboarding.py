"""Offboarding: a member of staff who leaves is deactivated in one step.

The step hands their open cases over to the colleagues chosen for each centre, removes every grant they hold (on
schools, centres, single cases, globally and through groups), deactivates the account (which revokes its API
tokens, outreach/accounts.py) and writes one access-log entry under the administrator who did it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.accounts import api_tokens_revoke
from outreach.audit import access_log_write
from outreach.models import (
    OPEN_STATUSES,
    AccessAction,
    Case,
    CaseUserObjectPermission,
    Centre,
    CentreUserObjectPermission,
)
from outreach.services import caseload_handover_check, caseload_move, entry_point
from schools.domain_errors import ActionForbidden, InvalidInput
from schools.models import SchoolUserObjectPermission

OFFBOARDED = "staff_offboarded"


@dataclass(frozen=True)
class Offboarding:
    handed_over: int
    left_open: int


def open_caseload(user) -> list[tuple[Centre, int]]:
    """The centres where the user follows open cases, with how many: what to hand over before they leave."""
    counts = dict(
        Case.objects.filter(status__in=OPEN_STATUSES, animators=user)
        .values("centre")
        .annotate(open_cases=Count("pk"))
        .values_list("centre", "open_cases")
    )
    centres = Centre.objects.in_bulk(list(counts))
    return sorted(((centres[pk], count) for pk, count in counts.items()), key=lambda row: row[0].name)


@entry_point
def staff_offboard(
    *, actor, user, handovers: Mapping[int, object] | None = None, now: datetime | None = None
) -> Offboarding:
    """Hands over, revokes every grant and the tokens, deactivates; `handovers` maps a centre id to a colleague."""
    now = now or timezone.now()
    if not actor.has_perm("auth.change_user"):
        raise ActionForbidden()
    if user.pk == actor.pk:
        raise InvalidInput(fields={"user": [_("You cannot deactivate your own account.")]})
    handed_over = 0
    for centre_id, colleague in (handovers or {}).items():
        centre = Centre.objects.get(pk=centre_id)
        caseload_handover_check(centre=centre, from_user=user, to_user=colleague)
        handed_over += caseload_move(actor=actor, centre=centre, from_user=user, to_user=colleague, now=now)
    SchoolUserObjectPermission.objects.filter(user=user).delete()
    CentreUserObjectPermission.objects.filter(user=user).delete()
    CaseUserObjectPermission.objects.filter(user=user).delete()
    user.user_permissions.clear()
    user.groups.clear()
    user.is_active = False
    user.save(update_fields=["is_active"])
    api_tokens_revoke(user=user)
    access_log_write(user=actor, action=AccessAction.WRITE, what=OFFBOARDED, detail=user.get_username(), at=now)
    left_open = Case.objects.filter(status__in=OPEN_STATUSES, animators=user).count()
    return Offboarding(handed_over=handed_over, left_open=left_open)
