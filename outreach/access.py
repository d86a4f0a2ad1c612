"""Who may see and do what: the caller's scope, the cases it makes visible, and the gates both doors go through.

The scope holds every grant of one user, loaded in two queries whatever the number of cases, once per request
(`request_scope`). Visibility is one filter on indexed columns of Case. The gates answer like SPEC §4: not found
for what the caller may not know exists, forbidden for an action they may not take on what they can see.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Q, QuerySet, Value
from django.utils.translation import gettext as _

from outreach.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Centre,
    CentreGroupObjectPermission,
    CentreUserObjectPermission,
    Device,
    DeviceLoan,
    GroupSession,
    ImportJob,
    TutoringGroup,
)
from outreach.roles import Role, role_of
from schools.domain_errors import ActionForbidden, InvalidInput, NotFound
from schools.models import School, SchoolGroupObjectPermission, SchoolUserObjectPermission
from schools.permissions import Action

NO_PERMS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AccessScope:
    """Everything one user holds: globally, per school, per centre, and per case (exceptional shares)."""

    user_id: int | None = None
    global_perms: frozenset[str] = NO_PERMS
    school_perms: dict[int, frozenset[str]] = field(default_factory=dict)
    centre_perms: dict[int, frozenset[str]] = field(default_factory=dict)
    case_perms: dict[uuid.UUID, frozenset[str]] = field(default_factory=dict)

    def permissions_on(self, case: Case) -> frozenset[str]:
        return (
            self.global_perms
            | self.school_perms.get(case.school_id, NO_PERMS)
            | (self.centre_perms.get(case.centre_id, NO_PERMS) if case.centre_id else NO_PERMS)
            | self.case_perms.get(case.pk, NO_PERMS)
        )

    def can(self, action: Action, case: Case) -> bool:
        return action in self.permissions_on(case)

    def schools_with(self, action: Action) -> list[int]:
        return [school_id for school_id, perms in self.school_perms.items() if action in perms]

    def centres_with(self, action: Action) -> list[int]:
        return [centre_id for centre_id, perms in self.centre_perms.items() if action in perms]

    def cases_with(self, action: Action) -> list[uuid.UUID]:
        return [case_id for case_id, perms in self.case_perms.items() if action in perms]

    def can_on_school(self, action: Action, school_id: int) -> bool:
        return action in self.global_perms or action in self.school_perms.get(school_id, NO_PERMS)

    def can_on_centre(self, action: Action, centre_id: int) -> bool:
        return action in self.global_perms or action in self.centre_perms.get(centre_id, NO_PERMS)

    def has_anywhere(self, action: Action) -> bool:
        """Whether the user holds the action globally or on at least one organisation or case."""
        return any(
            action in perms
            for perms in (
                self.global_perms,
                *self.school_perms.values(),
                *self.centre_perms.values(),
                *self.case_perms.values(),
            )
        )

    def holds(self, action: Action) -> Q:
        """The cases on which the user holds `action`, as one condition on indexed columns of Case."""
        if action in self.global_perms:
            return Q(pk__isnull=False)
        condition = Q(school_id__in=self.schools_with(action)) | Q(centre_id__in=self.centres_with(action))
        if shared := self.cases_with(action):
            condition |= Q(pk__in=shared)
        return condition

    @property
    def is_coordinator(self) -> bool:
        return role_of(self.global_perms, None) == Role.COORDINATOR

    @property
    def has_assignments(self) -> bool:
        """Whether cases can be assigned to this user: they work the caseload of a centre."""
        return bool(self.centres_with(Action.LOG_CONTACT))

    def roles(self) -> list[tuple[Role, str | None, int | None]]:
        """(role, organisation kind, organisation id) for every role the grants add up to."""
        held: list[tuple[Role, str | None, int | None]] = []
        if self.is_coordinator:
            held.append((Role.COORDINATOR, None, None))
        for kind, perms_by_org in (("school", self.school_perms), ("centre", self.centre_perms)):
            for org_id, perms in perms_by_org.items():
                role = role_of(perms, kind)
                if role is not None:
                    held.append((role, kind, org_id))
        return held


def _grouped(rows) -> dict:
    grouped: dict = {}
    for org_id, codename in rows:
        grouped.setdefault(org_id, set()).add(codename)
    return {org_id: frozenset(codenames) for org_id, codenames in grouped.items()}


def access_scope(user) -> AccessScope:
    """The user's grants, in two queries: global permissions with organisation grants, then case shares."""
    if user is None or not user.is_authenticated or not user.is_active:
        return AccessScope()
    case_type = ContentType.objects.get_for_model(Case)
    global_rows = (
        Permission.objects.filter(content_type=case_type)
        .filter(Q(user=user) | Q(group__user=user))
        .annotate(kind=Value("global"), org_id=Value(None, output_field=BigIntegerField()))
        .order_by()
        .values_list("kind", "org_id", "codename")
    )

    def org_rows(model, kind: str, **owner):
        return (
            model.objects.filter(**owner)
            .annotate(kind=Value(kind))
            .values_list("kind", "content_object_id", "permission__codename")
        )

    perm_rows = global_rows.union(
        org_rows(SchoolUserObjectPermission, "school", user=user),
        org_rows(SchoolGroupObjectPermission, "school", group__user=user),
        org_rows(CentreUserObjectPermission, "centre", user=user),
        org_rows(CentreGroupObjectPermission, "centre", group__user=user),
        all=True,
    )
    global_codenames: set[str] = set()
    school_rows: list[tuple[int, str]] = []
    centre_rows: list[tuple[int, str]] = []
    for kind, org_id, codename in perm_rows:
        if kind == "global":
            global_codenames.add(codename)
        else:
            (school_rows if kind == "school" else centre_rows).append((org_id, codename))

    case_rows = (
        CaseUserObjectPermission.objects.filter(user=user)
        .values_list("content_object_id", "permission__codename")
        .union(
            CaseGroupObjectPermission.objects.filter(group__user=user).values_list(
                "content_object_id", "permission__codename"
            ),
            all=True,
        )
    )
    return AccessScope(
        user_id=user.pk,
        global_perms=frozenset(global_codenames),
        school_perms=_grouped(school_rows),
        centre_perms=_grouped(centre_rows),
        case_perms=_grouped((uuid.UUID(str(case_id)), codename) for case_id, codename in case_rows),
    )


def _http_request(request) -> Any:
    """DRF wraps Django's request; the scope is kept on Django's (as `radar_scope`), which both doors share."""
    return getattr(request, "_request", request)


def request_scope(request) -> AccessScope:
    """The caller's scope, loaded once per request whichever door it came through."""
    http_request = _http_request(request)
    scope = getattr(http_request, "radar_scope", None)
    if scope is None or scope.user_id != getattr(request.user, "pk", None):
        scope = access_scope(request.user)
        http_request.radar_scope = scope
    return scope


def reload_request_scope(request) -> AccessScope:
    """After a write that changes the caller's own grants (a reveal shares the case with them)."""
    _http_request(request).radar_scope = access_scope(request.user)
    return _http_request(request).radar_scope


def cases_visible_to(scope: AccessScope) -> QuerySet[Case]:
    """Own schools' cases, cases routed to own centres, explicit shares; every case for coordinators."""
    if Action.VIEW_SUMMARY in scope.global_perms:
        return Case.objects.all()
    return Case.objects.filter(scope.holds(Action.VIEW_SUMMARY))


def case_for(
    scope: AccessScope, case_id, action: Action = Action.VIEW_SUMMARY, *, within: QuerySet[Case] | None = None
) -> Case:
    """The gate for a case: not found if the caller cannot see it, forbidden for an action they may not take.

    `within` is a narrower queryset of visible cases (selectors.case_list) when the caller shows the case: then
    it is read once, with everything it shows."""
    try:
        case_uuid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError as error:
        raise NotFound() from error
    visible = cases_visible_to(scope) if within is None else within
    case = visible.select_related("pupil", "school", "centre").filter(pk=case_uuid).first()
    if case is None:
        raise NotFound()
    if not scope.can(action, case):
        raise ActionForbidden()
    return case


def school_for(scope: AccessScope, school_id, action: Action) -> School:
    """Schools are reference data every user may list: an unknown one is not found, a missing right forbidden."""
    school = School.objects.filter(pk=_int_id(school_id)).first()
    if school is None:
        raise NotFound()
    if not scope.can_on_school(action, school.pk):
        raise ActionForbidden()
    return school


def centre_for(scope: AccessScope, centre_id, action: Action) -> Centre:
    """Centres are reference data every user may list: an unknown one is not found, a missing right forbidden."""
    centre = Centre.objects.filter(pk=_int_id(centre_id)).first()
    if centre is None:
        raise NotFound()
    if not scope.can_on_centre(action, centre.pk):
        raise ActionForbidden()
    return centre


def import_job_for(scope: AccessScope, job_id) -> ImportJob:
    """The gate for a CSV import: school staff of its school see it; anyone else is told it does not exist."""
    job = ImportJob.objects.defer("rows").filter(pk=job_id).first()
    if job is None or not scope.can_on_school(Action.FLAG, job.school_id):
        raise NotFound()
    return job


def _int_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise NotFound() from error
    if not 0 < number < 2**63:
        raise NotFound()
    return number


def school_to_flag_for(scope: AccessScope, uai: str | None) -> School:
    """The school a flag is for: the one named by UAI, or the user's only school when none is named."""
    if uai:
        school = School.objects.filter(uai=uai.strip().upper()).first()
        if school is None:
            raise InvalidInput(fields={"school": [_("Unknown UAI.")]})
        if not scope.can_on_school(Action.FLAG, school.pk):
            raise ActionForbidden(_("You may not flag pupils of this school."))
        return school
    schools = scope.schools_with(Action.FLAG)
    if not schools:
        raise ActionForbidden(_("You may not flag pupils."))
    if len(schools) > 1:
        raise InvalidInput(fields={"school": [_("You belong to several schools: give the school's UAI.")]})
    return School.objects.get(pk=schools[0])


def schools_to_flag_for(scope: AccessScope) -> list[School]:
    """The schools the caller may flag pupils of; forbidden for anyone who may flag nowhere."""
    school_ids = scope.schools_with(Action.FLAG)
    if not school_ids:
        raise ActionForbidden(_("You may not flag pupils."))
    return list(School.objects.filter(pk__in=school_ids).order_by("name"))


def require_somewhere(scope: AccessScope, action: Action) -> None:
    """For pages and endpoints scoped to what the caller can see (reports): holding the action anywhere."""
    if not scope.has_anywhere(action):
        raise ActionForbidden()


def require_global(scope: AccessScope, action: Action) -> None:
    """For pages and endpoints over every case (access log, triage, pupil export): a global grant."""
    if action not in scope.global_perms:
        raise ActionForbidden()


def require_coordinator(scope: AccessScope) -> None:
    if not scope.is_coordinator:
        raise ActionForbidden()


def funders_cases(scope: AccessScope) -> QuerySet[Case]:
    """Coordinators report on every case; a centre manager on the cases of their own centres."""
    require_somewhere(scope, Action.VIEW_FUNDERS_REPORT)
    if Action.VIEW_FUNDERS_REPORT in scope.global_perms:
        return Case.objects.all()
    return cases_visible_to(scope).filter(centre_id__in=scope.centres_with(Action.VIEW_FUNDERS_REPORT))


def centres_managed(scope: AccessScope) -> QuerySet[Centre]:
    """The centres whose caseload the caller may hand over; forbidden for anyone who manages none."""
    centre_ids = scope.centres_with(Action.ASSIGN)
    if not centre_ids:
        raise ActionForbidden()
    return Centre.objects.filter(pk__in=centre_ids).order_by("name")


# The centre's own programmes: groups and devices are the centre's business. Its staff see them; everyone else
# (schools, coordinators, other centres) is answered "not found", as for a case they cannot see.


def centres_staffed(scope: AccessScope) -> list[int]:
    """The centres whose staff the caller is (animator or manager): held on the centre, never globally."""
    return scope.centres_with(Action.LOG_CONTACT)


def centres_run(scope: AccessScope) -> list[int]:
    """The centres the caller manages: they create and close groups and keep the device inventory."""
    return scope.centres_with(Action.ASSIGN)


def require_centre_staff(scope: AccessScope) -> None:
    """For the programme pages and list endpoints: not found for whoever staffs no centre."""
    if not centres_staffed(scope):
        raise NotFound()


def groups_visible_to(scope: AccessScope) -> QuerySet[TutoringGroup]:
    return TutoringGroup.objects.filter(centre_id__in=centres_staffed(scope))


def group_for(scope: AccessScope, group_id, *, manage: bool = False) -> TutoringGroup:
    """A group of the caller's centres; forbidden to change (`manage`) for whoever does not run the centre."""
    group = groups_visible_to(scope).select_related("centre").filter(pk=_int_id(group_id)).first()
    if group is None:
        raise NotFound()
    if manage and group.centre_id not in centres_run(scope):
        raise ActionForbidden()
    return group


def may_take_register(scope: AccessScope, group: TutoringGroup, animator_ids: set[int]) -> bool:
    """One of the group's animators, or a manager of its centre."""
    return group.centre_id in centres_run(scope) or scope.user_id in animator_ids


def session_for(scope: AccessScope, session_id, *, register: bool = False) -> GroupSession:
    """A session of a visible group; forbidden to take its register for staff who neither lead it nor run the
    centre."""
    session = (
        GroupSession.objects.filter(group__centre_id__in=centres_staffed(scope), pk=_int_id(session_id))
        .select_related("group__centre")
        .first()
    )
    if session is None:
        raise NotFound()
    if register:
        animator_ids = set(session.group.animators.values_list("pk", flat=True))
        if not may_take_register(scope, session.group, animator_ids):
            raise ActionForbidden()
    return session


def devices_visible_to(scope: AccessScope) -> QuerySet[Device]:
    return Device.objects.filter(centre_id__in=centres_staffed(scope))


def device_for(scope: AccessScope, device_id) -> Device:
    device = devices_visible_to(scope).select_related("centre").filter(pk=_int_id(device_id)).first()
    if device is None:
        raise NotFound()
    return device


def loans_visible_to(scope: AccessScope) -> QuerySet[DeviceLoan]:
    return DeviceLoan.objects.filter(device__centre_id__in=centres_staffed(scope))


def loan_for(scope: AccessScope, loan_id) -> DeviceLoan:
    loan = loans_visible_to(scope).select_related("device", "case").filter(pk=_int_id(loan_id)).first()
    if loan is None:
        raise NotFound()
    return loan
