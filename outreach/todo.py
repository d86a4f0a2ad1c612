""" "À faire": what each role has to do today, read in a fixed number of queries whatever the caseload.

Every line names the pupil (as the caller may see them), the task, and the step that does it. Each section shows
its most urgent lines and how many there are in all (counted up to a cap), so a page stays short on a phone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outreach import dashboard
from outreach.access import AccessScope, cases_visible_to, centres_run, centres_staffed
from outreach.models import (
    NO_RETURN_TO_CONFIRM,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Contact,
    EventKind,
    GroupSession,
    ReturnConfirmation,
    Status,
    TodoVisit,
)
from outreach.redaction import disclosure, pupil_label
from outreach.selectors import open_requests
from schools.permissions import Action

LINES = 20
COUNT_CAP = 500

DEADLINE_TASKS: dict[str, tuple[Promise, str]] = {
    "triage": (_("Route the case to a centre"), "route"),
    "acceptance": (_("Accept or decline the case"), "accept"),
    "first_contact": (_("First contact attempt"), "log_contact"),
    "no_contact": (_("No contact for too long"), "log_contact"),
    "family_notice": (_("Record that the family was informed"), "family_notice"),
}


@dataclass(frozen=True)
class Task:
    case_id: object
    reference: str
    pupil: str
    what: str
    step: str
    due: date | datetime | None = None
    late: bool = False
    # A family request to answer (its own page), rather than a step on the case.
    request_id: int | None = None


@dataclass
class Section:
    key: str
    title: Promise
    tasks: list[Task] = field(default_factory=list)
    total: int = 0
    # The case list filtered to this section's cases, where the list can show them.
    more: dict[str, str] = field(default_factory=dict)
    # Figures instead of lines (a coordinator's overdue cases by deadline).
    counts: list[tuple[str, int]] = field(default_factory=list)
    # Group sessions instead of cases (today's registers to take).
    sessions: list[GroupSession] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


def _counted(queryset: QuerySet) -> int:
    return queryset.order_by()[: COUNT_CAP + 1].count()


def _task(scope: AccessScope, case: Case, what: str, step: str, due=None, late: bool = False) -> Task:
    return Task(
        case_id=case.pk,
        reference=case.reference,
        pupil=pupil_label(disclosure(scope, case), case),
        what=str(what),
        step=step,
        due=due,
        late=late,
    )


def _cases(queryset: QuerySet[Case], ordering: str) -> list[Case]:
    return list(queryset.select_related("pupil", "school").order_by(ordering, "pk")[:LINES])


def centre_work(scope: AccessScope) -> QuerySet[Case]:
    """The cases an animator or a manager works: a manager their centres' cases; an animator those assigned to them
    and those of their centres nobody is assigned to yet."""
    cases = cases_visible_to(scope).filter(centre_id__in=scope.centres_with(Action.LOG_CONTACT))
    if scope.centres_with(Action.ASSIGN):
        return cases
    through = Case.animators.through
    assigned = through.objects.filter(case=OuterRef("pk"))
    return cases.filter(Exists(assigned.filter(user_id=scope.user_id)) | ~Exists(assigned))


def next_steps_due(scope: AccessScope, cases: QuerySet[Case], today: date) -> Section:
    due = cases.filter(status=Status.IN_PROGRESS, next_step_due_on__lte=today)
    latest = Contact.objects.filter(case=OuterRef("pk")).order_by("-occurred_at", "-pk").values("next_step")
    rows = _cases(due.annotate(next_step=Subquery(latest[:1])), "next_step_due_on")
    return Section(
        "next_steps",
        _("Next steps due"),
        [
            _task(
                scope,
                case,
                case.next_step or _("Next step"),
                "log_contact",
                case.next_step_due_on,
                case.next_step_due_on < today,
            )
            for case in rows
        ],
        _counted(due),
    )


def deadlines(scope: AccessScope, cases: QuerySet[Case], now: datetime) -> Section:
    """Open cases whose earliest deadline has passed or falls today."""
    end_of_day = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.max.time()))
    due = cases.filter(status__in=OPEN_STATUSES, next_deadline_at__lte=end_of_day)
    tasks = []
    for case in _cases(due, "next_deadline_at"):
        name, moment = min(case.deadlines().items(), key=lambda item: item[1])
        what, step = DEADLINE_TASKS[name]
        tasks.append(_task(scope, case, what, step, moment, moment < now))
    return Section("deadlines", _("Deadlines"), tasks, _counted(due), {"overdue": "true"})


def to_accept(scope: AccessScope, now: datetime) -> Section:
    waiting = cases_visible_to(scope).filter(status=Status.ROUTED, centre_id__in=scope.centres_with(Action.ACCEPT))
    tasks = [
        _task(scope, case, _("Accept or decline the case"), "accept", case.status_changed_at)
        for case in _cases(waiting, "status_changed_at")
    ]
    return Section("to_accept", _("Cases waiting for your answer"), tasks, _counted(waiting), {"status": "routed"})


def thinning(scope: AccessScope, cases: QuerySet[Case], now: datetime) -> Section:
    """Accepted cases whose follow-up has thinned out: fewer than RADAR_THINNING_CONTACTS contacts in the last
    RADAR_THINNING_DAYS days (the Check & Connect norm)."""
    since = now - timedelta(days=settings.RADAR_THINNING_DAYS)
    recent = Count("contacts", filter=Q(contacts__occurred_at__gte=since))
    sparse = (
        cases.filter(status=Status.IN_PROGRESS, accepted_at__lte=since)
        .alias(recent_contacts=recent)
        .filter(recent_contacts__lt=settings.RADAR_THINNING_CONTACTS)
    )
    tasks = [
        _task(
            scope,
            case,
            _("Fewer than %(count)d contacts in %(days)d days")
            % {"count": settings.RADAR_THINNING_CONTACTS, "days": settings.RADAR_THINNING_DAYS},
            "log_contact",
            case.last_contact_at,
        )
        for case in _cases(sparse, "last_contact_at")
    ]
    return Section("thinning", _("Follow-up thinning out"), tasks, _counted(sparse))


def returns_to_confirm(scope: AccessScope, cases: QuerySet[Case]) -> Section:
    confirmed_since_closing = ReturnConfirmation.objects.filter(
        case=OuterRef("pk"), on__gte=TruncDate(ExpressionWrapper(OuterRef("closed_at"), output_field=DateTimeField()))
    )
    waiting = (
        cases.filter(status=Status.CLOSED)
        .exclude(outcome__in=NO_RETURN_TO_CONFIRM)
        .filter(~Exists(confirmed_since_closing))
    )
    tasks = [
        _task(scope, case, _("Confirm whether the pupil is back in class"), "confirm_return", case.closed_at)
        for case in _cases(waiting, "-closed_at")
    ]
    return Section("returns", _("Returns to confirm"), tasks, _counted(waiting))


def details_to_check(scope: AccessScope, cases: QuerySet[Case]) -> Section:
    asked = cases.filter(status__in=OPEN_STATUSES, details_to_check_since__isnull=False)
    tasks = [
        _task(
            scope,
            case,
            _("The centre cannot reach the family: check the contact details"),
            "update_contact_details",
            case.details_to_check_since,
            True,
        )
        for case in _cases(asked, "details_to_check_since")
    ]
    return Section("details", _("Contact details to check"), tasks, _counted(asked))


def family_notices(scope: AccessScope, cases: QuerySet[Case], now: datetime) -> Section:
    waiting = cases.filter(status__in=OPEN_STATUSES, family_informed_on__isnull=True)
    days = timedelta(days=settings.RADAR_DEADLINES["family_notice"])
    tasks = [
        _task(
            scope,
            case,
            _("Record that the family was informed"),
            "family_notice",
            case.flagged_at + days,
            case.flagged_at + days < now,
        )
        for case in _cases(waiting, "flagged_at")
    ]
    return Section("notices", _("Family notices to record"), tasks, _counted(waiting))


def since_last_visit(scope: AccessScope, cases: QuerySet[Case], last_visit: datetime | None, now: datetime) -> Section:
    """Cases of the school declined by a centre or closed since the user last opened this page."""
    since = last_visit or now - timedelta(days=7)
    news = (
        CaseEvent.objects.filter(case__in=cases, kind__in=[EventKind.DECLINED, EventKind.CLOSED], at__gt=since)
        .select_related("case__pupil", "case__school")
        .order_by("-at", "-pk")
    )
    labels = {EventKind.DECLINED: _("Declined by the centre: back in triage"), EventKind.CLOSED: _("Closed")}
    tasks = [
        _task(
            scope, event.case, labels[event.kind], "confirm_return" if event.kind == EventKind.CLOSED else "", event.at
        )
        for event in news[:LINES]
    ]
    return Section("news", _("Since your last visit"), tasks, _counted(news))


def sessions_today(scope: AccessScope, today: date) -> Section:
    """Today's sessions of the groups the caller leads, or of the centres they run, in the order they start."""
    sessions = (
        GroupSession.objects.filter(
            on=today, group__closed_at__isnull=True, group__centre_id__in=centres_staffed(scope)
        )
        .filter(Q(group__centre_id__in=centres_run(scope)) | Q(group__animators__id=scope.user_id))
        .select_related("group")
        .distinct()
        .order_by("starts_at", "group__name", "pk")
    )
    rows = list(sessions[:LINES])
    return Section("sessions", _("Today's group sessions"), sessions=rows, total=len(rows))


def visit(user_id: int, now: datetime) -> datetime | None:
    """Records this visit of the page; returns when the previous one was."""
    previous = TodoVisit.objects.filter(user_id=user_id).values_list("at", flat=True).first()
    TodoVisit.objects.update_or_create(user_id=user_id, defaults={"at": now})
    return previous


def family_requests_due(scope: AccessScope, today: date) -> Section:
    """A coordinator's requests from families, the one due soonest first: each must be answered within a month."""
    waiting = open_requests().select_related("case__pupil", "case__school")
    return Section(
        "family_requests",
        _("Family requests to answer"),
        [
            Task(
                case_id=item.case_id,
                reference=item.case.reference,
                pupil=pupil_label(disclosure(scope, item.case), item.case),
                what=str(item.get_kind_display()),
                step="",
                due=item.due_on,
                late=item.due_on < today,
                request_id=item.pk,
            )
            for item in waiting[:LINES]
        ],
        _counted(waiting),
    )


def todo_for(scope: AccessScope, *, now: datetime, last_visit: datetime | None) -> list[Section]:
    """The sections of the caller's roles, the most urgent first."""
    today = timezone.localdate(now)
    sections: list[Section] = []
    if scope.is_coordinator:
        visible = cases_visible_to(scope)
        triage = dashboard.triage_queue(visible, now)
        sections.append(
            Section(
                "triage",
                _("Cases waiting for a centre"),
                [
                    _task(scope, case, _("Route the case to a centre"), "route", case.status_changed_at, case.overdue)
                    for case in triage[:LINES]
                ],
                _counted(visible.filter(status=Status.FLAGGED)),
                {"status": "flagged"},
            )
        )
        sections.append(family_requests_due(scope, today))
        overdue = dashboard.overdue_by_deadline(visible, now)
        sections.append(
            Section(
                "overdue",
                _("Overdue cases, by deadline"),
                total=sum(overdue.values()),
                more={"overdue": "true"},
                counts=[(str(dashboard.DEADLINE_NAMES[name]), count) for name, count in overdue.items()],
            )
        )
    if scope.centres_with(Action.ACCEPT):
        sections.append(to_accept(scope, now))
    if scope.has_assignments:
        work = centre_work(scope)
        sections += [next_steps_due(scope, work, today), deadlines(scope, work, now), thinning(scope, work, now)]
        today_sessions = sessions_today(scope, today)
        if today_sessions.sessions:
            sections.insert(0, today_sessions)
    school_ids = scope.schools_with(Action.CONFIRM_RETURN)
    if school_ids:
        school_cases = cases_visible_to(scope).filter(school_id__in=school_ids)
        sections += [
            details_to_check(scope, school_cases),
            returns_to_confirm(scope, school_cases),
            family_notices(scope, school_cases, now),
            since_last_visit(scope, school_cases, last_visit, now),
        ]
    return sections
