"""Flagging pupils from a CSV file: read the file, turn each row into case_flag's arguments, flag the rows together
(an import job does it by chunks in the background: outreach/imports.py).

A bad row is reported against its column and never blocks the others. The file-level checks (encoding,
columns, size) come first, as a ValidationError on the upload form.
"""

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from outreach import services
from outreach.access import AccessScope
from outreach.forms import DATE_FORMATS, SchoolChoiceMixin
from outreach.models import Reason, Urgency
from outreach.services import FLAG_FIELDS
from schools.models import Level, School, Sex
from schools.services import PUPIL_FIELDS

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_ROWS = 10000


MAX_CSV_GUARDIANS = 3
CSV_GUARDIAN_COLUMNS = ("name", "relationship", "phone", "email", "language", "interpreter_needed")


def guardian_column(number: int, name: str) -> str:
    return f"guardian{number}_{name}"


# The pupil as the school knows them, up to three guardians, then the flag.
CSV_COLUMNS = (
    "external_ref",
    *PUPIL_FIELDS,
    *(guardian_column(number, name) for number in range(1, MAX_CSV_GUARDIANS + 1) for name in CSV_GUARDIAN_COLUMNS),
    *FLAG_FIELDS,
)
REQUIRED_COLUMNS = ("external_ref", "first_name", "last_name", "level", "reasons")
CSV_PUPIL_COLUMNS = ("external_ref", *PUPIL_FIELDS)

# The headers of the French template, also recognised in a file whatever their case, accents and punctuation.
FRENCH_HEADERS = {
    "external_ref": "Numéro élève",
    "first_name": "Prénom",
    "last_name": "Nom",
    "birth_date": "Date de naissance",
    "sex": "Sexe",
    "level": "Niveau",
    "class_name": "Classe",
    "address": "Adresse",
    "postcode": "Code postal",
    "city": "Commune",
    "neighbourhood": "Quartier",
    **{
        guardian_column(number, name): f"Responsable {number} {label}"
        for number in range(1, MAX_CSV_GUARDIANS + 1)
        for name, label in (
            ("name", "nom"),
            ("relationship", "lien"),
            ("phone", "téléphone"),
            ("email", "courriel"),
            ("language", "langue"),
            ("interpreter_needed", "interprète"),
        )
    },
    "reasons": "Motifs",
    "details": "Faits observés",
    "urgency": "Urgence",
    "half_days_missed": "Demi-journées manquées",
    "last_seen_on": "Dernier jour de présence",
}
# Other headers a collège's own export uses. `guardian_*` are the first release's single-guardian columns.
HEADER_ALIASES = {
    **{f"guardian_{name}": guardian_column(1, name) for name in CSV_GUARDIAN_COLUMNS},
    **{f"Responsable {number} email": guardian_column(number, "email") for number in range(1, 4)},
    **{f"Responsable {number} tél": guardian_column(number, "phone") for number in range(1, 4)},
    **{f"Responsable {number} portable": guardian_column(number, "phone") for number in range(1, 4)},
    "N° élève": "external_ref",
    "Identifiant": "external_ref",
    "Identifiant élève": "external_ref",
    "Numéro interne": "external_ref",
    "Nom de famille": "last_name",
    "Né(e) le": "birth_date",
    "Genre": "sex",
    "CP": "postcode",
    "Ville": "city",
    "Motif": "reasons",
    "Détails": "details",
    "Précisions": "details",
    "Demi-journées d'absence": "half_days_missed",
    "Dernière présence": "last_seen_on",
    "Vu pour la dernière fois le": "last_seen_on",
}


def _numbered(text, number: int):
    """A translated text naming a guardian's number, translated when shown."""
    return lazy(lambda: str(text) % {"number": number}, str)()


_GUARDIAN_HELP = {
    "name": _("Guardian %(number)d: name. Guardians given replace the ones Radar holds for a known pupil."),
    "relationship": _("Guardian %(number)d: mother, father, aunt…"),
    "phone": _("Guardian %(number)d: phone number."),
    "email": _("Guardian %(number)d: email address."),
    "language": _("Guardian %(number)d: language spoken at home."),
    "interpreter_needed": _("Guardian %(number)d: oui if an interpreter is needed, empty or non otherwise."),
}
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
    **{
        guardian_column(number, name): _numbered(help_text, number)
        for number in range(1, MAX_CSV_GUARDIANS + 1)
        for name, help_text in _GUARDIAN_HELP.items()
    },
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


def _header_key(text: str) -> str:
    """Headers compared also whatever their punctuation: "Responsable 1 - Téléphone" is "responsable 1 telephone"."""
    return " ".join(re.sub(r"[\W_]+", " ", _key(text)).split())


HEADER_CODES = {
    _header_key(header): code
    for header, code in (
        *((code, code) for code in CSV_COLUMNS),
        *((header, code) for code, header in FRENCH_HEADERS.items()),
        *HEADER_ALIASES.items(),
    )
}
YES_NO = {"oui": True, "o": True, "x": True, "1": True, "vrai": True, "yes": True, "y": True, "true": True}
YES_NO |= {"non": False, "n": False, "0": False, "faux": False, "no": False, "false": False}


def column_title(code: str) -> str:
    """A column's name as the template file writes it: in French for a French reader, else its code."""
    return FRENCH_HEADERS.get(code, code) if (translation.get_language() or "").startswith("fr") else code


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
    # The guardian number (1 to 3) of each guardian given to the service, in order.
    guardian_numbers: list[int] = field(default_factory=list)
    # Columns whose cell held a NUL character, taken out when the file was read (PostgreSQL stores no NUL, not
    # even in an import job's JSON): each is an error on its row.
    nul_columns: list[str] = field(default_factory=list)


class RowReader:
    """Turns a CSV row into case_flag's arguments; what cannot be read is reported against its column."""

    def __init__(self):
        self.reasons = _lookup(Reason.choices, REASON_ALIASES)
        self.urgencies = _lookup(Urgency.choices, URGENCY_ALIASES)
        self.sexes = _lookup(Sex.choices, SEX_ALIASES)

    def read(self, row: CsvRow) -> CsvRow:
        cells, errors = row.cells, row.errors
        for column in row.nul_columns:
            errors[column] = [str(_("This cell holds a NUL character: retype it in your spreadsheet."))]
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
        guardians = []
        for number in range(1, MAX_CSV_GUARDIANS + 1):
            guardian = {name: cells.get(guardian_column(number, name), "") for name in CSV_GUARDIAN_COLUMNS}
            interpreter = guardian.pop("interpreter_needed")
            if not any(guardian.values()):
                continue
            column = guardian_column(number, "interpreter_needed")
            guardian["interpreter_needed"] = self._yes_no(interpreter, column, errors)
            guardians.append(guardian)
            row.guardian_numbers.append(number)
        if guardians:
            pupil["guardians"] = guardians

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
    def _yes_no(value: str, column: str, errors: dict) -> bool:
        if not value:
            return False
        if (answer := YES_NO.get(_key(value))) is None:
            errors[column] = [str(_("Write oui or non."))]
            return False
        return answer

    @staticmethod
    def _date(value: str, column: str, errors: dict) -> date | None:
        try:
            return _parse_date(value)
        except ValueError:
            errors[column] = [str(_("Enter a date as YYYY-MM-DD or DD/MM/YYYY."))]
            return None


def csv_column_of(key: str, guardian_numbers: list[int]) -> str:
    """The CSV column a service's error key is about: `pupil.guardians.0.email` is `guardian1_email` when the
    first guardian given was the file's guardian 1."""
    parts = key.split(".")
    if len(parts) >= 4 and parts[:2] == ["pupil", "guardians"] and parts[2].isdigit():
        index = int(parts[2])
        number = guardian_numbers[index] if index < len(guardian_numbers) else index + 1
        return guardian_column(number, parts[3])
    return key.removeprefix("pupil.")


# Semicolons from Excel-FR, commas from programs, tabs from Excel's "Unicode text".
DELIMITERS = ";,\t"


def _delimiter(text: str, header_line: str) -> str:
    """The sniffer's guess, unless the first line says otherwise (it names known columns)."""
    try:
        guess = csv.Sniffer().sniff(text[:16384], delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = max(DELIMITERS, key=header_line.count)
    known = {name: len(set(_columns(header_line.split(name))) & set(CSV_COLUMNS)) for name in DELIMITERS}
    return guess if known[guess] >= max(known.values()) else max(known, key=known.get)


def _columns(header: list[str]) -> list[str]:
    """The column code of each header cell; a cell Radar does not know keeps its own name and is ignored."""
    cells = [cell.strip().strip('"').strip() for cell in header]
    return [HEADER_CODES.get(_header_key(cell), cell.lower()) for cell in cells]


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without the byte order mark Excel adds), UTF-16 with its mark (Excel's "Unicode text"),
    else Windows-1252, Excel-FR's default "CSV"."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("The file is neither UTF-8 nor Windows-1252. In your spreadsheet, save it as “CSV UTF-8”."),
            code="encoding",
        ) from error


def read_flag_csv(raw: bytes) -> list[CsvRow]:
    """The rows of an uploaded file, or a ValidationError saying what is wrong with the file as a whole."""
    text = _decode(raw)
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
            known = {name: cells[name] for name in CSV_COLUMNS if name in cells}
            nul_columns = [name for name, value in known.items() if "\x00" in value]
            known.update({name: known[name].replace("\x00", "") for name in nul_columns})
            rows.append(CsvRow(number=number, cells=known, nul_columns=nul_columns))
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
    missing = [column_title(name) for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ValidationError(
            _("The first line must name the columns; missing: %(columns)s. Download the template to start from it."),
            code="columns",
            params={"columns": ", ".join(missing)},
        )
    repeated = sorted({column_title(name) for name in columns if name and columns.count(name) > 1})
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
        help_text=_(
            "CSV as Excel saves it (UTF-8 or Windows-1252), columns separated by semicolons or commas, "
            "at most 10,000 pupils and 5 MB."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_schools(schools)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file weighs %(size).1f MB: the limit is 5 MB. Split it into several files."),
                code="too_large",
                params={"size": upload.size / (1024 * 1024)},
            )
        self.rows = read_flag_csv(upload.read())
        return upload


def flag_read_rows(*, actor, scope: AccessScope, school: School, rows: list[CsvRow]) -> list[dict]:
    """Flags the rows read without error together, inside the caller's transaction (an import job's chunk):
    a row the flag's rules refuse is reported against its column and never blocks the others. One result per row,
    in order: its number, status (created, existing, error), case and errors by column."""
    readable = [row for row in rows if not row.errors]
    outcomes = (
        services.cases_flag_in_transaction(
            actor=actor, scope=scope, school=school, items=[row.arguments for row in readable]
        )
        if readable
        else []
    )
    for row, outcome in zip(readable, outcomes, strict=True):
        for key, key_messages in outcome.errors.items():
            row.errors.setdefault(csv_column_of(key, row.guardian_numbers), []).extend(key_messages)
    flagged = {row.number: outcome for row, outcome in zip(readable, outcomes, strict=True) if outcome.case}
    report = []
    for row in rows:
        if row.number in flagged:
            outcome = flagged[row.number]
            status = "created" if outcome.created else "existing"
            report.append({"number": row.number, "status": status, "case": outcome.case, "errors": []})
        else:
            errors = sorted(row.errors.items(), key=lambda item: _column_order(item[0]))
            report.append({"number": row.number, "status": "error", "case": None, "errors": errors})
    return report


def _column_order(column: str) -> int:
    return CSV_COLUMNS.index(column) if column in CSV_COLUMNS else -1


def csv_template() -> str:
    """The first line of a file to fill in, in the reader's language: a byte order mark and semicolons, as a French
    spreadsheet expects."""
    return "\ufeff" + ";".join(column_title(code) for code in CSV_COLUMNS) + "\r\n"
