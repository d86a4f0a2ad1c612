"""The inputs of the centre's programmes (tutoring groups, the register, device loans), with the models' own rules
(outreach.forms.model_field). The services check everything again: these forms only shape what a page sends."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outreach.forms import date_input, model_field
from outreach.models import (
    ATTENDANCE_NOTE_LENGTH,
    Case,
    Centre,
    Device,
    DeviceLoan,
    GroupSession,
    LoanEnd,
    Presence,
    Status,
    TutoringGroup,
)
from outreach.programmes import PLANNING_WEEKS, Mark
from outreach.redaction import pupil_label
from schools.models import School


def time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class GroupForm(forms.Form):
    centre = forms.ChoiceField(label=_("Centre"))
    name = model_field(TutoringGroup, "name", label=_("Name"), help_text=_("For example: CLAS 5e-4e mardi"))
    mode = model_field(TutoringGroup, "mode", label=_("Where the group meets"))
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), coerce=int, choices=TutoringGroup._meta.get_field("weekday").choices
    )
    starts_at = forms.TimeField(label=_("Starts at"), widget=time_input())
    duration_minutes = model_field(TutoringGroup, "duration_minutes", label=_("Duration (minutes)"), initial=90)
    animators = forms.TypedMultipleChoiceField(
        label=_("Animators who lead it"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, centres, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.centres = {str(centre.pk): centre for centre in centres}
        self.fields["centre"].choices = [(pk, centre.name) for pk, centre in self.centres.items()]
        if len(self.centres) == 1:
            self.fields["centre"].initial = next(iter(self.centres))
            self.fields["centre"].widget = forms.HiddenInput()
        self.fields["animators"].choices = [(user.pk, user.get_full_name() or user.get_username()) for user in staff]


class JoinForm(forms.Form):
    """A case joins a group: from the group's page (choose the case) or from the case's (choose the group)."""

    choice = forms.ChoiceField(label=_("Pupil"))

    def __init__(self, *args, choices, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [("", "—"), *choices]
        if label:
            self.fields["choice"].label = label


def joinable_cases(scope, group: TutoringGroup, cases) -> list[tuple[str, str]]:
    """The centre's cases in progress not in the group yet, named as the caller may see them."""
    from outreach.redaction import disclosure

    candidates = (
        cases.filter(centre_id=group.centre_id, status=Status.IN_PROGRESS)
        .exclude(group_memberships__group=group, group_memberships__left_on__isnull=True)
        .select_related("pupil", "school")
        .order_by("pupil__last_name", "pupil__first_name", "pk")
    )
    return [(str(case.pk), pupil_label(disclosure(scope, case), case)) for case in candidates]


class PlanForm(forms.Form):
    until = forms.DateField(label=_("Plan the sessions of the schedule until"), widget=date_input())

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = today + timedelta(weeks=PLANNING_WEEKS // 2)


class SessionForm(forms.Form):
    on = model_field(GroupSession, "on", label=_("Date"), widget=date_input())
    starts_at = forms.TimeField(label=_("Starts at"), widget=time_input())
    duration_minutes = model_field(GroupSession, "duration_minutes", label=_("Duration (minutes)"))
    subjects = model_field(GroupSession, "subjects", label=_("Subjects"))

    def __init__(self, *args, group: TutoringGroup, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = today
        self.fields["starts_at"].initial = group.starts_at
        self.fields["duration_minutes"].initial = group.duration_minutes


class RegisterForm(forms.Form):
    """One line per member: present, absent or excused with nothing ticked beforehand, and a short note."""

    def __init__(self, *args, members: list[tuple[Case, str]], lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = []
        for case, label in members:
            key = str(case.pk)
            line = (lines or {}).get(key)
            self.fields[f"presence_{key}"] = forms.ChoiceField(
                label=label,
                choices=Presence.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=line.presence if line else None,
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label=_("Note"), max_length=ATTENDANCE_NOTE_LENGTH, required=False, initial=line.notes if line else ""
            )
            self.members.append((key, label))

    def lines(self):
        """(presence field, note field) for each member, for the template."""
        return [(self[f"presence_{key}"], self[f"note_{key}"]) for key, _label in self.members]

    def marks(self) -> dict[str, Mark]:
        return {
            key: Mark(self.cleaned_data[f"presence_{key}"], self.cleaned_data[f"note_{key}"])
            for key, _label in self.members
            if self.cleaned_data.get(f"presence_{key}")
        }


class DeviceForm(forms.Form):
    centre = forms.ChoiceField(label=_("Centre"))
    kind = model_field(Device, "kind", label=_("Kind"))
    reference = model_field(Device, "reference", label=_("Reference or serial number"))
    partner = model_field(Device, "partner", label=_("Partner"), initial="Emmaüs Connect")

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.centres = {str(centre.pk): centre for centre in centres}
        self.fields["centre"].choices = [(pk, centre.name) for pk, centre in self.centres.items()]
        if len(self.centres) == 1:
            self.fields["centre"].initial = next(iter(self.centres))
            self.fields["centre"].widget = forms.HiddenInput()


class LendForm(forms.Form):
    device = forms.ChoiceField(label=_("Device"))
    case = forms.ChoiceField(label=_("Pupil"))
    lent_on = model_field(DeviceLoan, "lent_on", label=_("Lent on"), widget=date_input())
    due_on = model_field(DeviceLoan, "due_on", label=_("Due back on"), widget=date_input())
    condition_out = model_field(DeviceLoan, "condition_out", label=_("Condition at hand-over"))
    reference_out = model_field(
        DeviceLoan,
        "reference_out",
        label=_("Reference read on the device"),
        required=False,
        help_text=_("Left empty: the inventory's reference."),
    )

    def __init__(self, *args, devices, cases, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].choices = [("", "—"), *devices]
        self.fields["case"].choices = [("", "—"), *cases]
        self.fields["lent_on"].initial = today
        self.fields["due_on"].initial = today + timedelta(weeks=12)


class LoanEndForm(forms.Form):
    end = forms.ChoiceField(label=_("How the loan ends"), choices=LoanEnd.choices, widget=forms.RadioSelect)
    ended_on = model_field(DeviceLoan, "ended_on", label=_("Date"), required=True, widget=date_input())
    condition_back = model_field(DeviceLoan, "condition_back", label=_("Condition"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()


class DashboardFilterForm(forms.Form):
    flagged_from = forms.DateField(label=_("Flagged from"), required=False, widget=date_input())
    flagged_to = forms.DateField(label=_("Flagged until"), required=False, widget=date_input())
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.order_by("name"), required=False)
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.order_by("name"), required=False)


class FundersPeriodForm(forms.Form):
    """A school year (the default, as CAF CLAS reports) or a calendar year."""

    period = forms.ChoiceField(label=_("Period"))

    def __init__(self, *args, first_year: int, this_school_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        school_years = [(f"school-{y}", f"{y}-{y + 1}") for y in range(this_school_year, first_year - 2, -1)]
        calendar = [(f"year-{y}", str(y)) for y in range(this_school_year + 1, first_year - 1, -1)]
        self.fields["period"].choices = [
            (_("School years"), school_years),
            (_("Calendar years"), calendar),
        ]
        self.fields["period"].initial = f"school-{this_school_year}"
