import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from outreach.models import Case, CaseReason, Reason, Status, Urgency
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


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    school = django_filters.CharFilter(field_name="school__uai", help_text="UAI of the school.")
    centre = django_filters.NumberFilter(field_name="centre_id")
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
