"""CSV that spreadsheets read as meant and cannot turn into formulas, streamed row by row.

Two formats: the standard one (commas, UTF-8, a dot before decimals) for programs, and the Excel one that a
French spreadsheet opens in columns with numbers it can add up (semicolons, a byte order mark, a decimal comma).
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class CsvFormat:
    name: str
    delimiter: str
    byte_order_mark: bool
    decimal_separator: str


STANDARD = CsvFormat(name="standard", delimiter=",", byte_order_mark=False, decimal_separator=".")
EXCEL = CsvFormat(name="excel", delimiter=";", byte_order_mark=True, decimal_separator=",")
CSV_FORMATS = {csv_format.name: csv_format for csv_format in (STANDARD, EXCEL)}


def csv_format_named(name: str | None) -> CsvFormat:
    """The format a request asks for with `?dialect=excel`; the standard one otherwise."""
    return CSV_FORMATS.get(name or "", STANDARD)


def csv_safe(value) -> str:
    """A cell starting like a formula is prefixed with a quote so it is shown, never evaluated."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value, csv_format: CsvFormat = STANDARD) -> str:
    """A number is written as a number in the format's own notation (a negative one is no formula)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value).replace(".", csv_format.decimal_separator)
    return csv_safe(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Iterable], *, filename: str, csv_format: CsvFormat = STANDARD) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), delimiter=csv_format.delimiter)

    def lines():
        if csv_format.byte_order_mark:
            yield BYTE_ORDER_MARK
        for row in rows:
            yield writer.writerow([csv_cell(cell, csv_format) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
