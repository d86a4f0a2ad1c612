"""The roles of SPEC §1 and §4: named bundles of permission codenames, each held on one kind of organisation."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from schools.permissions import Action


class Role(StrEnum):
    SCHOOL_STAFF = "school_staff"
    ANIMATOR = "animator"
    CENTRE_MANAGER = "centre_manager"
    COORDINATOR = "coordinator"


ROLE_LABELS = {
    Role.SCHOOL_STAFF: _("School staff"),
    Role.ANIMATOR: _("Animator"),
    Role.CENTRE_MANAGER: _("Centre manager"),
    Role.COORDINATOR: _("Coordinator"),
}

# Which kind of organisation a role is held on; None means a global role.
ROLE_ORGANISATION = {
    Role.SCHOOL_STAFF: "school",
    Role.ANIMATOR: "centre",
    Role.CENTRE_MANAGER: "centre",
    Role.COORDINATOR: None,
}

_ANIMATOR = frozenset(
    {
        Action.VIEW_SUMMARY,
        Action.VIEW_IDENTITY,
        Action.VIEW_NOTES,
        Action.LOG_CONTACT,
        Action.CLOSE,
        Action.FAMILY_NOTICE,
        Action.VIEW_REPORTS,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.SCHOOL_STAFF: frozenset(
        {
            Action.VIEW_SUMMARY,
            Action.VIEW_IDENTITY,
            Action.FLAG,
            Action.EDIT_FLAG,
            Action.WITHDRAW,
            Action.CONFIRM_RETURN,
            Action.FAMILY_NOTICE,
            Action.VIEW_REPORTS,
        }
    ),
    Role.ANIMATOR: _ANIMATOR,
    Role.CENTRE_MANAGER: _ANIMATOR | {Action.ACCEPT, Action.ASSIGN, Action.VIEW_FUNDERS_REPORT},
    # Coordinators see pseudonymised pupils: identity only through a logged reveal.
    Role.COORDINATOR: frozenset(
        {
            Action.VIEW_SUMMARY,
            Action.ACCEPT,
            Action.CLOSE,
            Action.ROUTE,
            Action.REOPEN,
            Action.REVEAL,
            Action.VIEW_REPORTS,
            Action.VIEW_FUNDERS_REPORT,
            Action.VIEW_ACCESS_LOG,
            Action.EXPORT_PUPIL,
        }
    ),
}


def role_of(codenames: set[str] | frozenset[str], organisation_kind: str | None) -> Role | None:
    """The most complete role of that organisation kind whose bundle the codenames hold."""
    candidates = [role for role, kind in ROLE_ORGANISATION.items() if kind == organisation_kind]
    held = [role for role in candidates if ROLE_PERMISSIONS[role] <= codenames]
    return max(held, key=lambda role: len(ROLE_PERMISSIONS[role]), default=None)
