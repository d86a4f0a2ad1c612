"""The permission codenames of SPEC §4.

Every action on a case is a permission codename. The same codenames are declared on School,
Centre and Case, so a user holds them on the school that flagged a case, on the centre it is
routed to, globally (coordinators) or, exceptionally, on the case itself (a revocable share).
They are declared here because grants are held on School objects; the roles that bundle them
are in outreach/roles.py.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    VIEW_SUMMARY = "view_case_summary"
    VIEW_IDENTITY = "view_pupil_identity"
    VIEW_NOTES = "view_case_notes"
    FLAG = "flag_pupil"
    EDIT_FLAG = "edit_flag"
    WITHDRAW = "withdraw_case"
    CONFIRM_RETURN = "confirm_return"
    ACCEPT = "accept_case"
    ASSIGN = "assign_animators"
    LOG_CONTACT = "log_contact"
    CLOSE = "close_case"
    ROUTE = "route_case"
    REOPEN = "reopen_case"
    REVEAL = "reveal_identity"
    FAMILY_NOTICE = "record_family_notice"
    VIEW_REPORTS = "view_reports"
    VIEW_FUNDERS_REPORT = "view_funders_report"
    VIEW_ACCESS_LOG = "view_access_log"
    EXPORT_PUPIL = "export_pupil"


ACTION_LABELS = {
    Action.VIEW_SUMMARY: _("See case summary, contact kinds, dates and results"),
    Action.VIEW_IDENTITY: _("See pupil identity and guardians' contacts"),
    Action.VIEW_NOTES: _("See contact and tutoring notes"),
    Action.FLAG: _("Flag a pupil"),
    Action.EDIT_FLAG: _("Edit flag details while open"),
    Action.WITHDRAW: _("Withdraw a flag"),
    Action.CONFIRM_RETURN: _("Confirm a pupil's return"),
    Action.ACCEPT: _("Accept or decline a routed case"),
    Action.ASSIGN: _("Assign animators and hand a caseload over"),
    Action.LOG_CONTACT: _("Log contacts, tutoring and support"),
    Action.CLOSE: _("Close a case with an outcome"),
    Action.ROUTE: _("Route and reroute cases"),
    Action.REOPEN: _("Reopen a closed case"),
    Action.REVEAL: _("Reveal a pupil's identity"),
    Action.FAMILY_NOTICE: _("Record that the family was informed"),
    Action.VIEW_REPORTS: _("See outcome reports"),
    Action.VIEW_FUNDERS_REPORT: _("See the funders' report"),
    Action.VIEW_ACCESS_LOG: _("See the access log"),
    Action.EXPORT_PUPIL: _("Export everything held about a pupil"),
}

CASE_PERMISSIONS = [(action.value, ACTION_LABELS[action]) for action in Action]
