"""Password strength as the CNIL's recommendation 2022-100 sets it for a password used alone.

The recommendation asks for about 80 bits of entropy and gives two ways to reach it that a person can check
while typing: at least 12 characters mixing capitals, small letters, digits and special characters, or at
least 14 characters mixing capitals, small letters and digits. Common passwords are refused by Django's
CommonPasswordValidator, which runs beside this one.
"""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SHORT_WITH_SPECIALS = 12
LONG_WITHOUT_SPECIALS = 14


def _classes(password: str) -> set[str]:
    found = set()
    for character in password:
        if character.isupper():
            found.add("upper")
        elif character.islower():
            found.add("lower")
        elif character.isdigit():
            found.add("digit")
        elif character in string.punctuation or not character.isalnum():
            found.add("special")
    return found


def is_strong(password: str) -> bool:
    classes = _classes(password)
    letters_and_digits = {"upper", "lower", "digit"} <= classes
    if len(password) >= LONG_WITHOUT_SPECIALS and letters_and_digits:
        return True
    return len(password) >= SHORT_WITH_SPECIALS and letters_and_digits and "special" in classes


class CnilPasswordValidator:
    """At least 12 characters of the four kinds, or 14 of capitals, small letters and digits (CNIL 2022-100)."""

    def validate(self, password: str, user=None) -> None:
        if not is_strong(password):
            raise ValidationError(self.get_help_text(), code="password_too_weak")

    def get_help_text(self) -> str:
        return _(
            "Your password must have at least 12 characters mixing capital letters, small letters, digits and "
            "special characters (such as ! ? % #), or at least 14 characters mixing capital letters, small "
            "letters and digits."
        )
