"""Streets that turn an address into a neighbourhood, and their import from a list in the Base Adresse Nationale's
columns (`numero`, `nom_voie`, `code_postal`, …) with one more column naming the neighbourhood (`quartier`)."""

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from outreach.folding import fold, split_address, street_key
from outreach.models import Neighbourhood, Street

NEIGHBOURHOOD_COLUMNS = ("quartier", "neighbourhood")
REQUIRED_STREET_COLUMNS = ("nom_voie", "code_postal")


def _covers(street: Street, number: int | None) -> bool:
    if number is None or street.number_from is None or street.number_to is None:
        return True
    return street.number_from <= number <= street.number_to


def street_neighbourhoods(addresses: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """For each (address, postcode) whose street lies in exactly one neighbourhood (at that number), the
    neighbourhood's id. One query for a whole page of pupils, on the (postcode, name_key) index."""
    wanted = {}
    for address, postcode in addresses:
        number, key = split_address(address)
        if key and (postcode or "").strip():
            wanted[(address, postcode)] = (number, key, postcode.strip())
    if not wanted:
        return {}
    pairs = {(postcode, key) for _number, key, postcode in wanted.values()}
    streets: dict[tuple[str, str], list[Street]] = {}
    for street in Street.objects.filter(reduce(or_, (Q(postcode=p, name_key=k) for p, k in pairs))):
        streets.setdefault((street.postcode, street.name_key), []).append(street)
    found = {}
    for address_and_postcode, (number, key, postcode) in wanted.items():
        neighbourhoods = {s.neighbourhood_id for s in streets.get((postcode, key), []) if _covers(s, number)}
        if len(neighbourhoods) == 1:
            found[address_and_postcode] = neighbourhoods.pop()
    return found


@dataclass
class StreetImport:
    streets: int = 0
    rows: int = 0
    neighbourhoods: set[str] = field(default_factory=set)
    # (line number, message) of the rows left out.
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_streets(rows: Iterable[dict[str, str]]) -> StreetImport:
    """Replaces the streets of every neighbourhood the list names, in one transaction.

    Rows are addresses (one per number, as in the BAN) or whole streets (no `numero`); the numbers of one street in
    one neighbourhood become one stretch, from the lowest to the highest. Only streets are kept, never an address.
    """
    by_name = {fold(name): pk for pk, name in Neighbourhood.objects.values_list("pk", "name")}
    report = StreetImport()
    stretches: dict[tuple[int, str, str], dict] = {}
    for line, row in enumerate(rows, start=2):
        report.rows += 1
        row = {(name or "").strip().lower(): (value or "").strip() for name, value in row.items()}
        neighbourhood_name = next((row[c] for c in NEIGHBOURHOOD_COLUMNS if row.get(c)), "")
        neighbourhood_id = by_name.get(fold(neighbourhood_name))
        if neighbourhood_id is None:
            report.errors.append((line, _("Unknown neighbourhood: “%(name)s”.") % {"name": neighbourhood_name}))
            continue
        name, postcode, raw_number = row.get("nom_voie", ""), row.get("code_postal", ""), row.get("numero", "")
        if not name or not postcode:
            report.errors.append((line, _("The street's name and postcode are required.")))
            continue
        if raw_number and not raw_number.isdigit():
            report.errors.append((line, _("The number must be a whole number.")))
            continue
        stretch = stretches.setdefault(
            (neighbourhood_id, postcode, street_key(name)), {"name": name, "low": None, "high": None, "whole": False}
        )
        if raw_number:
            number = int(raw_number)
            stretch["low"] = number if stretch["low"] is None else min(stretch["low"], number)
            stretch["high"] = number if stretch["high"] is None else max(stretch["high"], number)
        else:
            stretch["whole"] = True
        report.neighbourhoods.add(neighbourhood_name)
    streets = [
        Street(
            neighbourhood_id=neighbourhood_id,
            name=stretch["name"],
            name_key=key,
            postcode=postcode,
            number_from=None if stretch["whole"] else stretch["low"],
            number_to=None if stretch["whole"] else stretch["high"],
        )
        for (neighbourhood_id, postcode, key), stretch in stretches.items()
    ]
    with transaction.atomic():
        Street.objects.filter(neighbourhood_id__in={s.neighbourhood_id for s in streets}).delete()
        Street.objects.bulk_create(streets, batch_size=1000)
    report.streets = len(streets)
    return report


def read_street_list(upload) -> StreetImport:
    """Imports an uploaded street list, read as it streams: UTF-8 (with or without its mark) or Windows-1252,
    semicolons or commas, whatever the size of the file."""
    sample = upload.read(65536)
    upload.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    text = io.TextIOWrapper(upload.file, encoding=encoding, errors="replace", newline="")
    header = sample.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0] if sample.strip() else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(text, delimiter=delimiter)
    columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
    missing = [name for name in REQUIRED_STREET_COLUMNS if name not in columns]
    if missing or not columns & set(NEIGHBOURHOOD_COLUMNS):
        raise ValidationError(
            _("The first line must name the columns nom_voie, code_postal and quartier (numero is optional).")
        )
    return import_streets(reader)
