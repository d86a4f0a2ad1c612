"""The input of every case step, for both doors, and the forms of the coordinators' and managers' pages.

A step's form is its input validation: the web binds it to a POST, the API to a JSON body whose types it has
checked (api/inputs.py builds the API's serializer from the same form). Fields that store a model's value are built
from that model's field (`model_field`), so the range rules written on the model (validators and CHECK constraints)
are the only ones: the browser gets them as min and max, the API as its schema, the service checks them again.
"""

from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Model
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from outreach.models import (
    SUPPORT_KINDS_OFFERED,
    AccessAction,
    Case,
    CaseEvent,
    Centre,
    Contact,
    FamilyNotice,
    FamilyRequest,
    Outcome,
    Reason,
    ReturnConfirmation,
    Support,
    TutoringSession,
    Urgency,
)
from outreach.selectors import centre_staff, centres_covering
from schools.models import Guardian, Pupil, School, Sex
from schools.validators import MAX_GUARDIANS

NOTES_HINT = _("Write objective facts only: the family may read this note.")
# As a school types a date: ISO (what a date input sends) or French.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def model_field(model: type[Model], name: str, **overrides) -> forms.Field:
    """The form field of a model field, with the model's rules: its choices, its limits as min and max (so the
    browser shows them), its other validators as they are. `overrides` are the form field's own arguments."""
    field = model._meta.get_field(name)
    limits = {}
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            limits["min_value"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            limits["max_value"] = validator.limit_value
    if field.choices:
        arguments = {"label": capfirst(field.verbose_name), "required": not field.blank} | overrides
        form_field: forms.Field = forms.ChoiceField(choices=field.choices, **arguments)
    else:
        form_field = field.formfield(**limits | overrides)
    extra = [
        v
        for v in field.validators
        if not isinstance(v, MinValueValidator | MaxValueValidator) and v not in form_field.validators
    ]
    form_field.validators = [*form_field.validators, *extra]
    return form_field


def date_input() -> forms.DateInput:
    # A date input only shows an ISO date, whatever the language's own date format.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def text_area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


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


class StepForm(forms.Form):
    """The input of one case step. `case` and `now` let a step offer what fits the case (the centre's staff,
    today's date); `service_arguments` is what its service is called with."""

    # Fields the web page needs but the API does not take (it says the same thing in its own shape).
    web_only: tuple[str, ...] = ()
    # Values an API client may leave out, as on the web page where they are preset.
    api_defaults: dict = {}

    def __init__(self, data=None, *, case: Case, now: datetime, **kwargs):
        self.case, self.now = case, now
        super().__init__(data, **kwargs)

    def service_arguments(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name not in self.web_only}

    def described(self) -> dict[str, str]:
        """The valid values as a reader says them: a choice by its label, a record by its name."""
        described = {}
        for name, value in self.cleaned_data.items():
            choices = dict(getattr(self.fields[name], "choices", ()) or ())
            described[name] = str(choices.get(value, value)) if isinstance(value, str) else str(value)
        return described


class FieldGroup:
    """Some fields of a bound form, rendered on their own by _fields.html (a form folded in two parts)."""

    def __init__(self, form: forms.Form, names: tuple[str, ...]):
        self.form, self.names = form, names

    def hidden_fields(self):
        return []

    def visible_fields(self):
        return [self.form[name] for name in self.names]


class NoInputForm(StepForm):
    """A step that needs nothing but a click (accepting a case)."""


class RouteForm(StepForm):
    api_defaults = {"note": ""}

    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.order_by("name"))
    note = model_field(CaseEvent, "note", label=_("Note"), required=False, widget=text_area())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pupil = self.case.pupil
        suggestions = centres_covering(
            neighbourhood_name=pupil.neighbourhood, postcode=pupil.postcode, address=pupil.address
        )
        if len(suggestions) == 1:
            self.fields["centre"].initial = suggestions[0].pk


class DeclineForm(StepForm):
    reason = model_field(CaseEvent, "note", label=_("Why does the centre decline?"), required=True, widget=text_area())


class AssignForm(StepForm):
    animators = forms.ModelMultipleChoiceField(
        label=_("Animators"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["animators"].queryset = (
            centre_staff(self.case.centre) if self.case.centre_id else get_user_model().objects.none()
        )
        self.fields["animators"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.fields["animators"].initial = [user.pk for user in self.case.animators.all()]

    def service_arguments(self) -> dict:
        return {"animators": list(self.cleaned_data["animators"])}


class CloseForm(StepForm):
    api_defaults = {"note": ""}

    # No outcome is preselected: a closure skews the funders' figures if one tap picks the first outcome.
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose the outcome")), *[c for c in Outcome.choices if c[0] != Outcome.RESOLVED_BY_SCHOOL]],
    )
    note = model_field(Case, "outcome_note", label=_("Closing note"), help_text=NOTES_HINT, widget=text_area())


class WithdrawForm(StepForm):
    note = model_field(
        CaseEvent,
        "note",
        label=_("Why is the flag withdrawn?"),
        help_text=_("For example: back in class since Monday, every day."),
        required=True,
        widget=text_area(),
    )


class ReopenForm(StepForm):
    note = model_field(CaseEvent, "note", label=_("Why reopen the case?"), required=True, widget=text_area())


class ReturnForm(StepForm):
    attendance = model_field(
        ReturnConfirmation, "attendance", label=_("Is the pupil attending again?"), widget=forms.RadioSelect
    )
    half_days_missed = model_field(
        ReturnConfirmation, "half_days_missed", label=_("Half-days missed in the last 4 weeks")
    )
    on = model_field(ReturnConfirmation, "on", label=_("Date"), widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate(self.now)


class RevealForm(StepForm):
    reason = model_field(
        CaseEvent,
        "note",
        label=_("Why do you need the pupil's identity?"),
        help_text=_("Your reason is kept in the access log."),
        required=True,
        widget=text_area(),
    )


class FamilyNoticeForm(StepForm):
    on = model_field(FamilyNotice, "on", label=_("Informed on"), widget=date_input())
    channel = model_field(FamilyNotice, "channel", label=_("How"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate(self.now)


class SupportsField(forms.MultipleChoiceField):
    """Supports given during a contact. The web page ticks kinds (one detail typed for all of them); the API sends
    `[{"kind", "detail"}]`. Either way the form gives `[{"kind", "detail"}]`."""

    def __init__(self, **kwargs):
        super().__init__(choices=SUPPORT_KINDS_OFFERED, widget=forms.CheckboxSelectMultiple, **kwargs)

    def to_python(self, value):
        if not value:
            return []
        items = []
        for item in value:
            if isinstance(item, dict):
                items.append({"kind": str(item.get("kind", "")), "detail": str(item.get("detail") or "")})
            else:
                items.append({"kind": str(item), "detail": ""})
        return items

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        for item in value:
            if not self.valid_value(item["kind"]):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item["kind"]}
                )

    def has_changed(self, initial, data):
        return bool(data)


class ContactForm(StepForm):
    kind = model_field(Contact, "kind", label=_("Kind"), initial="home_visit", widget=forms.RadioSelect)
    result = model_field(Contact, "result", label=_("Result"), widget=forms.RadioSelect)
    occurred_at = LocalDateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=Contact._meta.get_field("occurred_at").validators,
    )
    duration_minutes = model_field(Contact, "duration_minutes", label=_("Duration (minutes)"))
    supports = SupportsField(label=_("Support given or arranged"), required=False)
    support_detail = model_field(Support, "detail", label=_("Support detail (partner, device…)"), required=False)
    notes = model_field(Contact, "notes", label=_("Notes"), help_text=NOTES_HINT, widget=text_area(3))
    next_step = model_field(Contact, "next_step", label=_("Next step"))
    next_step_due_on = model_field(Contact, "next_step_due_on", label=_("Next step due on"), widget=date_input())

    web_only = ("support_detail",)
    # What a doorstep page shows at once; the rest is folded.
    quick = ("kind", "result", "occurred_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime(self.now).strftime("%Y-%m-%dT%H:%M")

    @property
    def quick_form(self) -> "FieldGroup":
        return FieldGroup(self, self.quick)

    @property
    def more_form(self) -> "FieldGroup":
        return FieldGroup(self, tuple(name for name in self.fields if name not in self.quick))

    @property
    def more_has_errors(self) -> bool:
        return any(name in self.errors for name in self.fields if name not in self.quick)

    def clean(self):
        data = super().clean()
        detail = (data.get("support_detail") or "").strip()
        for support in data.get("supports") or []:
            support["detail"] = support["detail"] or detail
        return data


class TutoringForm(StepForm):
    on = model_field(TutoringSession, "on", label=_("Date"), widget=date_input())
    duration_minutes = model_field(TutoringSession, "duration_minutes", label=_("Duration (minutes)"), initial=60)
    subjects = model_field(TutoringSession, "subjects", label=_("Subjects"))
    attended = forms.BooleanField(label=_("The pupil attended"), required=False, initial=True)
    notes = model_field(TutoringSession, "notes", label=_("Notes"), help_text=NOTES_HINT, widget=text_area())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate(self.now)


class SupportForm(StepForm):
    kind = forms.ChoiceField(label=_("Support"), choices=SUPPORT_KINDS_OFFERED)
    detail = model_field(Support, "detail", label=_("Detail (partner, device…)"))
    provided_on = model_field(Support, "provided_on", label=_("Provided on"), widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provided_on"].initial = timezone.localdate(self.now)


# Flagging a pupil: the pupil, their address, their guardians, the flag itself ------------------------------------


class SchoolChoiceMixin:
    """A school select only for someone flagging for several schools; otherwise their one school, implicitly."""

    def _set_schools(self, schools) -> None:
        schools = list(schools)
        self.only_school = schools[0] if len(schools) == 1 else None
        if self.only_school is not None:
            del self.fields["school"]
        else:
            self.fields["school"].queryset = School.objects.filter(pk__in=[school.pk for school in schools])

    def chosen_school(self) -> School:
        return self.only_school or self.cleaned_data["school"]


class FlagSchoolForm(SchoolChoiceMixin, forms.Form):
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), empty_label=_("Choose the school")
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_schools(schools)


def _untracked(widget: forms.Widget) -> forms.Widget:
    widget.attrs["autocomplete"] = "off"
    return widget


class PupilForm(forms.Form):
    external_ref = model_field(
        Pupil,
        "external_ref",
        label=_("School's pupil number"),
        help_text=_("The pupil's number in your school's information system."),
        widget=_untracked(forms.TextInput()),
    )
    first_name = model_field(Pupil, "first_name", label=_("First name"), widget=_untracked(forms.TextInput()))
    last_name = model_field(Pupil, "last_name", label=_("Last name"), widget=_untracked(forms.TextInput()))
    birth_date = model_field(
        Pupil, "birth_date", label=_("Birth date"), input_formats=DATE_FORMATS, widget=date_input()
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("Not given")), *Sex.choices],
        initial="",
        help_text=_("Only used, without names, for the funders' statistics."),
        widget=forms.RadioSelect,
    )
    level = model_field(Pupil, "level", label=_("Level"), widget=forms.RadioSelect)
    class_name = model_field(Pupil, "class_name", label=_("Class"))


class AddressForm(forms.Form):
    address = model_field(Pupil, "address", label=_("Address"), widget=_untracked(forms.TextInput()))
    postcode = model_field(
        Pupil, "postcode", label=_("Postcode"), widget=_untracked(forms.TextInput(attrs={"inputmode": "numeric"}))
    )
    city = model_field(Pupil, "city", label=_("City"), widget=_untracked(forms.TextInput()))
    neighbourhood = model_field(
        Pupil,
        "neighbourhood",
        label=_("Neighbourhood"),
        help_text=_("Choose a known neighbourhood if you can: it decides which centre social follows the pupil."),
        widget=_untracked(forms.TextInput(attrs={"list": "neighbourhood-names"})),
    )


class GuardianForm(forms.Form):
    name = model_field(Guardian, "name", label=_("Name"))
    relationship = model_field(
        Guardian, "relationship", label=_("Relationship to the pupil"), help_text=_("Mother, father, aunt…")
    )
    phone = model_field(Guardian, "phone", label=_("Phone"), widget=forms.TextInput(attrs={"type": "tel"}))
    email = model_field(Guardian, "email", label=_("Email"))
    language = model_field(Guardian, "language", label=_("Language spoken at home"))
    interpreter_needed = model_field(Guardian, "interpreter_needed", label=_("An interpreter is needed"))


class BaseGuardianFormSet(forms.BaseFormSet):
    """Repeatable guardian rows: a row left empty is ignored, and `extra` can grow by one without JavaScript."""

    def __init__(self, *args, extra: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if extra is not None:
            self.extra = extra

    def _construct_form(self, i, **kwargs):
        kwargs.setdefault("empty_permitted", True)
        return super()._construct_form(i, **kwargs)

    def filled(self) -> list[tuple[int, dict]]:
        """(row index, cleaned data) of the rows something was typed in."""
        return [(index, form.cleaned_data) for index, form in enumerate(self.forms) if form.has_changed()]


GuardianFormSet = forms.formset_factory(
    GuardianForm,
    formset=BaseGuardianFormSet,
    extra=2,
    max_num=MAX_GUARDIANS,
    absolute_max=MAX_GUARDIANS,
    validate_max=True,
)


class FlagDetailsForm(forms.Form):
    # What an API client may leave out (a school's information system often knows no more than the reasons).
    api_defaults = {"details": "", "urgency": Urgency.NORMAL, "half_days_missed": 0, "last_seen_on": None}

    reasons = forms.MultipleChoiceField(
        label=_("Reasons"),
        choices=Reason.choices,
        help_text=_("Tick every reason that applies."),
        widget=forms.CheckboxSelectMultiple,
    )
    details = model_field(
        Case,
        "details",
        label=_("Details"),
        help_text=format_lazy("{} {}", _("Required when the reason is “Other”."), NOTES_HINT),
        widget=text_area(4),
    )
    urgency = model_field(Case, "urgency", label=_("Urgency"), initial=Urgency.NORMAL, widget=forms.RadioSelect)
    half_days_missed = model_field(
        Case,
        "half_days_missed",
        label=_("Half-days missed in the last 4 weeks"),
        required=True,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    last_seen_on = model_field(
        Case, "last_seen_on", label=_("Last day seen at school"), input_formats=DATE_FORMATS, widget=date_input()
    )


class FlagEditForm(StepForm, FlagDetailsForm):
    """The flag's details while the case is open (the `edit_flag` step): the same fields as when flagging."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.case
        self.initial = {
            "reasons": [reason.reason for reason in case.reasons.all()],
            "details": case.details,
            "urgency": case.urgency,
            "half_days_missed": case.half_days_missed,
            "last_seen_on": case.last_seen_on,
            **self.initial,
        }

    def service_arguments(self) -> dict:
        return {"changes": {name: self.cleaned_data[name] for name in self.changed_data}}


class GuardiansField(forms.Field):
    """The pupil's guardians as a list of rows, each checked by GuardianForm. The web page fills it from its
    guardian rows (GuardianFormSet); the API sends `[{"name", "relationship", ...}]`."""

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if not isinstance(value, list):
            raise ValidationError(_("Give a list of guardians."), code="invalid")
        return value

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_GUARDIANS:
            raise ValidationError(_("Give at most %(max)d guardians.") % {"max": MAX_GUARDIANS}, code="max")
        rows = []
        for index, row in enumerate(value):
            form = GuardianForm(row if isinstance(row, dict) else {})
            if not form.is_valid():
                raise ValidationError(
                    _("Guardian %(number)d: %(errors)s")
                    % {
                        "number": index + 1,
                        "errors": " ".join(str(m) for messages in form.errors.values() for m in messages),
                    },
                    code="invalid_guardian",
                )
            rows.append(form.cleaned_data)
        value[:] = rows


class ContactDetailsForm(StepForm):
    """The `update_contact_details` step: the address and the guardians, given again by the school."""

    address = AddressForm.base_fields["address"]
    postcode = AddressForm.base_fields["postcode"]
    city = AddressForm.base_fields["city"]
    neighbourhood = AddressForm.base_fields["neighbourhood"]
    guardians = GuardiansField(
        label=_("Guardians"), error_messages={"required": _("Give at least one guardian the centre can reach.")}
    )


def pupil_arguments(pupil: dict, address: dict, guardians: list[dict]) -> dict:
    """The `pupil` argument of case_flag from the web form.

    An empty optional field keeps what Radar already holds about a known pupil; guardians replace the ones
    on record only when at least one is given.
    """
    data = {
        name: value
        for name, value in {**pupil, **address}.items()
        if value not in ("", None) or name in ("external_ref", "first_name", "last_name", "level")
    }
    if guardians:
        data["guardians"] = [{name: guardian[name] for name in GuardianForm.base_fields} for guardian in guardians]
    return data


# Pages of managers and coordinators -------------------------------------------------------------------------------


class HandoverForm(forms.Form):
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.none())
    from_user = forms.ChoiceField(label=_("Animator leaving"))
    to_user = forms.ChoiceField(label=_("Colleague taking over"))

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


class ReportForm(forms.Form):
    group_by = forms.ChoiceField(
        label=_("Group by"),
        initial="centre",
        choices=[
            ("centre", _("Centre")),
            ("school", _("School")),
            ("month", _("Month of closure")),
            ("reason", _("Flag reason")),
            ("neighbourhood", _("Neighbourhood")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` and `to` as in the API; `from` cannot be a class attribute.
        self.fields = {
            "from": forms.DateField(label=_("Closed from"), required=False, widget=date_input()),
            "to": forms.DateField(label=_("Closed to"), required=False, widget=date_input()),
            **self.fields,
        }

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", _("The end date is before the start date."))
        return data


class AccessLogFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150, help_text=_("Exact username"))
    case = forms.CharField(label=_("Case reference"), required=False, max_length=20)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any")), *AccessAction.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(label=_("From (date)"), required=False, widget=date_input())
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date_input())


class FamilyRequestForm(forms.Form):
    kind = model_field(
        FamilyRequest, "kind", label=_("Which right does the family exercise?"), widget=forms.RadioSelect
    )
    received_on = model_field(FamilyRequest, "received_on", label=_("Received on"), widget=date_input())


class FamilyRequestAnswerForm(forms.Form):
    decision = model_field(FamilyRequest, "decision", label=_("Decision"), required=True, widget=forms.RadioSelect)
    response = model_field(FamilyRequest, "response", label=_("What was done"), required=True, widget=text_area(4))
