"""Centre managers: hand a leaving animator's caseload over to a colleague."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from outreach import services
from outreach.access import centre_for, centres_managed, request_scope
from outreach.forms import HandoverForm
from outreach.views.common import pupil_page, show_domain_error
from schools.domain_errors import DomainError
from schools.permissions import Action


@pupil_page
@require_http_methods(["GET", "POST"])
def handover_page(request):
    scope = request_scope(request)
    form = HandoverForm(request.POST or None, centres=centres_managed(scope))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.caseload_handover(
                actor=request.user,
                scope=scope,
                centre=centre_for(scope, data["centre"].pk, Action.ASSIGN),
                from_user=form.staff[data["from_user"]],
                to_user=form.staff[data["to_user"]],
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                ngettext("%(count)d open case handed over.", "%(count)d open cases handed over.", moved)
                % {"count": moved},
            )
            return redirect("outreach:case_list")
    return render(request, "outreach/handover.html", {"form": form}, status=400 if form.errors else 200)
