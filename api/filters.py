import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from api.fields import MAX_ID
from outreach.models import AccessAction, AccessLog, Case, CaseReason, Reason, Status, Urgency
from outreach.selectors import overdue_q
from schools.permissions import Action


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
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    school = django_filters.CharFilter(field_name="school__uai", help_text="UAI of the school.")
    centre = IntegerFilter(field_name="centre_id")
    reason = django_filters.ChoiceFilter(choices=Reason.choices, method="filter_reason")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    overdue = StrictBooleanFilter(method="filter_overdue")
    assigned_to = django_filters.ChoiceFilter(choices=[("me", "me")], method="filter_assigned_to")
    flagged_after = django_filters.DateFilter(field_name="flagged_at", lookup_expr="date__gte")
    flagged_before = django_filters.DateFilter(field_name="flagged_at", lookup_expr="date__lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_q", help_text="Reference; pupil name where you may see identity.")

    class Meta:
        model = Case
        fields = []

    def filter_reason(self, queryset, name, value):
        return queryset.filter(Exists(CaseReason.objects.filter(case=OuterRef("pk"), reason=value)))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_assigned_to(self, queryset, name, value):
        through = Case.animators.through
        return queryset.filter(Exists(through.objects.filter(case=OuterRef("pk"), user=self.request.user)))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Names only match where the caller may see identity, so search cannot unmask a pupil.
        scope = self.request.radar_scope
        identity = Q(school_id__in=scope.schools_with(Action.VIEW_IDENTITY)) | Q(
            centre_id__in=scope.centres_with(Action.VIEW_IDENTITY)
        )
        revealed = [case_id for case_id, perms in scope.case_perms.items() if Action.VIEW_IDENTITY in perms]
        if revealed:
            identity |= Q(pk__in=revealed)
        by_name = (
            Q(pupil__last_name__icontains=value)
            | Q(pupil__first_name__icontains=value)
            | Q(pupil__external_ref__iexact=value)
        )
        return queryset.filter(Q(reference__iexact=value) | (identity & by_name))


class AccessLogFilter(StrictFilterSet):
    user = IntegerFilter(field_name="user_id")
    case = django_filters.UUIDFilter(field_name="case_id")
    action = django_filters.ChoiceFilter(choices=AccessAction.choices)
    from_ = django_filters.DateFilter(field_name="at", lookup_expr="date__gte")
    to = django_filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AccessLog
        fields = []


# `from` is a Python keyword: the filter is declared as `from_` and published under its real name.
AccessLogFilter.base_filters["from"] = AccessLogFilter.base_filters.pop("from_")
