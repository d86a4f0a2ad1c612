"""The case steps of SPEC §3 and §4, in one registry that the API and the web pages both drive.

Each step has one name, the permission it needs, the statuses it may be taken from, its input (a form of
outreach/forms.py, which both doors validate with), its service and its messages. The API serves every step at
`POST /api/v1/cases/{id}/<name with hyphens>/` (the three that add a record to the case at the record's own
collection), the web at `/cases/{id}/do/<name>/`. Adding a step is one entry here plus its service.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outreach import forms, services
from outreach.access import AccessScope
from outreach.models import OPEN_STATUSES, Case, Status
from schools.permissions import Action

ANY_STATUS = (*OPEN_STATUSES, Status.CLOSED)


@dataclass(frozen=True)
class Step:
    name: str
    action: Action
    allowed_from: tuple[Status, ...]
    form: type[forms.StepForm]
    service: Callable[..., Any]
    title: Promise
    done: Promise
    # What the step adds to the case, for the steps whose API answer is that record (201) rather than the case.
    creates: str | None = None
    # The step shares the case with its caller (a reveal): their scope must be read again after it.
    changes_grants: bool = False
    # The API serves the step as `PATCH /api/v1/cases/{id}/` (the case's own fields).
    edits_case: bool = False
    # The web serves the step on a page of its own (its URL name), linked from the case page.
    page: str | None = None
    # The step may take the case out of its caller's sight (a centre declining it).
    hides_case: bool = False
    # A question a page asks before taking the step, naming what the form chose (`%(outcome)s`): for steps whose
    # one tap could skew a record (a closure decides the funders' figures). The API's callers are explicit.
    confirm: Promise | None = None
    # The secondary choice beside a primary one (decline beside accept): it must not look like the way forward.
    secondary: bool = False

    @property
    def api_path(self) -> str:
        return self.creates or self.name.replace("_", "-")

    def run(self, form: forms.StepForm, *, actor, scope: AccessScope, if_match=None) -> Any:
        """Calls the service with a valid form's values, on the form's case and at the form's time."""
        return self.service(
            actor=actor, scope=scope, case=form.case, now=form.now, if_match=if_match, **form.service_arguments()
        )

    def confirmation(self, form: forms.StepForm) -> str:
        """The message once done, naming what the form chose where it says (`%(centre)s`)."""
        return str(self.done) % form.described()

    def question(self, form: forms.StepForm) -> str:
        """The confirmation a page asks for, naming the case and what the form chose."""
        return str(self.confirm) % {"reference": form.case.reference, **form.described()}

    def offered(self, scope: AccessScope, case: Case) -> bool:
        """Whether the caller may take this step on the case right now, so a page offers it. An anonymised case
        takes no step: reopening it, or recording anything on it, would bring an erased file back to life."""
        return (
            case.anonymised_at is None
            and self.action in scope.permissions_on(case)
            and case.status in self.allowed_from
        )


def _registry(*steps: Step) -> dict[str, Step]:
    return {step.name: step for step in steps}


# In the order a case page offers them: the doorstep form first.
STEPS = _registry(
    Step(
        "log_contact",
        Action.LOG_CONTACT,
        (Status.IN_PROGRESS,),
        forms.ContactForm,
        services.contact_log,
        _("Log a contact"),
        _("Contact logged."),
        creates="contacts",
    ),
    Step(
        "log_tutoring",
        Action.LOG_CONTACT,
        (Status.IN_PROGRESS,),
        forms.TutoringForm,
        services.tutoring_log,
        _("Log a tutoring session"),
        _("Tutoring session logged."),
        creates="tutoring",
    ),
    Step(
        "record_support",
        Action.LOG_CONTACT,
        (Status.IN_PROGRESS,),
        forms.SupportForm,
        services.support_record,
        _("Record a support given outside a contact"),
        _("Support recorded."),
        creates="supports",
    ),
    Step(
        "accept",
        Action.ACCEPT,
        (Status.ROUTED,),
        forms.NoInputForm,
        services.case_accept,
        _("Accept the case"),
        _("Case accepted."),
    ),
    Step(
        "decline",
        Action.ACCEPT,
        (Status.ROUTED,),
        forms.DeclineForm,
        services.case_decline,
        _("Decline the case"),
        _("Case declined: it is back in triage."),
        hides_case=True,
        secondary=True,
    ),
    Step(
        "edit_flag",
        Action.EDIT_FLAG,
        OPEN_STATUSES,
        forms.FlagEditForm,
        services.case_update_flag,
        _("Edit the flag"),
        _("Flag updated."),
        edits_case=True,
        page="outreach:flag_edit",
    ),
    Step(
        "update_contact_details",
        Action.EDIT_FLAG,
        OPEN_STATUSES,
        forms.ContactDetailsForm,
        services.contact_details_update,
        _("Update the family's contact details"),
        _("Contact details updated: the centre sees them on the case."),
        page="outreach:contact_details",
    ),
    Step(
        "route",
        Action.ROUTE,
        OPEN_STATUSES,
        forms.RouteForm,
        services.case_route,
        _("Route to a centre"),
        _("Case routed to %(centre)s."),
    ),
    Step(
        "assign",
        Action.ASSIGN,
        (Status.ROUTED, Status.IN_PROGRESS),
        forms.AssignForm,
        services.case_assign,
        _("Assign animators"),
        _("Animators assigned."),
    ),
    Step(
        "family_notice",
        Action.FAMILY_NOTICE,
        ANY_STATUS,
        forms.FamilyNoticeForm,
        services.family_notice_record,
        _("Record that the family was informed"),
        _("Family notice recorded."),
    ),
    Step(
        "close",
        Action.CLOSE,
        (Status.IN_PROGRESS,),
        forms.CloseForm,
        services.case_close,
        _("Close the case"),
        _("Case closed."),
        confirm=_("Close case %(reference)s with the outcome “%(outcome)s”?"),
    ),
    Step(
        "withdraw",
        Action.WITHDRAW,
        OPEN_STATUSES,
        forms.WithdrawForm,
        services.case_withdraw,
        _("Withdraw the flag (pupil back)"),
        _("Flag withdrawn."),
        confirm=_("Withdraw the flag of case %(reference)s? It closes the case: “%(note)s”."),
        secondary=True,
    ),
    Step(
        "reopen",
        Action.REOPEN,
        (Status.CLOSED,),
        forms.ReopenForm,
        services.case_reopen,
        _("Reopen the case"),
        _("Case reopened."),
    ),
    Step(
        "confirm_return",
        Action.CONFIRM_RETURN,
        ANY_STATUS,
        forms.ReturnForm,
        services.return_confirm,
        _("Confirm the return to class"),
        _("Return recorded."),
    ),
    Step(
        "reveal",
        Action.REVEAL,
        ANY_STATUS,
        forms.RevealForm,
        services.identity_reveal,
        _("Reveal the pupil's identity"),
        _("Identity revealed. Your reason is in the access log."),
        changes_grants=True,
    ),
)


def steps_offered(scope: AccessScope, case: Case) -> list[Step]:
    return [step for step in STEPS.values() if step.offered(scope, case)]
