"""Writes on the school side's data."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from schools.domain_errors import InvalidInput
from schools.models import Guardian, Pupil, School
from schools.validators import MAX_GUARDIANS

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


def _messages(error: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    return {f"{prefix}{key}": [str(message) for message in messages] for key, messages in error.message_dict.items()}


def _cleaned(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _guardian_rows(guardians: list[dict] | None, errors: dict[str, list[str]]) -> list[Guardian] | None:
    if guardians is None:
        return None
    if len(guardians) > MAX_GUARDIANS:
        errors["guardians"] = [_("Give at most %(max)d guardians.") % {"max": MAX_GUARDIANS}]
        return []
    rows = []
    for index, guardian in enumerate(guardians):
        row = Guardian(**{name: _cleaned(guardian[name]) for name in GUARDIAN_FIELDS if name in guardian})
        try:
            row.full_clean(exclude=["pupil"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.update(_messages(error, f"guardians.{index}."))
        rows.append(row)
    return rows


def pupil_candidate(
    *, school: School, data: dict[str, Any], base: Pupil | None
) -> tuple[Pupil, list[Guardian] | None, dict[str, list[str]]]:
    """The pupil `data` describes, merged onto `base` (the record held, if any) and checked by the models' own
    rules (required fields, lengths, choices, dates); the guardians given (None: keep those on record); the
    field errors. `base` is copied, never changed."""
    external_ref = str(data.get("external_ref") or "").strip()
    values = {name: _cleaned(data[name]) for name in PUPIL_FIELDS if name in data and data[name] is not None}
    errors: dict[str, list[str]] = {}
    guardians = _guardian_rows(data.get("guardians"), errors)
    if base is None:
        candidate = Pupil(school=school, external_ref=external_ref)
    else:
        candidate = Pupil(**{f.attname: getattr(base, f.attname) for f in Pupil._meta.concrete_fields})
        candidate._state.adding, candidate._state.db = base._state.adding, base._state.db
    for name, value in values.items():
        setattr(candidate, name, value)
    try:
        # The school is the caller's, already read: checking that it exists would cost a query per pupil.
        candidate.full_clean(exclude=["school"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = _messages(error) | errors
    return candidate, guardians, errors


def pupil_upsert(*, school: School, data: dict[str, Any]) -> Pupil:
    """Creates or updates the pupil known to the school by `external_ref`; runs inside the caller's transaction.

    Guardians, when given, replace the ones on record: the school's information system is the source. The pupil
    row stays locked until the caller's transaction ends, so two flags of one pupil are applied one after the other.
    """
    external_ref = str(data.get("external_ref") or "").strip()
    values = {name: _cleaned(data[name]) for name in PUPIL_FIELDS if name in data and data[name] is not None}
    pupil = Pupil.objects.select_for_update().filter(school=school, external_ref=external_ref).first()
    candidate, guardians, errors = pupil_candidate(school=school, data=data, base=pupil)
    if errors:
        raise InvalidInput(fields=errors)
    if pupil is None:
        try:
            with transaction.atomic():
                candidate.save(force_insert=True)
            pupil = candidate
        except IntegrityError:
            # Another request created the same pupil between our read and our insert: theirs is the record.
            pupil = Pupil.objects.select_for_update().get(school=school, external_ref=external_ref)
            for name, value in values.items():
                setattr(pupil, name, value)
            pupil.save()
    else:
        candidate.save()
        pupil = candidate
    if guardians is not None:
        pupil.guardians.all().delete()
        for row in guardians:
            row.pupil = pupil
        Guardian.objects.bulk_create(guardians)
    return pupil
