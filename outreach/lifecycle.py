"""The case lifecycle of SPEC §3 as data: in which statuses each step may be taken, and with which permission.

Services enforce it; pages use it to offer only the steps that can succeed."""

from outreach.models import OPEN_STATUSES, EventKind, Status
from schools.permissions import Action

# In the order a case page offers them: the doorstep form first.
STEPS: dict[str, tuple[Action, tuple[Status, ...]]] = {
    "log_contact": (Action.LOG_CONTACT, (Status.IN_PROGRESS,)),
    "log_tutoring": (Action.LOG_CONTACT, (Status.IN_PROGRESS,)),
    "record_support": (Action.LOG_CONTACT, (Status.IN_PROGRESS,)),
    "edit_flag": (Action.EDIT_FLAG, OPEN_STATUSES),
    "route": (Action.ROUTE, OPEN_STATUSES),
    "accept": (Action.ACCEPT, (Status.ROUTED,)),
    "decline": (Action.ACCEPT, (Status.ROUTED,)),
    "assign": (Action.ASSIGN, (Status.ROUTED, Status.IN_PROGRESS)),
    "family_notice": (Action.FAMILY_NOTICE, (*OPEN_STATUSES, Status.CLOSED)),
    "close": (Action.CLOSE, (Status.IN_PROGRESS,)),
    "withdraw": (Action.WITHDRAW, OPEN_STATUSES),
    "reopen": (Action.REOPEN, (Status.CLOSED,)),
    "confirm_return": (Action.CONFIRM_RETURN, (*OPEN_STATUSES, Status.CLOSED)),
    "reveal": (Action.REVEAL, (*OPEN_STATUSES, Status.CLOSED)),
}


def statuses_for(step: str) -> tuple[Status, ...]:
    return STEPS[step][1]


def available_steps(scope, case) -> set[str]:
    """The steps this user may take on this case right now."""
    perms = scope.permissions_on(case)
    return {step for step, (action, statuses) in STEPS.items() if action in perms and case.status in statuses}


# Workflow notes every reader of the timeline needs; other event notes (closing note, reveal reason)
# may describe the family and follow the notes rule of SPEC §4.
PUBLIC_EVENT_NOTES = frozenset(
    {
        EventKind.ROUTED,
        EventKind.AUTO_ROUTED,
        EventKind.DECLINED,
        EventKind.ASSIGNED,
        EventKind.HANDED_OVER,
        EventKind.REOPENED,
        EventKind.WITHDRAWN,
    }
)
