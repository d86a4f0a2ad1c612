"""Domain errors raised by services and the access gate; the API and the web views translate them."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    default_message = _("The request could not be carried out.")

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None) -> None:
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        super().__init__(self.message)


class NotFound(DomainError):
    """The object does not exist, or the user may not know it exists."""

    code = "not_found"
    default_message = _("Not found.")


class ActionForbidden(DomainError):
    code = "forbidden"
    default_message = _("You may not do this.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    default_message = _("This is not possible in the case's current state.")


class InvalidInput(DomainError):
    code = "invalid"
    default_message = _("Some fields are invalid.")
