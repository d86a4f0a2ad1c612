"""Mon compte: who the user is in Radar, and what they receive by email."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from outreach.access import request_scope
from outreach.account import daily_digest_choose, roles_held, wants_daily_digest


class DigestForm(forms.Form):
    daily_digest = forms.BooleanField(
        label=gettext_lazy("Send me the daily digest of overdue cases and next steps due"), required=False
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_page(request):
    if request.method == "POST":
        form = DigestForm(request.POST)
        if form.is_valid():
            daily_digest_choose(actor=request.user, receive=form.cleaned_data["daily_digest"])
            messages.success(request, _("Your choice is saved."))
            return redirect("outreach:account")
    else:
        form = DigestForm(initial={"daily_digest": wants_daily_digest(request.user.pk)})
    return render(request, "outreach/account.html", {"form": form, "roles": roles_held(request_scope(request))})
