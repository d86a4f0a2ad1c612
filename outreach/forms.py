"""Web forms: shape and types only. Rules live in the services; their errors come back next to the fields."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outreach.models import (
    Attendance,
    Centre,
    ContactKind,
    ContactResult,
    NoticeChannel,
    Outcome,
    Reason,
    Status,
    SupportKind,
    Urgency,
)

NOTES_HINT = _("Write objective facts only: the family may read this note.")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time typed in Paris. In the hour that repeats when clocks go back, the first one is
    meant; in the hour skipped in spring, the time is read as if the clocks had not changed yet. Django refuses
    both, which would turn a visit logged at 2:30 on a DST night into an unexplained error."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
        text = str(value).strip()
        for input_format in self.input_formats:
            try:
                return timezone.make_aware(datetime.strptime(text, input_format))
            except ValueError:
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Reference, or the pupil's name"))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open cases")), ("all", _("All")), *Status.choices]
    )
    scope = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("", _("All my cases")), ("mine", _("Assigned to me"))]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class RouteForm(forms.Form):
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.order_by("name"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why does the centre decline?"), widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    animators = forms.MultipleChoiceField(label=_("Animators"), widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(user.pk): user for user in staff}
        self.fields["animators"].choices = [
            (str(user.pk), user.get_full_name() or user.get_username()) for user in staff
        ]

    def selected_users(self):
        return [self.staff[pk] for pk in self.cleaned_data["animators"]]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ContactKind.choices, initial=ContactKind.HOME_VISIT, widget=forms.RadioSelect
    )
    result = forms.ChoiceField(label=_("Result"), choices=ContactResult.choices, widget=forms.RadioSelect)
    occurred_at = LocalDateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), required=False, min_value=0, max_value=1440)
    supports = forms.MultipleChoiceField(
        label=_("Support given or arranged"),
        choices=SupportKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    support_detail = forms.CharField(label=_("Support detail (partner, device…)"), required=False, max_length=300)
    notes = forms.CharField(
        label=_("Notes"), required=False, help_text=NOTES_HINT, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    next_step_due_on = forms.DateField(
        label=_("Next step due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("occurred_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
        super().__init__(*args, **kwargs)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        detail = data["support_detail"]
        return {
            "kind": data["kind"],
            "result": data["result"],
            "occurred_at": data["occurred_at"],
            "duration_minutes": data["duration_minutes"],
            "notes": data["notes"],
            "supports": [{"kind": kind, "detail": detail} for kind in data["supports"]],
            "next_step": data["next_step"],
            "next_step_due_on": data["next_step_due_on"],
        }


class TutoringForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=0, max_value=1440, initial=60)
    subjects = forms.CharField(label=_("Subjects"), required=False, max_length=200)
    attended = forms.BooleanField(label=_("The pupil attended"), required=False, initial=True)
    notes = forms.CharField(
        label=_("Notes"), required=False, help_text=NOTES_HINT, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate().isoformat())
        super().__init__(*args, **kwargs)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in Outcome.choices if c[0] != Outcome.RESOLVED_BY_SCHOOL]
    )
    note = forms.CharField(
        label=_("Closing note"), required=False, help_text=NOTES_HINT, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    note = forms.CharField(label=_("Why reopen the case?"), widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(forms.Form):
    attendance = forms.ChoiceField(
        label=_("Is the pupil attending again?"), choices=Attendance.choices, widget=forms.RadioSelect
    )
    half_days_missed = forms.IntegerField(label=_("Half-days missed in the last 4 weeks"), min_value=0, max_value=40)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate().isoformat())
        super().__init__(*args, **kwargs)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need the pupil's identity?"),
        help_text=_("Your reason is kept in the access log."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FamilyNoticeForm(forms.Form):
    on = forms.DateField(label=_("Informed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    channel = forms.ChoiceField(label=_("How"), choices=NoticeChannel.choices)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate().isoformat())
        super().__init__(*args, **kwargs)


class FlagEditForm(forms.Form):
    reasons = forms.MultipleChoiceField(label=_("Reasons"), choices=Reason.choices, widget=forms.CheckboxSelectMultiple)
    details = forms.CharField(
        label=_("Details"), required=False, help_text=NOTES_HINT, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    half_days_missed = forms.IntegerField(label=_("Half-days missed in the last 4 weeks"), min_value=0, max_value=40)
    last_seen_on = forms.DateField(
        label=_("Last day seen at school"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
