"""Reads. The one place that decides which cases a user can see and what they may do with them."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as When_
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Centre,
    CentreGroupObjectPermission,
    CentreUserObjectPermission,
    Contact,
    Neighbourhood,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
)
from schools.errors import ActionForbidden, InvalidInput, NotFound
from schools.models import Pupil, School, SchoolGroupObjectPermission, SchoolUserObjectPermission
from schools.permissions import Action, Role, role_of


@dataclass(frozen=True)
class AccessScope:
    """Everything a user holds, loaded in three queries whatever the number of cases."""

    global_perms: frozenset[str] = frozenset()
    school_perms: dict[int, frozenset[str]] = field(default_factory=dict)
    centre_perms: dict[int, frozenset[str]] = field(default_factory=dict)
    case_perms: dict[uuid.UUID, frozenset[str]] = field(default_factory=dict)

    def permissions_on(self, case: Case) -> frozenset[str]:
        return (
            self.global_perms
            | self.school_perms.get(case.school_id, frozenset())
            | (self.centre_perms.get(case.centre_id, frozenset()) if case.centre_id else frozenset())
            | self.case_perms.get(case.pk, frozenset())
        )

    def can(self, action: Action, case: Case) -> bool:
        return action in self.permissions_on(case)

    def schools_with(self, action: Action) -> list[int]:
        return [school_id for school_id, perms in self.school_perms.items() if action in perms]

    def centres_with(self, action: Action) -> list[int]:
        return [centre_id for centre_id, perms in self.centre_perms.items() if action in perms]

    def can_on_school(self, action: Action, school_id: int) -> bool:
        return action in self.global_perms or action in self.school_perms.get(school_id, frozenset())

    def can_on_centre(self, action: Action, centre_id: int) -> bool:
        return action in self.global_perms or action in self.centre_perms.get(centre_id, frozenset())

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

    @property
    def is_coordinator(self) -> bool:
        return role_of(self.global_perms, None) == Role.COORDINATOR

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
    if user is None or not user.is_authenticated or not user.is_active:
        return AccessScope()
    case_type = ContentType.objects.get_for_model(Case)
    global_perms = frozenset(
        Permission.objects.filter(content_type=case_type)
        .filter(Q(user=user) | Q(group__user=user))
        .values_list("codename", flat=True)
    )

    def org_rows(model, kind: str, **owner):
        return (
            model.objects.filter(**owner)
            .annotate(kind=Value(kind))
            .values_list("kind", "content_object_id", "permission__codename")
        )

    org_perm_rows = org_rows(SchoolUserObjectPermission, "school", user=user).union(
        org_rows(SchoolGroupObjectPermission, "school", group__user=user),
        org_rows(CentreUserObjectPermission, "centre", user=user),
        org_rows(CentreGroupObjectPermission, "centre", group__user=user),
        all=True,
    )
    school_rows, centre_rows = [], []
    for kind, org_id, codename in org_perm_rows:
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
        global_perms=global_perms,
        school_perms=_grouped(school_rows),
        centre_perms=_grouped(centre_rows),
        case_perms=_grouped((uuid.UUID(str(case_id)), codename) for case_id, codename in case_rows),
    )


def cases_visible_to(user, *, scope: AccessScope | None = None) -> QuerySet[Case]:
    """Own schools' cases, cases routed to own centres, explicit shares; every case for coordinators."""
    scope = scope or access_scope(user)
    if Action.VIEW_SUMMARY in scope.global_perms:
        return Case.objects.all()
    visible = Q(school_id__in=scope.schools_with(Action.VIEW_SUMMARY)) | Q(
        centre_id__in=scope.centres_with(Action.VIEW_SUMMARY)
    )
    shared = [case_id for case_id, perms in scope.case_perms.items() if Action.VIEW_SUMMARY in perms]
    if shared:
        visible |= Q(pk__in=shared)
    return Case.objects.filter(visible)


def case_for_user(user, case_id, action: Action, *, scope: AccessScope | None = None) -> Case:
    """The one gate: not-found for a case the user cannot see, forbidden for an action they may not take."""
    scope = scope or access_scope(user)
    try:
        case_uuid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError as error:
        raise NotFound() from error
    case = cases_visible_to(user, scope=scope).select_related("pupil", "school", "centre").filter(pk=case_uuid).first()
    if case is None:
        raise NotFound()
    if not scope.can(action, case):
        raise ActionForbidden()
    return case


def school_for_user(user, school_id: int, action: Action, *, scope: AccessScope | None = None) -> School:
    scope = scope or access_scope(user)
    if not scope.can_on_school(action, school_id):
        raise NotFound() if not scope.school_perms.get(school_id) else ActionForbidden()
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        raise NotFound()
    return school


def school_to_flag_for(user, uai: str | None, *, scope: AccessScope | None = None) -> School:
    """The school a flag is for: the one named by UAI, or the user's only school when none is named."""
    scope = scope or access_scope(user)
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


def centre_for_user(user, centre_id: int, action: Action, *, scope: AccessScope | None = None) -> Centre:
    scope = scope or access_scope(user)
    if not scope.can_on_centre(action, centre_id):
        raise NotFound() if not scope.centre_perms.get(centre_id) else ActionForbidden()
    centre = Centre.objects.filter(pk=centre_id).first()
    if centre is None:
        raise NotFound()
    return centre


def overdue_conditions(now: datetime | None = None) -> dict[str, Q]:
    """Each deadline of SPEC §3 as a condition on indexed case columns."""
    now = now or timezone.now()
    days = settings.RADAR_DEADLINES
    return {
        "triage": Q(status=Status.FLAGGED, status_changed_at__lt=now - timedelta(days=days["triage"])),
        "acceptance": Q(status=Status.ROUTED, status_changed_at__lt=now - timedelta(days=days["acceptance"])),
        "first_contact": Q(
            status=Status.IN_PROGRESS,
            first_contact_at__isnull=True,
            accepted_at__lt=now - timedelta(days=days["first_contact"]),
        ),
        "no_contact": Q(status=Status.IN_PROGRESS, last_contact_at__lt=now - timedelta(days=days["no_contact"])),
        "family_notice": Q(
            status__in=[Status.FLAGGED, Status.ROUTED, Status.IN_PROGRESS],
            family_informed_on__isnull=True,
            flagged_at__lt=now - timedelta(days=days["family_notice"]),
        ),
    }


def overdue_q(now: datetime | None = None) -> Q:
    return reduce(or_, overdue_conditions(now).values())


def _true_or_false(condition: Q) -> When_:
    """CASE WHEN, not the bare condition: a comparison with a NULL column (no contact yet) would give
    NULL, so `overdue` would be None and `.filter(overdue=False)` would drop the case."""
    return When_(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def with_overdue(queryset: QuerySet[Case], now: datetime | None = None) -> QuerySet[Case]:
    """Annotates `overdue` and one `overdue_<deadline>` flag per deadline, each True or False, never None."""
    conditions = overdue_conditions(now)
    annotations = {f"overdue_{name}": _true_or_false(condition) for name, condition in conditions.items()}
    annotations["overdue"] = _true_or_false(reduce(or_, conditions.values()))
    return queryset.annotate(**annotations)


def overdue_reasons(case: Case) -> list[str]:
    """The deadlines an annotated case has missed (see with_overdue)."""
    return [name for name in overdue_conditions() if getattr(case, f"overdue_{name}", False)]


def open_case_of(pupil: Pupil) -> Case | None:
    return Case.objects.exclude(status=Status.CLOSED).filter(pupil=pupil).first()


def centres_covering(*, neighbourhood_name: str, postcode: str) -> list[Centre]:
    """Centres covering the pupil's neighbourhood if the school gave one we know, else their postcode.

    Names are compared with casefold() in Python: SQLite's iexact ignores case for ASCII only
    ("BÉTHUNE" ≠ "Béthune"), and the neighbourhood table is a short reference list.
    """
    wanted = neighbourhood_name.strip().casefold()
    neighbourhood_ids = []
    if wanted:
        neighbourhood_ids = [
            pk for pk, name in Neighbourhood.objects.values_list("pk", "name") if name.casefold() == wanted
        ]
    if not neighbourhood_ids and postcode.strip():
        neighbourhood_ids = list(
            Neighbourhood.objects.filter(postcodes__postcode=postcode.strip()).values_list("pk", flat=True)
        )
    if not neighbourhood_ids:
        return []
    return list(Centre.objects.filter(neighbourhoods__in=neighbourhood_ids).distinct().order_by("name"))


def centre_staff(centre: Centre, action: Action = Action.LOG_CONTACT):
    """Active users holding `action` on the centre, directly or through a group."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(
                centreuserobjectpermission__content_object=centre,
                centreuserobjectpermission__permission__codename=action,
            )
            | Q(
                groups__centregroupobjectpermission__content_object=centre,
                groups__centregroupobjectpermission__permission__codename=action,
            )
        )
        .distinct()
        .order_by(F("last_name").asc(), "username")
    )


def _count_of(model, related: str = "case") -> Coalesce:
    counted = (
        model.objects.filter(**{related: OuterRef("pk")}).order_by().values(related).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def case_list(user, *, scope: AccessScope | None = None) -> QuerySet[Case]:
    """Visible cases with everything a case page or list row shows, in a fixed number of queries."""
    return with_overdue(
        cases_visible_to(user, scope=scope)
        .select_related("pupil", "pupil__school", "school", "centre")
        .prefetch_related(
            "reasons",
            "animators",
            "pupil__guardians",
            Prefetch("return_confirmations", queryset=ReturnConfirmation.objects.order_by("-on", "-created_at")),
        )
        .annotate(
            contact_count=_count_of(Contact),
            tutoring_count=_count_of(TutoringSession),
            support_count=_count_of(Support),
        )
    )
