"""Labels of coded values for pages built from redaction dictionaries, which hold codes, not model instances."""

from django import template
from django.utils.dateformat import format as format_date
from django.utils.formats import number_format
from django.utils.translation import get_language

from outreach.models import (
    AccessAction,
    Attendance,
    ContactKind,
    ContactResult,
    EventKind,
    NoticeChannel,
    Outcome,
    Reason,
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
    "notice_channel": NoticeChannel,
    "outcome": Outcome,
    "reason": Reason,
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


@register.filter
def long_date(value) -> str:
    """ "1er septembre 2026" in French (the first of a month is an ordinal), "1 September 2026" in English."""
    text = format_date(value, "j F Y")
    if value.day == 1 and (get_language() or "").startswith("fr"):
        return "1er" + text[1:]
    return text


@register.filter
def figure(value) -> str:
    """A report figure in the reader's notation: "124,5" in French; a dash for a figure that cannot be computed."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return number_format(value, decimal_pos=1)
    return str(value)
