"""Centre managers: hand a leaving animator's caseload over to a colleague."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy, ngettext

from outreach import services
from outreach.models import Centre
from outreach.selectors import centre_staff
from outreach.views.common import scope_of, show_domain_error
from schools.errors import DomainError
from schools.permissions import Action


class HandoverForm(forms.Form):
    centre = forms.ModelChoiceField(label=gettext_lazy("Centre"), queryset=Centre.objects.none())
    from_user = forms.ChoiceField(label=gettext_lazy("Animator leaving"))
    to_user = forms.ChoiceField(label=gettext_lazy("Colleague taking over"))

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.staff = {}
        for centre in centres:
            for user in centre_staff(centre):
                self.staff[str(user.pk)] = user
        choices = [(pk, user.get_full_name() or user.get_username()) for pk, user in self.staff.items()]
        self.fields["from_user"].choices = choices
        self.fields["to_user"].choices = choices
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0].pk


@login_required
def handover_page(request):
    centre_ids = scope_of(request).centres_with(Action.ASSIGN)
    if not centre_ids:
        raise PermissionDenied
    centres = Centre.objects.filter(pk__in=centre_ids).order_by("name")
    form = HandoverForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.caseload_handover(
                actor=request.user,
                centre=data["centre"],
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
