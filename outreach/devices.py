"""Device loans: a centre's inventory (often from Emmaüs Connect), lent to the families of its cases and returned,
or given to them for good. Writes as in outreach/services.py; each loan and its end is an event of the case."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.access import AccessScope, centres_run, centres_staffed
from outreach.models import Case, Centre, Device, DeviceLoan, DeviceState, EventKind, LoanEnd, Status
from outreach.services import _begin, _record, _text, _validated, entry_point
from schools.domain_errors import ActionForbidden, InvalidInput, InvalidTransition, NotFound
from schools.permissions import Action


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@entry_point
def device_add(
    *,
    actor,
    scope: AccessScope,
    centre: Centre,
    kind: str,
    reference: str,
    partner: str = "",
    now: datetime | None = None,
) -> Device:
    """A device into the centre's inventory: its managers keep it."""
    now = _now(now)
    if centre.pk not in centres_run(scope):
        raise ActionForbidden()
    device = Device(centre=centre, kind=kind, reference=_text(reference), partner=_text(partner), added_at=now)
    _validated(device, exclude=["centre"])
    if Device.objects.filter(centre=centre, reference=device.reference).exists():
        raise InvalidInput(fields={"reference": [_("The centre already has a device with this reference.")]})
    device.save()
    return device


def _described(device: Device) -> str:
    return f"{device.get_kind_display()} {device.reference}"


@entry_point
def device_lend(
    *,
    actor,
    scope: AccessScope,
    device: Device,
    case: Case,
    lent_on: date,
    due_on: date,
    condition_out: str,
    reference_out: str = "",
    now: datetime | None = None,
) -> DeviceLoan:
    now = _now(now)
    case = _begin(case, actor=actor, scope=scope, action=Action.LOG_CONTACT)
    device = Device.objects.select_for_update().filter(pk=device.pk, centre_id__in=centres_staffed(scope)).first()
    if device is None:
        raise NotFound()
    if case.centre_id != device.centre_id:
        raise InvalidInput(fields={"case": [_("Lend the centre's devices to the centre's cases only.")]})
    loan = DeviceLoan(
        device=device,
        case=case,
        lent_on=lent_on,
        due_on=due_on,
        condition_out=_text(condition_out),
        reference_out=_text(reference_out) or device.reference,
        lent_by=actor,
    )
    _validated(loan, exclude=["device", "case", "lent_by", "ended_by"])
    if due_on < lent_on:
        raise InvalidInput(fields={"due_on": [_("The device is due back after it is lent.")]})
    if case.status != Status.IN_PROGRESS:
        raise InvalidTransition(_("Only a case in progress can borrow a device."))
    if device.state != DeviceState.AVAILABLE:
        raise InvalidTransition(_("This device is not available."))
    loan.save()
    device.state = DeviceState.LENT
    device.save(update_fields=["state"])
    case.save(update_fields=["updated_at"])
    _record(case, actor=actor, kind=EventKind.DEVICE_LENT, at=now, note=_described(device), detail=f"loan={loan.pk}")
    return loan


@entry_point
def loan_end(
    *,
    actor,
    scope: AccessScope,
    loan: DeviceLoan,
    end: str,
    ended_on: date,
    condition_back: str = "",
    now: datetime | None = None,
) -> DeviceLoan:
    """The device comes back (available again), or the centre gives it to the family for good."""
    now = _now(now)
    case = _begin(loan.case, actor=actor, scope=scope, action=Action.LOG_CONTACT)
    loan = DeviceLoan.objects.select_for_update().select_related("device").get(pk=loan.pk)
    if loan.device.centre_id not in centres_staffed(scope):
        raise NotFound()
    if end not in LoanEnd.values:
        raise InvalidInput(fields={"end": [_("Say whether the device came back or was given to the family.")]})
    if loan.ended_on is not None:
        raise InvalidTransition(_("This loan has already ended."))
    loan.end = end
    loan.ended_on = ended_on
    loan.condition_back = _text(condition_back)
    loan.ended_by = actor
    _validated(loan, exclude=["device", "case", "lent_by", "ended_by"])
    if ended_on < loan.lent_on:
        raise InvalidInput(fields={"ended_on": [_("The loan ends after the device was lent.")]})
    loan.save(update_fields=["end", "ended_on", "condition_back", "ended_by"])
    device = loan.device
    device.state = DeviceState.AVAILABLE if end == LoanEnd.RETURNED else DeviceState.GIVEN
    device.save(update_fields=["state"])
    case.save(update_fields=["updated_at"])
    kind = EventKind.DEVICE_RETURNED if end == LoanEnd.RETURNED else EventKind.DEVICE_GIVEN
    _record(case, actor=actor, kind=kind, at=now, note=_described(device), detail=f"loan={loan.pk}")
    return loan


# Reads -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stock:
    out: int
    overdue: int
    available: int


def stock(devices: QuerySet[Device], today: date) -> Stock:
    """Devices out, loans overdue and devices available, in one query."""
    figures = devices.aggregate(
        out=Count("pk", filter=Q(state=DeviceState.LENT)),
        available=Count("pk", filter=Q(state=DeviceState.AVAILABLE)),
        overdue=Count("loans", filter=Q(loans__ended_on__isnull=True, loans__due_on__lt=today)),
    )
    return Stock(out=figures["out"], overdue=figures["overdue"], available=figures["available"])


def open_loans(loans: QuerySet[DeviceLoan]) -> QuerySet[DeviceLoan]:
    return loans.filter(ended_on__isnull=True).select_related("device", "case__pupil", "case__school")
