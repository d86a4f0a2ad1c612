"""Integration tokens: a school information system's own access to the API (issue 10).

A token belongs to the school, not to a person. A member of the school's staff creates it from a session verified
with the second factor; the school's staff and the coordinators list and revoke it. It acts through an account of
its own, named after it, that holds three rights on that school only (flag, read the summary, read the identity):
whatever it reads or writes is in the access log under that name, and each creation and revocation is logged too.
The token is shown once; only its SHA-256 digest is kept (it carries 256 random bits, so a slow hash adds nothing).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from outreach.access import AccessScope
from outreach.audit import access_log_write
from outreach.models import AccessAction, IntegrationToken
from outreach.services import entry_point
from schools.domain_errors import ActionForbidden, InvalidInput, NotFound
from schools.models import School, SchoolUserObjectPermission
from schools.permissions import Action

PREFIX = "rdi_"
INTEGRATION_RIGHTS = (Action.FLAG, Action.VIEW_SUMMARY, Action.VIEW_IDENTITY)
CREATED = "integration_created"
REVOKED = "integration_revoked"
USED = "integration_request"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def integrations_visible_to(scope: AccessScope) -> QuerySet[IntegrationToken]:
    """The school's staff see their schools' tokens; coordinators see every school's."""
    tokens = IntegrationToken.objects.select_related("school", "created_by").order_by("school__name", "name")
    if scope.is_coordinator:
        return tokens
    return tokens.filter(school_id__in=scope.schools_with(Action.FLAG))


def can_manage(scope: AccessScope, token: IntegrationToken) -> bool:
    return scope.is_coordinator or scope.can_on_school(Action.FLAG, token.school_id)


@entry_point
def integration_create(
    *,
    actor,
    scope: AccessScope,
    school: School,
    name: str,
    valid_days: int,
    mfa_verified: bool,
    now: datetime | None = None,
) -> tuple[IntegrationToken, str]:
    """Creates the token and its account; returns the token and its secret (to show once)."""
    now = now or timezone.now()
    if not scope.can_on_school(Action.FLAG, school.pk):
        raise ActionForbidden()
    if not mfa_verified:
        raise ActionForbidden(_("Log in with your second factor to create an integration token."))
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the information system that will use this token.")]
    elif IntegrationToken.objects.filter(school=school, name=name, revoked_at__isnull=True).exists():
        errors["name"] = [_("This school already has a live token with this name.")]
    if not 1 <= valid_days <= settings.RADAR_INTEGRATION_TOKEN_MAX_DAYS:
        errors["valid_days"] = [_("Between 1 and %(max)d days.") % {"max": settings.RADAR_INTEGRATION_TOKEN_MAX_DAYS}]
    if errors:
        raise InvalidInput(fields=errors)
    raw = PREFIX + secrets.token_urlsafe(32)
    account = get_user_model().objects.create(
        username=f"integration.{school.uai}.{secrets.token_hex(4)}", first_name=name[:150], last_name=""
    )
    account.set_unusable_password()
    account.save(update_fields=["password"])
    for action in INTEGRATION_RIGHTS:
        assign_perm(action.value, account, school)
    token = IntegrationToken.objects.create(
        school=school,
        name=name,
        account=account,
        digest=_digest(raw),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    access_log_write(user=actor, action=AccessAction.WRITE, what=CREATED, detail=f"{school.uai} {name}", at=now)
    return token, raw


@entry_point
def integration_revoke(*, actor, scope: AccessScope, token_id: int, now: datetime | None = None) -> IntegrationToken:
    now = now or timezone.now()
    token = IntegrationToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or not can_manage(scope, token):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        SchoolUserObjectPermission.objects.filter(user=token.account).delete()
        access_log_write(
            user=actor, action=AccessAction.WRITE, what=REVOKED, detail=f"{token.school.uai} {token.name}", at=now
        )
    return token


def integration_authenticate(raw: str, *, method: str, path: str, now: datetime | None = None):
    """The live token with this secret, its use logged under its name; None for an unknown, expired or revoked
    one."""
    now = now or timezone.now()
    token = IntegrationToken.objects.select_related("account").filter(digest=_digest(raw)).first()
    if token is None or not token.is_live(now):
        return None
    IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
    access_log_write(
        user=token.account,
        action=AccessAction.READ_CASE if method in ("GET", "HEAD") else AccessAction.WRITE,
        what=USED,
        detail=f"{token.name}: {method} {path}",
        at=now,
    )
    return token
