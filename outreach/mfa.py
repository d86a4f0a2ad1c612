"""The second factor (django-otp): a TOTP device on the phone, and single-use recovery codes for a lost phone.

Who must enrol: with `RADAR_REQUIRE_MFA` on, every account that can read a pupil's identity (school staff,
animators, centre managers, coordinators, who may reveal it, and the administrators, whose admin shows it).
Whoever has a confirmed device is asked for a code at every login, required or not.

What a login still owes is decided once, at the login, and kept in the session (`MFA_PENDING`): the pages then
cost no query to check it. A role granted during a session therefore asks for enrolment at the next login.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from outreach.access import access_scope
from outreach.audit import access_log_write
from outreach.models import AccessAction
from schools.domain_errors import ActionForbidden, InvalidInput
from schools.permissions import Action

MFA_PENDING = "radar_mfa_pending"
VERIFY = "verify"
ENROL = "enrol"
RECOVERY_DEVICE = "recovery"
RECOVERY_CODES = 10
RECOVERY_CODE_USED = "mfa_recovery_code_used"
IDENTITY_ACTIONS = (Action.VIEW_IDENTITY, Action.REVEAL, Action.EXPORT_PUPIL)


def can_read_identity(user) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    scope = access_scope(user)
    return any(scope.has_anywhere(action) for action in IDENTITY_ACTIONS)


def has_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def mfa_required(user) -> bool:
    return settings.RADAR_REQUIRE_MFA and can_read_identity(user)


def pending_at_login(user) -> str | None:
    """What the login still owes: a code from an enrolled device, an enrolment, or nothing."""
    if has_device(user):
        return VERIFY
    if mfa_required(user):
        return ENROL
    return None


def totp_device_pending(user) -> TOTPDevice:
    """The device being enrolled: created unconfirmed once, so reloading the page keeps the same QR code."""
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "phone"})
    return device


@transaction.atomic
def totp_enrol(*, user, token: str) -> list[str]:
    """Confirms the phone with a code it shows; returns the recovery codes (shown once)."""
    device = totp_device_pending(user)
    if not device.verify_token(token):
        raise InvalidInput(fields={"otp": [_("This code is not the one your application shows. Try the next one.")]})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_issue(user=user)


@transaction.atomic
def recovery_codes_issue(*, user) -> list[str]:
    """A new set of single-use recovery codes; the previous ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _number in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def otp_check(*, user, token: str | None) -> None:
    """Raises a field error on `otp` unless the token matches one of the user's devices (a recovery code is used
    up, and its use logged)."""
    token = (token or "").strip().replace(" ", "")
    if not token:
        raise InvalidInput(fields={"otp": [_("Enter the code shown by your authentication application.")]})
    device = match_token(user, token)
    if device is None:
        raise InvalidInput(fields={"otp": [_("This code is wrong or has expired.")]})
    if isinstance(device, StaticDevice):
        access_log_write(
            user=user, action=AccessAction.WRITE, what="mfa_recovery_code_used", detail=user.get_username()
        )


@transaction.atomic
def mfa_reset(*, actor, user) -> int:
    """An administrator removes a user's devices (a lost phone and no recovery code left); logged."""
    if not actor.has_perm("auth.change_user"):
        raise ActionForbidden()
    count = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        count += 1
    access_log_write(user=actor, action=AccessAction.WRITE, what="mfa_reset", detail=user.get_username())
    return count
