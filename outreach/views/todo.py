""" "À faire": each role's home page, what to do today with a one-tap action per line."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from outreach import todo
from outreach.access import centres_staffed, request_scope
from outreach.audit import record_list_read
from outreach.steps import STEPS
from outreach.views.common import pupil_page


def _action_url(task: todo.Task) -> str:
    """Where the line's action is done: the step's own page, or the step's form on the case page."""
    if task.request_id is not None:
        return reverse("outreach:family_request", args=[task.request_id])
    step = STEPS.get(task.step)
    if step is not None and step.page is not None:
        return reverse(step.page, args=[task.case_id])
    anchor = f"#step-{task.step}" if step is not None else ""
    return reverse("outreach:case", args=[task.case_id]) + anchor


@pupil_page
@require_GET
def todo_page(request):
    scope = request_scope(request)
    now = timezone.now()
    last_visit = todo.visit(request.user.pk, now)
    sections = todo.todo_for(scope, now=now, last_visit=last_visit)
    for section in sections:
        section.rows = [(task, _action_url(task), STEPS.get(task.step)) for task in section.tasks]
    shown = [task.case_id for section in sections for task in section.tasks]
    record_list_read(user=request.user, what="todo", case_ids=shown)
    context = {"sections": sections, "now": now, "programmes": bool(centres_staffed(scope))}
    return render(request, "outreach/todo.html", context)
