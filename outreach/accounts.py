"""Accounts: what follows a change of password, a deactivation or a revoked role.

An API token outlives the session it was taken from; it must not outlive the password or the rights that
earned it. A password hash upgraded at login is not a change of password (Django sets `_password` only when
`set_password` is called for a new password, and clears it for an upgrade), so it revokes nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.utils import timezone
from knox.models import AuthToken

from outreach.mfa import MFA_PENDING, pending_at_login
from outreach.sessions import session_start


def api_tokens_revoke(*, user) -> int:
    """Deletes every API token of the user; returns how many there were."""
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted


def _revoke_on_password_change_or_deactivation(sender, instance, created: bool, **kwargs) -> None:
    if created:
        return
    if getattr(instance, "_password", None) is not None or not instance.is_active:
        api_tokens_revoke(user=instance)


def _start_session(sender, request, user, **kwargs) -> None:
    """Starts the session's clocks and records whether the login still owes a second factor."""
    if request is not None and hasattr(request, "session"):
        session_start(request.session, now=timezone.now())
        request.session[MFA_PENDING] = pending_at_login(user)


def connect_signals() -> None:
    user_logged_in.connect(_start_session, dispatch_uid="outreach.accounts.session_start")
    post_save.connect(
        _revoke_on_password_change_or_deactivation,
        sender=get_user_model(),
        dispatch_uid="outreach.accounts.revoke_tokens",
    )
