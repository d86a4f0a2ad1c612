"""JSON bodies nested at most MAX_JSON_DEPTH deep.

Python's parser gives up on deep nesting with a RecursionError (a 500): refused here as 400 `invalid_input`, before
any view runs. (A NUL character in a string is the fields' business: DRF's CharField refuses it, so that one bad
item of a bulk never blocks the others.)
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def _invalid(message: str) -> ParseError:
    return ParseError(message, code="invalid_input")


def _check(document) -> None:
    """Walks the document without recursion: its depth is what is being checked."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _invalid(_("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH})
        children = list(value.values()) if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children)


class SaneJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise _invalid(
                _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH}
            ) from error
        _check(document)
        return document
