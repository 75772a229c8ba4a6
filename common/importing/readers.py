"""Fast readers for official lists: xlsx (first sheet) through calamine, csv through `csv`.

openpyxl, which tablib uses, takes about 15 times as long as a PostgreSQL COPY of the same
rows just to read a 100,000-row sheet; calamine (Rust) reads it in a fraction of that.
The result is a `Table`: the header row and the data rows as lists of cell values
(str, float, int, bool, date, datetime; an empty cell is "").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from import_export.formats import base_formats

from . import messages as msg

XLSX = "xlsx"
CSV = "csv"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class FileReadError(ValueError):
    """The file cannot be read at all; the message is Chinese and shown as is."""


@dataclass
class Table:
    """The cells of an official list. Row i of `rows` is spreadsheet row `i + 2`."""

    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[list[Any]]:
        return iter(self.rows)


def guess_kind(*, file_name: str | None = None, data: bytes | None = None) -> str:
    """xlsx or csv, from the content when given, else from the file name."""
    if data is not None:
        if data[:4] in (_ZIP_MAGIC, _OLE_MAGIC):
            return XLSX
        return CSV
    if file_name and file_name.lower().endswith((".xlsx", ".xls", ".xlsm")):
        return XLSX
    return CSV


def read_table(data: bytes, *, kind: str | None = None, encoding: str | None = None) -> Table:
    """Read an official list from bytes. Raises FileReadError for a file that is not one."""
    kind = kind or guess_kind(data=data)
    rows = _xlsx_rows(data) if kind == XLSX else _csv_rows(_decode(data, encoding))
    if not rows:
        raise FileReadError(msg.EMPTY_FILE)
    headers = [_header(cell) for cell in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise FileReadError(msg.EMPTY_FILE)
    body = rows[1:]
    # Trailing empty rows (a sheet's formatted but unused area) are not data.
    while body and not any(cell != "" for cell in body[-1]):
        body.pop()
    return Table(headers=headers, rows=body)


def _header(cell: Any) -> str:
    return "" if cell is None else str(cell).strip().lstrip("\ufeff")


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    if data[:4] not in (_ZIP_MAGIC, _OLE_MAGIC):
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="文件头不符"))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated types for a broken file
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail=type(exc).__name__)) from exc


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            raise FileReadError(msg.ENCODING) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise FileReadError(msg.ENCODING) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileReadError(msg.ENCODING) from None


def _csv_rows(text: str) -> list[list[Any]]:
    if "\x00" in text:
        raise FileReadError(msg.UNREADABLE.format(kind="CSV", detail="含有二进制内容"))
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise FileReadError(msg.UNREADABLE.format(kind="CSV", detail=str(exc))) from exc


class LedgerXLSX(base_formats.XLSX):
    """XLSX for the admin import: calamine instead of openpyxl; export stays tablib's."""

    def create_dataset(self, in_stream: bytes) -> Table:  # type: ignore[override]
        return read_table(in_stream, kind=XLSX)


class LedgerCSV(base_formats.CSV):
    """CSV for the admin import: read as bytes so that GB18030 and a BOM are recognised."""

    def create_dataset(self, in_stream: bytes | str, **kwargs: Any) -> Table:  # type: ignore[override]
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return read_table(in_stream, kind=CSV, encoding=None)

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"
