"""Range rules, written once. Model fields carry them as validators (web forms and API serializers are built from
those fields), and the database repeats every rule that depends on one row alone as a CHECK constraint.

A rule that depends on today ("not in the future", "a collège age") cannot be a CHECK constraint (SQLite refuses
now() there), so it stays a validator.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# A date before this year is a typing error (0899 for 2025). It also keeps clear of 1911 and before, which Paris's
# local mean time (+00:09:21) would turn into a date-time no client reads as ISO 8601.
EARLIEST_DATE = date(2000, 1, 1)
# A clock a few minutes fast on a phone must not refuse a visit logged "now".
CLOCK_SKEW = timedelta(minutes=5)
MAX_GUARDIANS = 10
# The largest primary key (BigAutoField): a larger id is invalid input, not a database error.
MAX_ID = 2**63 - 1
# Free text (details, notes): a page of facts. Longer is a paste gone wrong.
NOTE_LENGTH = 4000
NOTE = [MaxLengthValidator(NOTE_LENGTH)]


@dataclass(frozen=True)
class Bounds:
    """An inclusive range of whole numbers: validators for the field, a CHECK condition for the table."""

    low: int
    high: int

    def validators(self) -> list:
        return [MinValueValidator(self.low), MaxValueValidator(self.high)]

    def check(self, field: str, *, nullable: bool = False) -> Q:
        within = Q(**{f"{field}__gte": self.low, f"{field}__lte": self.high})
        return within | Q(**{f"{field}__isnull": True}) if nullable else within


HALF_DAYS_MISSED = Bounds(0, 40)  # half-days in 4 weeks: 10 days of 2 half-days each at the most, with margin
CONTACT_MINUTES = Bounds(0, 600)
TUTORING_MINUTES = Bounds(1, 240)
# A collège pupil's age on the day the record is written (ULIS and SEGPA pupils may be older than most).
PUPIL_AGE = Bounds(8, 20)


def not_before_earliest_date(value: date | datetime) -> None:
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    if day < EARLIEST_DATE:
        raise ValidationError(
            _("Enter a date from %(year)d on."), code="too_early", params={"year": EARLIEST_DATE.year}
        )


@deconstructible
class NotInTheFuture:
    """Today at the latest (a few minutes of clock skew allowed for a date and time)."""

    message = _("This date cannot be in the future.")

    def __call__(self, value: date | datetime) -> None:
        late = value > timezone.now() + CLOCK_SKEW if isinstance(value, datetime) else value > timezone.localdate()
        if late:
            raise ValidationError(self.message, code="future")

    def __eq__(self, other) -> bool:
        return isinstance(other, NotInTheFuture)


not_in_the_future = NotInTheFuture()


def college_age(birth_date: date) -> None:
    today = timezone.localdate()
    years = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    if not PUPIL_AGE.low <= years <= PUPIL_AGE.high:
        raise ValidationError(
            _("A collège pupil is %(low)d to %(high)d years old: check the birth date."),
            code="age",
            params={"low": PUPIL_AGE.low, "high": PUPIL_AGE.high},
        )


PAST_DATE = [not_before_earliest_date, not_in_the_future]
