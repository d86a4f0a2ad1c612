"""Django admin: reference data, users and their roles. Cases are shown, never edited here.

A case changes only through the services, which check the transition and write the timeline and the
access log; an admin form editing `status` or `centre` directly would bypass all three. The timeline
(CaseEvent) and the access log are append-only: the admin shows them and nothing more.
"""

import copy

from axes.utils import reset as axes_reset
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from outreach.access import access_scope
from outreach.audit import record_list_read
from outreach.mfa import mfa_reset
from outreach.models import (
    AccessLog,
    Case,
    CaseEvent,
    CaseReason,
    Centre,
    Neighbourhood,
    NeighbourhoodPostcode,
    Street,
)
from outreach.offboarding import open_caseload, staff_offboard
from outreach.roles import ROLE_LABELS, ROLE_ORGANISATION, Role
from outreach.selectors import centre_staff
from outreach.services import role_grant, role_revoke
from outreach.streets import read_street_list
from schools.domain_errors import DomainError
from schools.models import Guardian, Pupil, School

User = get_user_model()


class ReadOnlyAdminMixin:
    """Viewable by whoever may view the model; nobody adds, changes or deletes through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LoggedReadsAdminMixin:
    """Every list and page that shows pupils is an access-log entry with the cases it showed, as on the site."""

    def cases_shown(self, objects) -> list:
        return [obj.pk for obj in objects]

    def _log(self, request, *, what: str, objects, search: str = "", pupil_id: int | None = None) -> None:
        record_list_read(
            user=request.user, what=what, case_ids=self.cases_shown(objects), search=search, pupil_id=pupil_id
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            model = self.model._meta.model_name  # type: ignore[attr-defined]
            self._log(
                request, what=f"admin_{model}_list", objects=changelist.result_list, search=request.GET.get("q", "")
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        shown = getattr(response, "context_data", {}).get("original")
        if shown is not None:
            model = self.model._meta.model_name  # type: ignore[attr-defined]
            pupil_id = shown.pk if isinstance(shown, Pupil) else shown.pupil_id
            self._log(request, what=f"admin_{model}", objects=[shown], pupil_id=pupil_id)
        return response


# Reference data -------------------------------------------------------------------------------------------------


class NeighbourhoodPostcodeInline(admin.TabularInline):
    model = NeighbourhoodPostcode
    extra = 1


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ("name", "is_qpv", "postcode_list", "centre_list")
    list_filter = ("is_qpv",)
    search_fields = ("name", "postcodes__postcode")
    inlines = [NeighbourhoodPostcodeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("postcodes", "centres")

    @admin.display(description=_("postcodes"))
    def postcode_list(self, obj: Neighbourhood) -> str:
        return ", ".join(sorted(postcode.postcode for postcode in obj.postcodes.all()))

    @admin.display(description=_("covered by"))
    def centre_list(self, obj: Neighbourhood) -> str:
        return ", ".join(sorted(centre.name for centre in obj.centres.all())) or "—"


class StreetListForm(forms.Form):
    file = forms.FileField(
        label=_("Street list (CSV)"),
        help_text=_(
            "The Base Adresse Nationale's columns (numero, nom_voie, code_postal…) with one more, quartier, naming "
            "a neighbourhood Radar knows. The streets of every neighbourhood named replace the ones on record."
        ),
    )


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ("name", "postcode", "number_from", "number_to", "neighbourhood")
    list_filter = ("neighbourhood",)
    search_fields = ("name", "postcode")
    list_select_related = ("neighbourhood",)
    change_list_template = "admin/outreach/street/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="outreach_street_import"), *super().get_urls()]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StreetListForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = read_street_list(form.cleaned_data["file"])
            except ValidationError as error:
                form.add_error("file", error)
            else:
                messages.success(
                    request,
                    _("%(streets)d streets of %(neighbourhoods)d neighbourhoods imported from %(rows)d rows.")
                    % {"streets": report.streets, "neighbourhoods": len(report.neighbourhoods), "rows": report.rows},
                )
                for line, message in report.errors[:20]:
                    left_out = _("Line %(line)d left out: %(message)s") % {"line": line, "message": message}
                    messages.warning(request, left_out)
                return redirect(reverse("admin:outreach_street_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta}
        return render(request, "admin/outreach/street/import.html", context, status=400 if form.errors else 200)


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "neighbourhood_list")
    search_fields = ("name",)
    filter_horizontal = ("neighbourhoods",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("neighbourhoods")

    @admin.display(description=_("neighbourhoods covered"))
    def neighbourhood_list(self, obj: Centre) -> str:
        return ", ".join(sorted(neighbourhood.name for neighbourhood in obj.neighbourhoods.all())) or "—"


# Cases, timeline, access log (read-only) ------------------------------------------------------------------------


class CaseReasonInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseReason
    fields = ("reason",)
    extra = 0


@admin.register(Case)
class CaseAdmin(LoggedReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "status", "school", "centre", "flagged_at", "outcome")
    list_filter = ("status", "urgency", "outcome", "school", "centre")
    list_select_related = ("school", "centre")
    search_fields = ("reference",)
    date_hierarchy = "flagged_at"
    ordering = ("-flagged_at",)
    fieldsets = (
        (None, {"fields": ("reference", "pupil", "school", "status", "centre", "animators", "outcome")}),
        (_("Flag"), {"fields": ("urgency", "half_days_missed", "last_seen_on", "flagged_by", "flagged_at")}),
        (
            _("Dates"),
            {
                "fields": (
                    "status_changed_at",
                    "routed_at",
                    "accepted_at",
                    "first_contact_at",
                    "last_contact_at",
                    "family_informed_on",
                    "closed_at",
                    "updated_at",
                    "anonymised_at",
                )
            },
        ),
    )
    inlines = [CaseReasonInline]


class GuardianInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Guardian
    extra = 0
    fields = ("name", "relationship", "phone", "email", "language", "interpreter_needed")


@admin.register(Pupil)
class PupilAdmin(LoggedReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a correction goes through the services (contact details, flag), which write the timeline."""

    list_display = ("external_ref", "last_name", "first_name", "school", "level", "class_name")
    list_filter = ("level", "school")
    list_select_related = ("school",)
    search_fields = ("external_ref", "last_name", "first_name")
    fieldsets = (
        (None, {"fields": ("school", "external_ref", "first_name", "last_name", "birth_date", "sex")}),
        (_("Schooling"), {"fields": ("level", "class_name")}),
        (_("Address"), {"fields": ("address", "postcode", "city", "neighbourhood")}),
        (_("Record"), {"fields": ("created_at", "updated_at", "anonymised_at")}),
    )
    inlines = [GuardianInline]

    def cases_shown(self, objects) -> list:
        return list(Case.objects.filter(pupil__in=list(objects)).values_list("pk", flat=True))


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "case", "kind", "actor", "from_status", "to_status")
    list_filter = ("kind",)
    list_select_related = ("case", "actor")
    search_fields = ("case__reference", "actor__username")
    date_hierarchy = "at"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "user", "action", "what", "case", "ip_address")
    list_filter = ("action",)
    list_select_related = ("case", "user")
    search_fields = ("case__reference", "user__username", "what")
    date_hierarchy = "at"


# Users and their roles ------------------------------------------------------------------------------------------


def held_roles(user) -> list[tuple[str, str]]:
    """(key, label) for every role the user holds; the key is what `role_revoke` needs, as text."""
    if user is None or user.pk is None:
        return []
    # The grants of a deactivated account are still on record: show them (access_scope sees none).
    subject = copy.copy(user)
    subject.is_active = True
    roles = access_scope(subject).roles()
    names = {
        "school": School.objects.in_bulk([org_id for _role, kind, org_id in roles if kind == "school"]),
        "centre": Centre.objects.in_bulk([org_id for _role, kind, org_id in roles if kind == "centre"]),
    }
    held = []
    for role, kind, org_id in roles:
        label = str(ROLE_LABELS[role])
        if kind is not None:
            label = f"{label} — {names[kind][org_id]}"
        held.append((f"{role.value}:{kind or ''}:{org_id or ''}", label))
    return sorted(held, key=lambda item: item[1])


def role_target(key: str) -> tuple[Role, School | Centre | None]:
    role, kind, org_id = key.split(":")
    model = {"school": School, "centre": Centre}.get(kind)
    return Role(role), (model.objects.get(pk=int(org_id)) if model else None)


class RoleUserChangeForm(UserChangeForm):
    """The user form, plus granting one role and revoking held ones (through the services)."""

    grant_role = forms.ChoiceField(
        label=_("Grant a role"),
        required=False,
        choices=[("", "---------"), *((role.value, ROLE_LABELS[role]) for role in Role)],
    )
    grant_school = forms.ModelChoiceField(
        label=_("at the school"),
        queryset=School.objects.all(),
        required=False,
        help_text=_("For the school staff role."),
    )
    grant_centre = forms.ModelChoiceField(
        label=_("at the centre"),
        queryset=Centre.objects.all(),
        required=False,
        help_text=_("For the animator and centre manager roles. A coordinator needs neither."),
    )
    revoke_roles = forms.MultipleChoiceField(
        label=_("Revoke roles"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["revoke_roles"].choices = held_roles(self.instance)

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("grant_role")
        school, centre = cleaned.get("grant_school"), cleaned.get("grant_centre")
        if not role:
            if school or centre:
                self.add_error("grant_role", _("Choose the role to grant there."))
            return cleaned
        kind = ROLE_ORGANISATION[Role(role)]
        if kind == "school" and not school:
            self.add_error("grant_school", _("Choose the school where this role is held."))
        if kind == "centre" and not centre:
            self.add_error("grant_centre", _("Choose the centre where this role is held."))
        if kind != "school" and school:
            self.add_error("grant_school", _("This role is not held on a school."))
        if kind != "centre" and centre:
            self.add_error("grant_centre", _("This role is not held on a centre."))
        return cleaned


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class RadarUserAdmin(UserAdmin):
    form = RoleUserChangeForm
    actions = ["unlock_logins", "offboard", "reset_second_factor"]
    readonly_fields = (*UserAdmin.readonly_fields, "current_roles")
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            _("Roles"),
            {
                "fields": ("current_roles", "grant_role", "grant_school", "grant_centre", "revoke_roles"),
                "description": _("Roles are granted and revoked through Radar's rules, never as raw permissions."),
            },
        ),
    )

    @admin.action(description=_("Unlock logins (clear failed attempts)"))
    def unlock_logins(self, request, queryset) -> None:
        for user in queryset:
            axes_reset(username=user.get_username())
        self.message_user(request, _("Logins unlocked for %(count)d account(s).") % {"count": queryset.count()})

    @admin.action(description=_("Reset the second factor (lost phone)"))
    def reset_second_factor(self, request, queryset) -> None:
        for user in queryset:
            mfa_reset(actor=request.user, user=user)
        self.message_user(
            request,
            _("Second factor reset for %(count)d account(s): each sets it up again at the next login.")
            % {"count": queryset.count()},
        )

    @admin.action(description=_("Deactivate (staff leaving): hand over, revoke roles and tokens"))
    def offboard(self, request, queryset):
        """One step: a confirmation page offering a colleague per centre for the open cases, then the service."""
        if queryset.count() != 1:
            self.message_user(request, _("Deactivate one account at a time."), messages.WARNING)
            return None
        user = queryset.get()
        caseload = open_caseload(user)
        rows = [
            (centre, count, centre_staff(centre).exclude(pk=user.pk).order_by("username")) for centre, count in caseload
        ]
        if "confirm" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": _("Deactivate %(name)s") % {"name": user.get_username()},
                "subject": user,
                "rows": rows,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/offboard.html", context)
        handovers = {}
        for centre, _count, colleagues in rows:
            chosen = request.POST.get(f"handover_{centre.pk}")
            if chosen:
                handovers[centre.pk] = colleagues.get(pk=int(chosen))
        try:
            done = staff_offboard(actor=request.user, user=user, handovers=handovers)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(
            request,
            _(
                "%(name)s is deactivated: roles and API tokens revoked, %(moved)d open case(s) handed over, "
                "%(left)d left to hand over from the centre's handover page."
            )
            % {"name": user.get_username(), "moved": done.handed_over, "left": done.left_open},
        )
        return None

    @admin.display(description=_("current roles"))
    def current_roles(self, obj) -> str:
        held = held_roles(obj)
        if not held:
            return "—"
        return format_html_join("", "<div>{}</div>", ((label,) for _key, label in held))

    def save_related(self, request, form, formsets, change) -> None:
        # After the form's own many-to-many fields (user_permissions among them) are saved, so that a
        # coordinator grant, which is a set of global permissions, is not overwritten by them.
        super().save_related(request, form, formsets, change)
        user = form.instance
        labels = dict(form.fields["revoke_roles"].choices)
        for key in form.cleaned_data.get("revoke_roles") or []:
            role, organisation = role_target(key)
            role_revoke(user=user, role=role, organisation=organisation)
            self.message_user(request, _("Role revoked: %(role)s.") % {"role": labels[key]})
        role = form.cleaned_data.get("grant_role")
        if role:
            organisation = form.cleaned_data.get("grant_school") or form.cleaned_data.get("grant_centre")
            role_grant(user=user, role=Role(role), organisation=organisation)
            label = ROLE_LABELS[Role(role)]
            if organisation is not None:
                label = f"{label} — {organisation}"
            self.message_user(request, _("Role granted: %(role)s.") % {"role": label})
