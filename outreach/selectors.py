"""Reads: cases with what their pages and lists show, deadlines, coverage, staff. Scoping is outreach/access.py's."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    ExpressionWrapper,
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
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from outreach.access import AccessScope, cases_visible_to
from outreach.models import (
    Case,
    Centre,
    Contact,
    FamilyRequest,
    Neighbourhood,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
    neighbourhood_key,
)
from outreach.streets import street_neighbourhoods
from schools.models import Pupil
from schools.permissions import Action


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
    """Past any deadline: the same as any of overdue_conditions, on one indexed column kept by Case.save()."""
    return Q(next_deadline_at__lt=now or timezone.now())


def _true_or_false(condition: Q) -> When_:
    """CASE WHEN, not the bare condition: a comparison with a NULL column (no contact yet) would give
    NULL, so `overdue` would be None and `.filter(overdue=False)` would drop the case."""
    return When_(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def with_overdue(queryset: QuerySet[Case], now: datetime | None = None) -> QuerySet[Case]:
    """Annotates `overdue` and one `overdue_<deadline>` flag per deadline, each True or False, never None."""
    conditions = overdue_conditions(now)
    annotations = {f"overdue_{name}": _true_or_false(condition) for name, condition in conditions.items()}
    annotations["overdue"] = _true_or_false(overdue_q(now))
    return queryset.annotate(**annotations)


def overdue_reasons(case: Case) -> list[str]:
    """The deadlines an annotated case has missed (see with_overdue)."""
    return [name for name in settings.RADAR_DEADLINES if getattr(case, f"overdue_{name}", False)]


def open_case_of(pupil: Pupil) -> Case | None:
    return Case.objects.exclude(status=Status.CLOSED).filter(pupil=pupil).first()


def centres_covering(*, neighbourhood_name: str, postcode: str, address: str = "") -> list[Centre]:
    """Centres covering the pupil's neighbourhood if the school gave one Radar knows, else the neighbourhood their
    street lies in (the street list), else their postcode.

    The name is matched on Neighbourhood.key (case, accents, hyphens and spaces folded), through its index."""
    neighbourhood_ids: list[int] = []
    if wanted := neighbourhood_key(neighbourhood_name):
        neighbourhood_ids = list(Neighbourhood.objects.filter(key=wanted).values_list("pk", flat=True))
    if not neighbourhood_ids and address.strip():
        neighbourhood_ids = list(street_neighbourhoods([(address, postcode)]).values())
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


def case_list(scope: AccessScope, now: datetime | None = None) -> QuerySet[Case]:
    """Visible cases with everything a case page or list row shows, in a fixed number of queries."""
    return with_overdue(
        cases_visible_to(scope)
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
        ),
        now,
    )


def family_notice_compliance(cases: QuerySet[Case], *, now: datetime | None = None) -> dict:
    """Of the cases whose family-notice deadline has passed or whose family was informed, how many families were
    informed within RADAR_DEADLINE_FAMILY_NOTICE_DAYS of the flag (in Paris days): one query.

    {"cases": n, "in_time": k, "share": k / n, None without cases}."""
    now = now or timezone.now()
    days = timedelta(days=settings.RADAR_DEADLINES["family_notice"])
    deadline = ExpressionWrapper(TruncDate("flagged_at") + days, output_field=DateField())
    counts = cases.filter(Q(flagged_at__lt=now - days) | Q(family_informed_on__isnull=False)).aggregate(
        cases=Count("pk"),
        in_time=Count("pk", filter=Q(family_informed_on__isnull=False, family_informed_on__lte=deadline)),
    )
    share = counts["in_time"] / counts["cases"] if counts["cases"] else None
    return {"cases": counts["cases"], "in_time": counts["in_time"], "share": share}


# Families' requests (GDPR arts. 15 to 21) ------------------------------------------------------------------------


def open_requests() -> QuerySet[FamilyRequest]:
    """Requests not answered yet, the one due soonest first."""
    return FamilyRequest.objects.filter(closed_at__isnull=True).select_related("case").order_by("due_on", "pk")


def answered_requests(limit: int = 50) -> QuerySet[FamilyRequest]:
    return FamilyRequest.objects.filter(closed_at__isnull=False).select_related("case").order_by("-closed_at")[:limit]


def request_counts(today: date) -> dict[str, int]:
    """Open requests, and those past their month, in one query: the dashboard's figures."""
    return FamilyRequest.objects.filter(closed_at__isnull=True).aggregate(
        open=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today))
    )
