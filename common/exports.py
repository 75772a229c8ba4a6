"""The one way the portal writes a spreadsheet or a csv file (DESIGN §5).

A spreadsheet runs a text cell that starts with `=`, `+`, `-` or `@` as a formula, and
Excel also after a leading tab or carriage return: an enterprise name such as
`=HYPERLINK("http://x.example","y")` would become a live link in the treasury's sheet.
Every text cell a file carries is therefore written through `cell()`, which prefixes a
single quote to such text (OWASP's advice for csv injection); numbers, dates and Decimals
stay typed cells. `unneutralise` is the exact inverse, so an exported list imports back
unchanged.

Which layer neutralises: the writers here (`xlsx_bytes`, `csv_text`, `append_row`) take
raw values. A ledger resource renders its cells through its columns, whose text column
neutralises, because django-import-export's own formats and `manage.py export` write that
dataset as it is. Never both: neutralising twice is not neutralising once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# Values a spreadsheet keeps as typed cells; everything else is written as text.
TYPED = (bool, int, float, Decimal, dt.date, dt.time)


def _needs_quote(text: str) -> bool:
    # Text already starting with quotes before a formula character gains one more, so that
    # `unneutralise` can tell a quote we added from one that was there (`'=x` round-trips).
    return text.lstrip(QUOTE).startswith(FORMULA_PREFIXES)


def neutralise(text: str) -> str:
    """`text` with a single quote in front when a spreadsheet would run it as a formula."""
    return QUOTE + text if _needs_quote(text) else text


def unneutralise(text: str) -> str:
    """The inverse of `neutralise`: drops the quote it added, leaves any other text alone."""
    if text.startswith(QUOTE) and _needs_quote(text[1:]):
        return text[1:]
    return text


def cell(value: Any) -> Any:
    """One cell as a file should carry it: None stays empty, numbers and dates stay typed,
    anything else becomes neutralised text (lazy translations and model instances too)."""
    if value is None or isinstance(value, TYPED):
        return value
    return neutralise(value if isinstance(value, str) else str(value))


def row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each through `cell()`."""
    return [cell(value) for value in values]


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (cut to Excel's 31 characters), a header row and data rows."""

    title: str
    headers: Sequence[Any]
    rows: Iterable[Sequence[Any]]


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet, every value through `cell()`.

    For workbooks with styles or charts (the statistics report); plain ones use `xlsx_bytes`.
    """
    sheet.append(row(values))


def workbook_bytes(workbook: Workbook) -> bytes:
    """The saved xlsx bytes of `workbook`."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_bytes(*sheets: Sheet) -> bytes:
    """An xlsx workbook with one worksheet per `Sheet`, its header row first and frozen."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet_title(sheet.title))
        append_row(worksheet, sheet.headers)
        for values in sheet.rows:
            append_row(worksheet, values)
        worksheet.freeze_panes = "A2"
    return workbook_bytes(workbook)


def sheet_title(text: str) -> str:
    """A worksheet title Excel accepts: no []:*?/\\ and at most 31 characters."""
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31] or "Sheet"


def _csv_field(value: Any) -> Any:
    value = cell(value)
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def csv_text(rows: Iterable[Sequence[Any]], *, headers: Sequence[Any] | None = None) -> str:
    """A csv file (comma separated, CRLF, fields quoted where needed) of `rows`, text
    neutralised; encode it as UTF-8 with a BOM for Excel (`csv_bytes`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if headers is not None:
        writer.writerow([_csv_field(value) for value in headers])
    for values in rows:
        writer.writerow([_csv_field(value) for value in values])
    return out.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]], *, headers: Sequence[Any] | None = None) -> bytes:
    """`csv_text` as UTF-8 with a byte order mark, which Excel needs to read Chinese."""
    return csv_text(rows, headers=headers).encode("utf-8-sig")
