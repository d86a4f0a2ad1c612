"""The family information notice: printed for a case by whoever can see it, edited by the coordinators."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from outreach.access import case_for, request_scope, require_coordinator
from outreach.family_notice import family_notice_text_update, notice_for_case, notice_texts
from outreach.models import RTL_NOTICE_LANGUAGES, FamilyNoticeText, NoticeLanguage
from outreach.views.common import pupil_page, show_domain_error
from schools.domain_errors import DomainError


@pupil_page
@require_GET
def notice_print_page(request, case_id):
    case = case_for(request_scope(request), case_id)
    language = request.GET.get("language", NoticeLanguage.FRENCH)
    if language not in NoticeLanguage.values:
        language = NoticeLanguage.FRENCH
    context = {
        "case": case,
        "language": language,
        "rtl": language in RTL_NOTICE_LANGUAGES,
        "languages": NoticeLanguage.choices,
        "text": notice_for_case(case, language),
        "printed_on": timezone.localdate(),
    }
    return render(request, "outreach/family_notice_print.html", context)


@pupil_page
@require_GET
def notice_texts_page(request):
    require_coordinator(request_scope(request))
    return render(request, "outreach/family_notice_texts.html", {"texts": notice_texts()})


class NoticeTextForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text of the notice"), widget=forms.Textarea(attrs={"rows": 30}))


@pupil_page
@require_http_methods(["GET", "POST"])
def notice_text_edit_page(request, language: str):
    scope = request_scope(request)
    require_coordinator(scope)
    if language not in NoticeLanguage.values:
        raise Http404
    current = FamilyNoticeText.objects.filter(language=language).first()
    form = NoticeTextForm(request.POST or None, initial={"text": current.text if current else ""})
    rtl = language in RTL_NOTICE_LANGUAGES
    form.fields["text"].widget.attrs.update(lang=language, dir="rtl" if rtl else "ltr")
    if request.method == "POST" and form.is_valid():
        try:
            family_notice_text_update(
                actor=request.user, language=language, text=form.cleaned_data["text"], scope=scope
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The notice is saved."))
            return redirect("outreach:family_notice_texts")
    return render(
        request,
        "outreach/family_notice_edit.html",
        {
            "form": form,
            "language": language,
            "language_name": NoticeLanguage(language).label,
        },
        status=400 if form.errors else 200,
    )
