"""A user's own account: who they are in Radar (their roles) and what they receive by email."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from outreach.access import AccessScope
from outreach.audit import access_log_write
from outreach.models import AccessAction, Centre, NotificationPreference
from outreach.roles import ROLE_LABELS
from outreach.services import entry_point
from schools.models import School


@dataclass(frozen=True)
class HeldRole:
    label: str
    organisation: str


def roles_held(scope: AccessScope) -> list[HeldRole]:
    """Every role the user holds, with the school or centre it is held on: two queries whatever the count."""
    roles = scope.roles()
    schools = dict(
        School.objects.filter(pk__in=[pk for _r, kind, pk in roles if kind == "school"]).values_list("pk", "name")
    )
    centres = dict(
        Centre.objects.filter(pk__in=[pk for _r, kind, pk in roles if kind == "centre"]).values_list("pk", "name")
    )
    names = {"school": schools, "centre": centres}
    return [
        HeldRole(str(ROLE_LABELS[role]), names[kind].get(org_id, "") if kind else "") for role, kind, org_id in roles
    ]


def wants_daily_digest(user_id: int) -> bool:
    preference = NotificationPreference.objects.filter(user_id=user_id).values_list("daily_digest", flat=True).first()
    return True if preference is None else preference


@entry_point
def daily_digest_choose(*, actor, receive: bool, now: datetime | None = None) -> NotificationPreference:
    """The user turns their daily digest on or off. Logged like every write, though it is about no pupil."""
    now = now or timezone.now()
    preference, _created = NotificationPreference.objects.update_or_create(
        user=actor, defaults={"daily_digest": receive, "updated_at": now}
    )
    access_log_write(
        user=actor, action=AccessAction.WRITE, what="daily_digest", detail="on" if receive else "off", at=now
    )
    return preference
