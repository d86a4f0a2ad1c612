from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.negotiation import DefaultContentNegotiation

from schools.domain_errors import InvalidInput


class StrictContentNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is invalid input (400), where DRF answers 404 as if the URL did not exist."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404 as error:
            formats = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise InvalidInput(fields={"format": [_("Choose one of: %(values)s.") % {"values": formats}]}) from error
