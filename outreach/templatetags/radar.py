"""Labels of coded values for pages built from redaction dictionaries, which hold codes, not model instances."""

from django import template

from outreach.models import (
    AccessAction,
    Attendance,
    ContactKind,
    ContactResult,
    EventKind,
    Outcome,
    Status,
    SupportKind,
)
from schools.models import Level

register = template.Library()

CODED_LISTS = {
    "access_action": AccessAction,
    "attendance": Attendance,
    "contact_kind": ContactKind,
    "contact_result": ContactResult,
    "event_kind": EventKind,
    "level": Level,
    "outcome": Outcome,
    "status": Status,
    "support_kind": SupportKind,
}


@register.filter
def label_of(code: str, coded_list: str) -> str:
    """`{{ contact.kind|label_of:"contact_kind" }}`: the label of a code, or the code if the list does not know it."""
    choices = CODED_LISTS[coded_list]
    return str(choices(code).label) if code in choices.values else code


@register.filter
def field_anchor(field) -> str:
    """The id an error links to: the input, or a group's first choice (radios and checkboxes have no single one)."""
    return field.id_for_label or f"{field.auto_id}_0"
