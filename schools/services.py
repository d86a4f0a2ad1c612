"""Writes on the school side's data."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from schools.errors import InvalidInput
from schools.models import Guardian, Level, Pupil, School, Sex

PUPIL_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "level",
    "class_name",
    "address",
    "postcode",
    "city",
    "neighbourhood",
)
GUARDIAN_FIELDS = ("name", "relationship", "phone", "email", "language", "interpreter_needed")


def _pupil_field_errors(data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for required in ("external_ref", "first_name", "last_name", "level"):
        if not str(data.get(required) or "").strip():
            errors[required] = [_("This field is required.")]
    if data.get("level") and data["level"] not in Level.values:
        errors["level"] = [_("Unknown level: %(value)s.") % {"value": data["level"]}]
    if data.get("sex") and data["sex"] not in Sex.values:
        errors["sex"] = [_("Unknown sex: %(value)s.") % {"value": data["sex"]}]
    birth_date = data.get("birth_date")
    if birth_date is not None and not isinstance(birth_date, date):
        errors["birth_date"] = [_("Enter a valid date.")]
    elif birth_date and birth_date > date.today():
        errors["birth_date"] = [_("The birth date cannot be in the future.")]
    for index, guardian in enumerate(data.get("guardians") or []):
        if not str(guardian.get("name") or "").strip():
            errors[f"guardians.{index}.name"] = [_("This field is required.")]
        if guardian.get("email"):
            try:
                validate_email(guardian["email"])
            except ValidationError:
                errors[f"guardians.{index}.email"] = [_("Enter a valid email address.")]
        # The model's own checks too (lengths, types): bulk_create below validates nothing.
        candidate = Guardian(**{name: guardian[name] for name in GUARDIAN_FIELDS if name in guardian})
        try:
            candidate.full_clean(exclude=["pupil"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(f"guardians.{index}.{key}", [str(message) for message in messages])
    return errors


@transaction.atomic
def pupil_upsert(*, school: School, data: dict) -> Pupil:
    """Creates or updates the pupil known to the school by `external_ref`.

    Guardians, when given, replace the ones on record: the school's information system is the source.
    """
    errors = _pupil_field_errors(data)
    if errors:
        raise InvalidInput(fields=errors)
    values = {name: data[name] for name in PUPIL_FIELDS if name in data and data[name] is not None}
    pupil = Pupil.objects.select_for_update().filter(school=school, external_ref=data["external_ref"].strip()).first()
    if pupil is None:
        pupil = Pupil(school=school, external_ref=data["external_ref"].strip())
    for name, value in values.items():
        setattr(pupil, name, value.strip() if isinstance(value, str) else value)
    try:
        pupil.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        fields = {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}
        raise InvalidInput(fields=fields) from error
    pupil.save()
    guardians = data.get("guardians")
    if guardians is not None:
        pupil.guardians.all().delete()
        Guardian.objects.bulk_create(
            Guardian(pupil=pupil, **{name: guardian[name] for name in GUARDIAN_FIELDS if name in guardian})
            for guardian in guardians
        )
    return pupil
