"""List filters, for both doors: one CaseFilter behind `GET /api/v1/cases/` and the web case list, one filter of
the access log. Every filter and every ordering runs on an indexed column of the table it filters."""

from datetime import timedelta

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from outreach.access import AccessScope, request_scope
from outreach.audit import about_case
from outreach.models import OPEN_STATUSES, AccessAction, AccessLog, Case, CaseReason, Centre, Reason, Status, Urgency
from outreach.selectors import centre_staff, overdue_q
from schools.models import School
from schools.permissions import Action
from schools.validators import MAX_ID

# The orderings of a case list: indexed stored columns only (`next_deadline_at`: the most urgent first).
CASE_ORDERINGS = ("next_deadline_at", "flagged_at", "updated_at")


class StrictBooleanField(forms.NullBooleanField):
    """`true`/`false` (or 1/0); anything else is a 400, not a silently ignored filter."""

    widget = forms.TextInput  # the raw value, not NullBooleanSelect's mapping of anything unknown to None

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IntegerFilter(django_filters.NumberFilter):
    """An id: `1.5`, `0` or 2**64 is a 400, not a lookup (nor, for the last, a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class StrictFilterSet(django_filters.FilterSet):
    """A typed filter given an empty value (`?overdue=`, `?status=`) is a 400, not a filter silently dropped.

    Free-text filters (`CharFilter`) may be empty: they then filter nothing, as their schema allows.
    """

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in self.data:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]]
            if any(value in ("", None) for value in values):
                self.form.add_error(name, forms.ValidationError(_("Enter a value."), code="required"))
                valid = False
        return valid


class CaseFilter(StrictFilterSet):
    """The caller's visible cases, narrowed. Needs `request` (for "assigned to me") and the caller's scope on it."""

    q = django_filters.CharFilter(
        label=_("Search"), method="filter_q", help_text=_("Reference, or the pupil's name or number")
    )
    # distinct=False: a condition on the case's own column cannot repeat a row, and DISTINCT would make the database
    # compute every row of the list (and its counts) before it could keep a page.
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=Status.choices, distinct=False)
    school = django_filters.CharFilter(label=_("School"), field_name="school__uai", help_text="UAI of the school.")
    centre = IntegerFilter(label=_("Centre"), field_name="centre_id")
    animator = IntegerFilter(label=_("Animator"), method="filter_animator", help_text="Assigned to that user.")
    assigned_to = django_filters.ChoiceFilter(
        label=_("Assigned to me"), choices=[("me", _("me"))], method="filter_assigned_to"
    )
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=Reason.choices, method="filter_reason")
    urgency = django_filters.ChoiceFilter(label=_("Urgency"), choices=Urgency.choices)
    overdue = StrictBooleanFilter(label=_("Overdue"), method="filter_overdue")
    current = StrictBooleanFilter(
        label=_("Open, or closed recently"),
        method="filter_current",
        help_text="Open cases and those closed in the last RADAR_RECENTLY_CLOSED_DAYS days (30).",
    )
    flagged_after = django_filters.DateFilter(label=_("Flagged from"), field_name="flagged_at", lookup_expr="date__gte")
    flagged_before = django_filters.DateFilter(label=_("Flagged to"), field_name="flagged_at", lookup_expr="date__lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Case
        fields: list[str] = []

    @property
    def scope(self) -> AccessScope:
        return request_scope(self.request)

    def filter_reason(self, queryset, name, value):
        return queryset.filter(Exists(CaseReason.objects.filter(case=OuterRef("pk"), reason=value)))

    def filter_current(self, queryset, name, value):
        since = timezone.now() - timedelta(days=settings.RADAR_RECENTLY_CLOSED_DAYS)
        current = Q(status__in=OPEN_STATUSES) | Q(status=Status.CLOSED, closed_at__gte=since)
        return queryset.filter(current) if value else queryset.exclude(current)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def _assigned(self, queryset, user_id: int):
        through = Case.animators.through
        return queryset.filter(Exists(through.objects.filter(case=OuterRef("pk"), user_id=user_id)))

    def filter_assigned_to(self, queryset, name, value):
        return self._assigned(queryset, self.request.user.pk)

    def filter_animator(self, queryset, name, value):
        return self._assigned(queryset, value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Names and numbers only match where the caller may see identity, so search cannot unmask a pupil.
        by_identity = (
            Q(pupil__last_name__icontains=value)
            | Q(pupil__first_name__icontains=value)
            | Q(pupil__external_ref__iexact=value)
        )
        # An anonymised case is kept for the figures only: no search finds it.
        matches = Q(reference__iexact=value) | (self.scope.holds(Action.VIEW_IDENTITY) & by_identity)
        return queryset.filter(matches, anonymised_at__isnull=True)

    def offer_choices(self) -> None:
        """For a page: the schools, centres and animators the caller's cases can be narrowed to, as lists to pick
        from (an API client sends the UAI or the id). Filters that cannot narrow anything are left out."""
        scope, fields = self.scope, self.form.fields
        global_view = Action.VIEW_SUMMARY in scope.global_perms
        schools = School.objects.order_by("name")
        centres = Centre.objects.order_by("name")
        if not global_view:
            schools = schools.filter(pk__in=scope.schools_with(Action.VIEW_SUMMARY))
            centres = centres.filter(pk__in=scope.centres_with(Action.VIEW_SUMMARY))
        any_choice = [("", _("Any"))]
        school_choices = [(school.uai, school.name) for school in schools]
        centre_choices = [(str(centre.pk), centre.name) for centre in centres]
        if global_view or len(school_choices) > 1:
            fields["school"].widget = forms.Select(choices=any_choice + school_choices)
        else:
            del fields["school"]
        if global_view or len(centre_choices) > 1:
            fields["centre"].widget = forms.Select(choices=any_choice + centre_choices)
        else:
            del fields["centre"]
        managed = scope.centres_with(Action.ASSIGN)
        if managed:
            staff = get_user_model().objects.none()
            for centre in Centre.objects.filter(pk__in=managed):
                staff = staff.union(centre_staff(centre))
            fields["animator"].widget = forms.Select(
                choices=any_choice + [(str(user.pk), user.get_full_name() or user.get_username()) for user in staff]
            )
        else:
            del fields["animator"]
        if not scope.has_assignments:
            del fields["assigned_to"]
        fields["status"].widget = forms.CheckboxSelectMultiple(choices=Status.choices)
        fields["overdue"].widget = forms.Select(choices=[*any_choice, ("true", _("Overdue only"))])
        fields["current"].widget = forms.Select(
            choices=[
                *any_choice,
                (
                    "true",
                    _("Open, or closed in the last %(days)d days") % {"days": settings.RADAR_RECENTLY_CLOSED_DAYS},
                ),
            ]
        )
        for name in ("reason", "urgency"):
            fields[name].widget = forms.Select(choices=any_choice + list(fields[name].choices)[1:])
        for name in ("flagged_after", "flagged_before"):
            fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        del fields["updated_since"]


class AccessLogFilter(StrictFilterSet):
    user = IntegerFilter(field_name="user_id")
    case = django_filters.UUIDFilter(method="filter_case")
    action = django_filters.ChoiceFilter(choices=AccessAction.choices)
    from_ = django_filters.DateFilter(field_name="at", lookup_expr="date__gte")
    to = django_filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AccessLog
        fields = []

    def filter_case(self, queryset, name, value):
        """The case's own entries and the lists that showed it: who has seen this pupil."""
        return queryset.filter(about_case(pk=value))


# `from` is a Python keyword: the filter is declared as `from_` and published under its real name.
AccessLogFilter.base_filters["from"] = AccessLogFilter.base_filters.pop("from_")
