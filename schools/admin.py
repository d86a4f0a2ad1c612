from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from schools.models import Guardian, Pupil, School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "uai", "city")
    list_filter = ("city",)
    search_fields = ("name", "uai")
    ordering = ("name",)


class GuardianInline(admin.TabularInline):
    model = Guardian
    extra = 0
    fields = ("name", "relationship", "phone", "email", "language", "interpreter_needed")


@admin.register(Pupil)
class PupilAdmin(admin.ModelAdmin):
    list_display = ("external_ref", "last_name", "first_name", "school", "level", "class_name")
    list_filter = ("level", "school")
    list_select_related = ("school",)
    search_fields = ("external_ref", "last_name", "first_name")
    autocomplete_fields = ("school",)
    readonly_fields = ("created_at", "updated_at", "anonymised_at")
    fieldsets = (
        (None, {"fields": ("school", "external_ref", "first_name", "last_name", "birth_date", "sex")}),
        (_("Schooling"), {"fields": ("level", "class_name")}),
        (_("Address"), {"fields": ("address", "postcode", "city", "neighbourhood")}),
        (_("Record"), {"fields": ("created_at", "updated_at", "anonymised_at")}),
    )
    inlines = [GuardianInline]
