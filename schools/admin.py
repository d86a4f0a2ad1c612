from django.contrib import admin

# Pupils and guardians are in outreach/admin.py: read-only, and every page of them is logged (outreach.audit).
from schools.models import School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "uai", "city")
    list_filter = ("city",)
    search_fields = ("name", "uai")
    ordering = ("name",)
