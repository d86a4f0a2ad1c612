"""Unusual access alerts: the coordinators' list, with the access-log rows behind each, and their review."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from outreach.access import request_scope
from outreach.access_alerts import access_alert_review, alerts_for_review
from outreach.models import AccessAction, AccessAlertEntry, EventKind
from outreach.views.common import pupil_page
from schools.domain_errors import InvalidTransition

ALERTS_PAGE_SIZE = 20


@pupil_page
@require_GET
def alerts_page(request):
    """Alerts to review first. Each alert's rows in one prefetch: three queries a page whatever it holds."""
    alerts = alerts_for_review(request_scope(request)).prefetch_related(
        Prefetch(
            "entry_links",
            queryset=AccessAlertEntry.objects.select_related("access_log__case").order_by(
                "access_log__at", "access_log__pk"
            ),
        )
    )
    page = Paginator(alerts, ALERTS_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {**dict(EventKind.choices), **dict(AccessAction.choices)}
    for alert in page.object_list:
        alert.rows = [link.access_log for link in alert.entry_links.all()]
        for row in alert.rows:
            row.what_label = labels.get(row.what, row.what)
    return render(request, "outreach/alerts.html", {"page": page})


@pupil_page
@require_POST
def alert_review(request, alert_id: int):
    try:
        access_alert_review(
            actor=request.user, alert_id=alert_id, note=request.POST.get("note", ""), scope=request_scope(request)
        )
    except InvalidTransition as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Alert marked as reviewed."))
    return redirect("outreach:alerts")
