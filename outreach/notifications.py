"""Emails: who is told what about a case, and the daily digest. SPEC §7: an email carries no personal data.

Every email holds case references, deadlines, counts and links into Radar (absolute, from RADAR_BASE_URL), never a
pupil's or a family's name, an address, or a note: the reader follows the link and Radar's own gates decide what
they see there (and log it). Even a next step's wording stays out, as an animator may have written a name in it.

Emails are django-tasks tasks, enqueued when the write's transaction commits (a rolled-back write tells nobody).
A task's arguments are a kind and ids only, so the task table holds no personal data either; the recipients and the
text are worked out when the task runs.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from outreach import dashboard, todo
from outreach.access import access_scope, cases_visible_to
from outreach.models import NO_RETURN_TO_CONFIRM, Case, NotificationPreference, Status
from outreach.selectors import centre_staff
from schools.permissions import Action


class CaseNews(StrEnum):
    ROUTED = "routed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CLOSED = "closed"


# Who hears of each: the centre's managers of a routing, the flagging school's staff of the centre's answer and of
# the closure (a return to confirm).
NEWS_STATUS = {
    CaseNews.ROUTED: Status.ROUTED,
    CaseNews.ACCEPTED: Status.IN_PROGRESS,
    CaseNews.DECLINED: Status.FLAGGED,
    CaseNews.CLOSED: Status.CLOSED,
}


def absolute_url(path: str) -> str:
    base = settings.RADAR_BASE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured("RADAR_BASE_URL must be set for emails to hold a link.")
    return base + path


# Set while writing a past that is nobody's news (the demo's story, seeded at its own dates).
_silenced: ContextVar[bool] = ContextVar("notifications_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def case_news_on_commit(news: CaseNews, case: Case) -> None:
    """Tells whoever should know, once the write that made the news is committed."""
    if not _silenced.get():
        transaction.on_commit(partial(send_case_news.enqueue, str(news), str(case.pk)))


def school_staff(school_id: int) -> QuerySet:
    """Active users of the school who follow its cases (those who may confirm a return), directly or by group."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(
                schooluserobjectpermission__content_object_id=school_id,
                schooluserobjectpermission__permission__codename=Action.CONFIRM_RETURN,
            )
            | Q(
                groups__schoolgroupobjectpermission__content_object_id=school_id,
                groups__schoolgroupobjectpermission__permission__codename=Action.CONFIRM_RETURN,
            )
        )
        .distinct()
    )


def news_recipients(news: CaseNews, case: Case) -> list[str]:
    if news == CaseNews.ROUTED:
        users = centre_staff(case.centre, Action.ACCEPT) if case.centre else get_user_model().objects.none()
    else:
        users = school_staff(case.school_id)
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def _signed(*paragraphs: str) -> str:
    return "\n\n".join(
        [
            _("Hello,"),
            *paragraphs,
            _(
                "This email holds no personal data: the link opens the case in Radar, where you see what your role "
                "allows."
            ),
            "— Radar",
        ]
    )


def case_news_email(news: CaseNews, case: Case) -> Email:
    """The email of one piece of news: the case's reference and a link to it."""
    link = absolute_url(reverse("outreach:case", args=[case.pk]))
    values = {"reference": case.reference, "link": link}
    if news == CaseNews.ROUTED:
        return Email(
            _("Radar: case %(reference)s routed to your centre") % values,
            _signed(_("Case %(reference)s has been routed to your centre. Accept or decline it:\n%(link)s") % values),
        )
    if news == CaseNews.ACCEPTED:
        return Email(
            _("Radar: case %(reference)s accepted") % values,
            _signed(_("A centre has accepted case %(reference)s and will contact the family:\n%(link)s") % values),
        )
    if news == CaseNews.DECLINED:
        return Email(
            _("Radar: case %(reference)s declined, back in triage") % values,
            _signed(
                _("The centre declined case %(reference)s; the coordinators will route it again:\n%(link)s") % values
            ),
        )
    if case.outcome in NO_RETURN_TO_CONFIRM:
        return Email(
            _("Radar: case %(reference)s closed") % values,
            _signed(_("Case %(reference)s is closed:\n%(link)s") % values),
        )
    return Email(
        _("Radar: case %(reference)s closed, a return to confirm") % values,
        _signed(
            _(
                "Case %(reference)s is closed. Please confirm whether the pupil is back in class, so the outcome is "
                "measured:\n%(link)s"
            )
            % values
        ),
    )


def _send(email: Email, recipients: list[str]) -> int:
    """One message per recipient: nobody learns who else was told."""
    messages = [EmailMessage(email.subject, email.body, to=[address]) for address in recipients]
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


@task()
def send_case_news(news: str, case_id: str) -> int:
    """Sends the news if it still holds when the task runs (a case declined before its routing was read is not
    news for the centre any more). Returns how many emails went."""
    case = Case.objects.select_related("centre").filter(pk=case_id).first()
    kind = CaseNews(news)
    if case is None or case.status != NEWS_STATUS[kind]:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        return _send(case_news_email(kind, case), news_recipients(kind, case))


# The daily digest ------------------------------------------------------------------------------------------------


def _due(moment: date | datetime | None) -> str:
    if moment is None:
        return ""
    day = timezone.localdate(moment) if isinstance(moment, datetime) else moment
    return " (%s)" % (_("due %(date)s") % {"date": formats.date_format(day, "SHORT_DATE_FORMAT")})


def digest_email(user, *, now: datetime) -> Email | None:
    """What a manager or an animator has overdue and due today, and the coordinators' overdue counts; None when
    there is nothing to tell."""
    scope = access_scope(user)
    paragraphs: list[str] = []
    case_list = absolute_url(reverse("outreach:case_list"))
    if scope.has_assignments:
        work = todo.centre_work(scope)
        for section in (todo.deadlines(scope, work, now), todo.next_steps_due(scope, work, timezone.localdate(now))):
            if not section.total:
                continue
            lines = [
                "- {reference}: {what}{due}\n  {link}".format(
                    reference=line.reference,
                    # A next step is written by hand and may name someone: only the deadlines' own wording goes out.
                    what=line.what if section.key == "deadlines" else _("next step due"),
                    due=_due(line.due),
                    link=absolute_url(reverse("outreach:case", args=[line.case_id])),
                )
                for line in section.tasks
            ]
            more = section.total - len(section.tasks)
            if more > 0:
                lines.append(_("… and %(count)d more: %(link)s") % {"count": more, "link": case_list})
            paragraphs.append(f"{section.title} ({section.total})\n" + "\n".join(lines))
    if scope.is_coordinator:
        visible = cases_visible_to(scope)
        waiting = visible.filter(status=Status.FLAGGED).count()
        if waiting:
            paragraphs.append(
                f"{_('Cases waiting for a centre')}: {waiting}\n{absolute_url(reverse('outreach:triage'))}"
            )
        overdue = dashboard.overdue_by_deadline(visible, now)
        if any(overdue.values()):
            counts = [f"- {dashboard.DEADLINE_NAMES[name]}: {count}" for name, count in overdue.items() if count]
            paragraphs.append(
                "\n".join([str(_("Overdue cases, by deadline")), *counts, absolute_url(reverse("outreach:dashboard"))])
            )
    if not paragraphs:
        return None
    paragraphs.append(
        _("You receive this digest every day; turn it off on your account page: %(link)s")
        % {"link": absolute_url(reverse("outreach:account"))}
    )
    return Email(_("Radar: your daily digest"), _signed(*paragraphs))


def digest_recipients() -> QuerySet:
    """Active users with an address who work a centre's caseload or coordinate, unless they turned the digest off."""
    case_type = ContentType.objects.get_for_model(Case)
    works_a_caseload = Q(centreuserobjectpermission__permission__codename=Action.LOG_CONTACT) | Q(
        groups__centregroupobjectpermission__permission__codename=Action.LOG_CONTACT
    )
    coordinates = Q(user_permissions__content_type=case_type, user_permissions__codename=Action.ROUTE) | Q(
        groups__permissions__content_type=case_type, groups__permissions__codename=Action.ROUTE
    )
    opted_out = NotificationPreference.objects.filter(daily_digest=False).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(works_a_caseload | coordinates)
        .exclude(pk__in=opted_out)
        .distinct()
        .order_by("pk")
    )


@task()
def send_digest(user_id: int) -> int:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        email = digest_email(user, now=timezone.now())
        return _send(email, [user.email]) if email else 0


def digests_enqueue() -> int:
    """One task per recipient, so a failing one never stops the others. Returns how many were enqueued."""
    user_ids = list(digest_recipients().values_list("pk", flat=True))
    for user_id in user_ids:
        send_digest.enqueue(user_id)
    return len(user_ids)
