"""The errors of the domain: raised by services and gates, translated by each door (a status, a page, a message)."""

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


class StaleVersion(DomainError):
    """The caller's copy of the case (its ETag) is older than the case: read it again before changing it."""

    code = "stale"
    default_message = _("The case changed since you read it: read it again before changing it.")


class Conflict(DomainError):
    """Another write on the same rows got in the way (a deadlock, a serialization failure): nothing was written."""

    code = "conflict"
    default_message = _("Someone else was changing the same case at the same moment: nothing was saved, try again.")
