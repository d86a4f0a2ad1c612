"""Flagging pupils from a CSV file: read the file, turn each row into case_flag's arguments, flag each row.

A bad row is reported against its column and never blocks the others. The file-level checks (encoding,
columns, size) come first, as a ValidationError on the upload form.
"""

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from outreach import services
from outreach.access import AccessScope
from outreach.forms import DATE_FORMATS, SchoolChoiceMixin
from outreach.models import Reason, Urgency
from outreach.services import FLAG_FIELDS
from schools.domain_errors import DomainError
from schools.models import Level, School, Sex
from schools.services import PUPIL_FIELDS

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_ROWS = 1000


CSV_GUARDIAN_COLUMNS = ("name", "relationship", "phone", "email", "language")
# The pupil as the school knows them, one guardian, then the flag.
CSV_COLUMNS = (
    "external_ref",
    *PUPIL_FIELDS,
    *(f"guardian_{name}" for name in CSV_GUARDIAN_COLUMNS),
    *FLAG_FIELDS,
)
REQUIRED_COLUMNS = ("external_ref", "first_name", "last_name", "level", "reasons")
CSV_PUPIL_COLUMNS = ("external_ref", *PUPIL_FIELDS)
# What each column holds, for the page that documents the file.
CSV_COLUMN_HELP = {
    "external_ref": _("The pupil's number in your school's information system."),
    "first_name": _("First name."),
    "last_name": _("Last name."),
    "birth_date": _("YYYY-MM-DD or DD/MM/YYYY."),
    "sex": _("F or M; empty if not given (only used for the funders' statistics)."),
    "level": _("6e, 5e, 4e, 3e, ULIS or SEGPA."),
    "class_name": _("Class, for example 5e B."),
    "address": _("Street address."),
    "postcode": _("Postcode."),
    "city": _("City."),
    "neighbourhood": _("Neighbourhood name, as Radar knows it if possible."),
    "guardian_name": _("One guardian's name; when given, it replaces the guardians Radar holds for a known pupil."),
    "guardian_relationship": _("Mother, father, aunt…"),
    "guardian_phone": _("Phone number."),
    "guardian_email": _("Email address."),
    "guardian_language": _("Language spoken at home."),
    "reasons": _("One or more reasons, as codes or labels, separated by | or ; (see the list below)."),
    "details": _("Objective facts only: the family may read them. Required when a reason is “other”."),
    "urgency": _("normal or high; empty means normal."),
    "half_days_missed": _("Half-days missed in the last 4 weeks, 0 to 40; empty means 0."),
    "last_seen_on": _("Last day seen at school: YYYY-MM-DD or DD/MM/YYYY."),
}

# French labels as a collège writes them, whatever wording the French catalogue ends up with.
REASON_ALIASES = {
    "absences injustifiées": Reason.UNJUSTIFIED_ABSENCE,
    "absence injustifiée": Reason.UNJUSTIFIED_ABSENCE,
    "absences non justifiées": Reason.UNJUSTIFIED_ABSENCE,
    "absences intermittentes": Reason.INTERMITTENT_ABSENCE,
    "absences perlées": Reason.INTERMITTENT_ABSENCE,
    "absence longue": Reason.LONG_ABSENCE,
    "absence prolongée": Reason.LONG_ABSENCE,
    "longue absence": Reason.LONG_ABSENCE,
    "famille injoignable": Reason.FAMILY_UNREACHABLE,
    "famille non joignable": Reason.FAMILY_UNREACHABLE,
    "pas d'accès numérique": Reason.NO_DIGITAL_ACCESS,
    "sans accès numérique": Reason.NO_DIGITAL_ACCESS,
    "absence d'accès numérique": Reason.NO_DIGITAL_ACCESS,
    "aucun accès numérique": Reason.NO_DIGITAL_ACCESS,
    "décrochage": Reason.DISENGAGEMENT,
    "désengagement": Reason.DISENGAGEMENT,
    "démotivation": Reason.DISENGAGEMENT,
    "résultats en baisse": Reason.FALLING_RESULTS,
    "baisse des résultats": Reason.FALLING_RESULTS,
    "chute des résultats": Reason.FALLING_RESULTS,
    "comportement": Reason.BEHAVIOUR,
    "autre": Reason.OTHER,
}
URGENCY_ALIASES = {
    "normale": Urgency.NORMAL,
    "haute": Urgency.HIGH,
    "élevée": Urgency.HIGH,
    "forte": Urgency.HIGH,
    "urgent": Urgency.HIGH,
    "urgente": Urgency.HIGH,
}
SEX_ALIASES = {
    "fille": Sex.FEMALE,
    "féminin": Sex.FEMALE,
    "garçon": Sex.MALE,
    "masculin": Sex.MALE,
}


def _key(text: str) -> str:
    """Compares labels whatever their case, accents, apostrophes and spacing."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().split())


def _lookup(choices, aliases: dict) -> dict[str, str]:
    """Codes, their labels in every language of the site, and the aliases, keyed by _key."""
    table = {_key(alias): str(code) for alias, code in aliases.items()}
    for code, label in choices:
        table[_key(code)] = code
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                table.setdefault(_key(str(label)), code)
    return table


def _parse_date(value: str) -> date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    raise ValueError(value)


def _level(value: str) -> str:
    key = _key(value)
    if match := re.fullmatch(r"([3-6])\s*(e|eme|em|ieme)?", key):
        return f"{match.group(1)}e"
    return {"ulis": Level.ULIS, "segpa": Level.SEGPA}.get(key, value)


@dataclass
class CsvRow:
    number: int
    cells: dict[str, str]
    arguments: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


class RowReader:
    """Turns a CSV row into case_flag's arguments; what cannot be read is reported against its column."""

    def __init__(self):
        self.reasons = _lookup(Reason.choices, REASON_ALIASES)
        self.urgencies = _lookup(Urgency.choices, URGENCY_ALIASES)
        self.sexes = _lookup(Sex.choices, SEX_ALIASES)

    def read(self, row: CsvRow) -> CsvRow:
        cells, errors = row.cells, row.errors
        for column, value in cells.items():
            if "\x00" in value:  # not text, and PostgreSQL cannot store it
                errors[column] = [str(_("This cell holds a NUL character: retype it in your spreadsheet."))]
                cells[column] = value.replace("\x00", "")
        # An empty cell keeps what Radar already holds about a known pupil; required ones are checked by the service.
        pupil: dict = {name: cells[name] for name in CSV_PUPIL_COLUMNS if cells.get(name)}
        for name in ("external_ref", "first_name", "last_name", "level"):
            pupil.setdefault(name, "")
        if pupil.get("birth_date"):
            pupil["birth_date"] = self._date(pupil["birth_date"], "birth_date", errors)
        if pupil.get("sex"):
            pupil["sex"] = self.sexes.get(_key(pupil["sex"]), pupil["sex"])
        if pupil["level"]:
            pupil["level"] = _level(pupil["level"])
        guardian = {name: cells.get(f"guardian_{name}", "") for name in CSV_GUARDIAN_COLUMNS}
        if any(guardian.values()):
            pupil["guardians"] = [guardian]

        tokens = [token.strip() for token in re.split(r"[|;]", cells.get("reasons", "")) if token.strip()]
        arguments = {
            "pupil": pupil,
            "reasons": [self.reasons.get(_key(token), token) for token in tokens],
            "details": cells.get("details", ""),
            "urgency": self.urgencies.get(_key(cells.get("urgency", "")), cells.get("urgency", "")) or Urgency.NORMAL,
            "half_days_missed": 0,
            "last_seen_on": None,
        }
        if cells.get("half_days_missed"):
            try:
                arguments["half_days_missed"] = int(cells["half_days_missed"])
            except ValueError:
                errors["half_days_missed"] = [str(_("Enter a whole number."))]
        if cells.get("last_seen_on"):
            arguments["last_seen_on"] = self._date(cells["last_seen_on"], "last_seen_on", errors)
        row.arguments = arguments
        return row

    @staticmethod
    def _date(value: str, column: str, errors: dict) -> date | None:
        try:
            return _parse_date(value)
        except ValueError:
            errors[column] = [str(_("Enter a date as YYYY-MM-DD or DD/MM/YYYY."))]
            return None


def csv_column_of(key: str) -> str:
    """The CSV column a service's error key is about: `pupil.guardians.0.email` is `guardian_email`."""
    parts = key.split(".")
    if len(parts) >= 4 and parts[:2] == ["pupil", "guardians"]:
        return f"guardian_{parts[3]}"
    return key.removeprefix("pupil.")


def _delimiter(text: str, header_line: str) -> str:
    """The sniffer's guess, unless the first line says otherwise (it names known columns)."""
    try:
        guess = csv.Sniffer().sniff(text[:16384], delimiters=";,").delimiter
    except csv.Error:
        guess = ";" if header_line.count(";") > header_line.count(",") else ","
    known = {name: len(set(_columns(header_line.split(name))) & set(CSV_COLUMNS)) for name in ";,"}
    return guess if known[guess] >= max(known.values()) else max(known, key=known.get)


def _columns(header: list[str]) -> list[str]:
    return [cell.strip().strip('"').strip().lower() for cell in header]


def read_flag_csv(raw: bytes) -> list[CsvRow]:
    """The rows of an uploaded file, or a ValidationError saying what is wrong with the file as a whole."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("The file is not in UTF-8. In your spreadsheet, save it as “CSV UTF-8”."), code="encoding"
        ) from error
    if not text.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    header_line = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, header_line))
    rows: list[CsvRow] = []
    try:
        columns: list[str] = []
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if not columns:
                columns = _columns(record)
                _check_header(columns)
                continue
            if len(rows) == MAX_UPLOAD_ROWS:
                raise ValidationError(
                    _("The file has more than %(max)d rows: split it into several files."),
                    code="too_many_rows",
                    params={"max": MAX_UPLOAD_ROWS},
                )
            cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(columns)}
            rows.append(CsvRow(number=number, cells={name: cells[name] for name in CSV_COLUMNS if name in cells}))
    except csv.Error as error:
        raise ValidationError(
            _("The file could not be read as CSV near line %(line)d: %(error)s"),
            code="csv",
            params={"line": reader.line_num, "error": error},
        ) from error
    if not rows:
        raise ValidationError(_("The file has no pupil under its first line."), code="no_rows")
    return rows


def _check_header(columns: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValidationError(
            _("The first line must name the columns; missing: %(columns)s. Download the template to start from it."),
            code="columns",
            params={"columns": ", ".join(missing)},
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise ValidationError(
            _("These columns appear twice: %(columns)s."), code="columns", params={"columns": ", ".join(repeated)}
        )


class FlagUploadForm(SchoolChoiceMixin, forms.Form):
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), empty_label=_("Choose the school")
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, columns separated by commas or semicolons, at most 1,000 pupils and 2 MB."),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_schools(schools)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file weighs %(size).1f MB: the limit is 2 MB. Split it into several files."),
                code="too_large",
                params={"size": upload.size / (1024 * 1024)},
            )
        self.rows = read_flag_csv(upload.read())
        return upload


def import_rows(*, actor, scope: AccessScope, school: School, rows: list[CsvRow]) -> list[dict]:
    """Flags each row on its own: a bad row is reported and never blocks the others (each flag is atomic)."""
    reader, report = RowReader(), []
    for row in rows:
        reader.read(row)
        result = {"number": row.number, "cells": row.cells, "case": None, "errors": row.errors}
        if not row.errors:
            try:
                case, created = services.case_flag(actor=actor, scope=scope, school=school, **row.arguments)
            except DomainError as error:
                if not error.fields:
                    row.errors[""] = [error.message]
                for key, key_messages in error.fields.items():
                    row.errors.setdefault(csv_column_of(key), []).extend(key_messages)
            except Exception:
                # The row's flag was rolled back whole; the rows before it stay flagged, the ones after still run.
                logger.exception("CSV import: row %s could not be flagged", row.number)
                row.errors[""] = [gettext_now("This row could not be flagged because of an error on our side.")]
            else:
                result.update(case=case, status="created" if created else "existing")
        if row.errors:
            result["status"] = "error"
            result["errors"] = sorted(row.errors.items(), key=lambda item: _column_order(item[0]))
        report.append(result)
    return report


def _column_order(column: str) -> int:
    return CSV_COLUMNS.index(column) if column in CSV_COLUMNS else -1


def csv_template() -> str:
    """The first line of a file to fill in: a byte order mark and semicolons, as a French spreadsheet expects."""
    return "\ufeff" + ";".join(CSV_COLUMNS) + "\r\n"
