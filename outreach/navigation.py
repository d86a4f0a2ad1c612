"""Role-aware navigation: each role sees the pages of its work, nothing else."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from outreach.access import request_scope
from schools.permissions import Action


def home_url_for(scope) -> str:
    """Every role starts from what it has to do today."""
    if scope.is_coordinator or scope.centres_with(Action.LOG_CONTACT) or scope.schools_with(Action.VIEW_SUMMARY):
        return reverse("outreach:todo")
    return reverse("outreach:no_role")


def nav_items(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = request_scope(request)
    items = []
    if scope.has_anywhere(Action.VIEW_SUMMARY):
        items.append((_("To do"), reverse("outreach:todo")))
    if scope.has_anywhere(Action.VIEW_SUMMARY):
        label = _("Caseload") if scope.centres_with(Action.LOG_CONTACT) else _("Cases")
        items.append((label, reverse("outreach:case_list")))
    # The managers who run groups and keep the inventory. Animators reach both from their "À faire" page and the
    # case page: their menu stays on one line of a phone, the doorstep form within two screens.
    if scope.centres_with(Action.ASSIGN):
        items.append((_("Groups"), reverse("outreach:groups")))
        items.append((_("Devices"), reverse("outreach:devices")))
    if scope.schools_with(Action.FLAG):
        items.append((_("Flag a pupil"), reverse("outreach:flag")))
        items.append((_("Import a CSV"), reverse("outreach:flag_upload")))
    if scope.is_coordinator:
        items.append((_("Triage"), reverse("outreach:triage")))
        items.append((_("Dashboard"), reverse("outreach:dashboard")))
    if scope.has_anywhere(Action.VIEW_REPORTS):
        items.append((_("Reports"), reverse("outreach:reports")))
    if scope.has_anywhere(Action.VIEW_FUNDERS_REPORT):
        items.append((_("Funders' report"), reverse("outreach:funders_report")))
    if scope.centres_with(Action.ASSIGN):
        items.append((_("Hand over"), reverse("outreach:handover")))
    if Action.VIEW_ACCESS_LOG in scope.global_perms:
        items.append((_("Access log"), reverse("outreach:access_log")))
        items.append((_("Access alerts"), reverse("outreach:alerts")))
    if scope.is_coordinator:
        items.append((_("Family notice"), reverse("outreach:family_notice_texts")))
        items.append((_("Family requests"), reverse("outreach:family_requests")))
    path = request.path
    return {"nav_items": [{"label": label, "url": url, "current": path == url} for label, url in items]}
