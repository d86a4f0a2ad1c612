"""`{% submission_token %}`: the one-time token of a form that creates something (outreach/views/once.py)."""

from django import template

from outreach.views import once

register = template.Library()


@register.simple_tag
def submission_token():
    """The hidden input carrying a fresh token: one per rendered form, never shared between two forms."""
    return once.hidden_input()
