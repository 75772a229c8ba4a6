"""Fast readers for official lists: xlsx (first sheet) through calamine, csv through `csv`.

openpyxl, which tablib uses, takes about 15 times as long as a PostgreSQL COPY of the same
rows just to read a 100,000-row sheet; calamine (Rust) reads it in a fraction of that.
The result is a `Table`: the header row and the data rows as lists of cell values
(str, float, int, bool, date, datetime; an empty cell is "").

An xlsx is a zip of XML parts, and a hostile one can inflate a few megabytes into gigabytes.
Before calamine sees a file, `_check_zip` refuses it when the parts' declared sizes, their
compression ratios, or their true inflated sizes (measured by inflating each part in bounded
chunks, never whole) pass the bounds of settings.IMPORT_XLSX_MAX_UNPACKED_BYTES and
IMPORT_XLSX_MAX_RATIO. The same pass finds formulas on the first sheet; a formula saved
without its computed value (a file written by a program, never opened in Excel) would read
as an empty cell, so its cells are reported.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from import_export.formats import base_formats

from . import messages as msg

XLSX = "xlsx"
CSV = "csv"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
MB = 1024 * 1024
#: parts smaller than this are not held to the ratio bound (a tiny part of zeros is harmless)
RATIO_FLOOR_BYTES = MB
#: rows of the other sheets looked at for a list put on the wrong sheet
PEEK_ROWS = 10
_INFLATE_IN = 64 * 1024
_INFLATE_OUT = MB
# A formula element, with or without a namespace prefix: <f>, <f t="shared" .../>, <x:f>.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CELL_REF = re.compile(r"([A-Z]+)([0-9]+)")


class FileReadError(ValueError):
    """The file cannot be read at all; the message is Chinese and shown as is."""


@dataclass
class Table:
    """The cells of an official list. Row i of `rows` is spreadsheet row `i + 2`."""

    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: the name of the sheet read (xlsx only)
    sheet_name: str | None = None
    #: cells the reader could not give a value for: (spreadsheet row, column index, message)
    cell_problems: list[tuple[int, int, str]] = field(default_factory=list)
    #: the first rows of every other sheet, as (name, rows); read only when asked (xlsx)
    other_sheets: Callable[[], list[tuple[str, list[list[Any]]]]] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        # The admin refuses an "empty" dataset before the resource sees it; a list whose
        # rows are all missing (say, on another sheet) is for the resource to explain.
        return True

    def __iter__(self) -> Iterator[list[Any]]:
        return iter(self.rows)


@dataclass(frozen=True)
class Limits:
    """Bounds on what a reader accepts, from the settings of the same names."""

    max_file_bytes: int
    max_unpacked_bytes: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_file_bytes=settings.IMPORT_MAX_FILE_BYTES,
            max_unpacked_bytes=settings.IMPORT_XLSX_MAX_UNPACKED_BYTES,
            max_ratio=settings.IMPORT_XLSX_MAX_RATIO,
        )


def guess_kind(*, file_name: str | None = None, data: bytes | None = None) -> str:
    """xlsx or csv, from the content when given, else from the file name."""
    if data is not None:
        if data[:4] in (_ZIP_MAGIC, _OLE_MAGIC):
            return XLSX
        return CSV
    if file_name and file_name.lower().endswith((".xlsx", ".xls", ".xlsm")):
        return XLSX
    return CSV


def read_table(
    data: bytes,
    *,
    kind: str | None = None,
    encoding: str | None = None,
    limits: Limits | None = None,
) -> Table:
    """Read an official list from bytes. Raises FileReadError for a file that is not one,
    or one past the bounds of `limits` (by default the settings)."""
    limits = limits or Limits.from_settings()
    check_file_size(len(data), limits)
    kind = kind or guess_kind(data=data)
    if kind == XLSX:
        table = _xlsx_table(data, limits)
        if table is not None:
            return table
        rows: list[list[Any]] = []
    else:
        rows = _csv_rows(_decode(data, encoding))
    return _table(rows)


def check_file_size(size: int, limits: Limits | None = None) -> None:
    """Refuse a file of `size` bytes above the bound (an upload, before it is read)."""
    limit = (limits or Limits.from_settings()).max_file_bytes
    if size > limit:
        raise FileReadError(
            msg.FILE_TOO_LARGE.format(size=size_in_mb(size), limit=size_in_mb(limit))
        )


def size_in_mb(size: int) -> str:
    """'7.5' for 7.5 MB, '200' for 200 MB."""
    return f"{size / MB:.1f}".removesuffix(".0")


def _table(rows: list[list[Any]], **extra: Any) -> Table:
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
    return Table(headers=headers, rows=body, **extra)


def _header(cell: Any) -> str:
    return "" if cell is None else str(cell).strip().lstrip("\ufeff")


def _xlsx_table(data: bytes, limits: Limits) -> Table | None:
    from python_calamine import CalamineWorkbook

    if data[:4] not in (_ZIP_MAGIC, _OLE_MAGIC):
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="文件头不符"))
    problems: list[tuple[int, int, str]] = []
    if data[:4] == _ZIP_MAGIC:  # xlsx; an old .xls is not compressed, its size is its file's
        problems = _check_zip(data, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated types for a broken file
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail=type(exc).__name__)) from exc

    def other_sheets() -> list[tuple[str, list[list[Any]]]]:
        return _peek_sheets(data, names)

    extra: dict[str, Any] = {"sheet_name": names[0] if names else None, "cell_problems": problems}
    if len(names) > 1:
        extra["other_sheets"] = other_sheets
        if not any(any(cell != "" for cell in row) for row in rows):
            # An empty first sheet beside others: the resource says where the list is.
            return Table(headers=[], **extra)
    return _table(rows, **extra)


def _peek_sheets(data: bytes, names: list[str]) -> list[tuple[str, list[list[Any]]]]:
    """The first PEEK_ROWS rows of every sheet but the first (the file passed _check_zip)."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    found = []
    for index, name in enumerate(names[1:], start=1):
        try:
            rows = workbook.get_sheet_by_index(index).to_python(
                skip_empty_area=False, nrows=PEEK_ROWS
            )
        except Exception:  # a chart sheet or a broken one: nothing to show
            continue
        found.append((name, rows))
    return found


# ----------------------------------------------------------------------------- zip bounds


def _check_zip(data: bytes, limits: Limits) -> list[tuple[int, int, str]]:
    """Refuse an xlsx whose parts inflate past the bounds; return its formula problems.

    Declared sizes and ratios are checked first, from the central directory alone; then every
    part is inflated in bounded chunks and thrown away, so a part that lies about its size is
    caught at the first megabyte past its claim. Memory stays at the file plus a chunk.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="zip 结构损坏")) from exc
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="文件已加密"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="不支持的压缩方式"))
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            raise FileReadError(
                msg.ZIP_RATIO.format(part=info.filename, ratio=int(ratio), limit=limits.max_ratio)
            )
        total += info.file_size
    if total > limits.max_unpacked_bytes:
        raise FileReadError(
            msg.ZIP_TOO_LARGE.format(
                size=size_in_mb(total), limit=size_in_mb(limits.max_unpacked_bytes)
            )
        )
    first_sheet = _first_sheet_part(archive)
    has_formulas = False
    for info in infos:
        has_formulas |= _inflate_bounded(data, info, scan=info.filename == first_sheet)
    if not has_formulas or first_sheet is None:
        return []
    return [
        (row, column, msg.FORMULA_WITHOUT_VALUE)
        for row, column in _formulas_without_values(archive, first_sheet)
    ]


def _inflate_bounded(data: bytes, info: zipfile.ZipInfo, *, scan: bool) -> bool:
    """Inflate one part chunk by chunk, refusing it once it passes its declared size.
    Returns whether a formula element was seen (only looked for when `scan`)."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != _ZIP_MAGIC:
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="zip 结构损坏"))
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_length + extra_length
    raw = memoryview(data)[start : start + info.compress_size]
    produced = 0
    seen = False
    tail = b""

    def take(out: bytes) -> None:
        nonlocal produced, seen, tail
        produced += len(out)
        if produced > info.file_size:
            raise FileReadError(msg.ZIP_SIZE_MISMATCH.format(part=info.filename))
        if scan and not seen and out:
            # find() is several times faster than the regex, which only confirms its hits;
            # the few bytes across a chunk boundary are searched on their own.
            seen = _FORMULA_TAG.search(tail + out[:16]) is not None or (
                (b"<f" in out or b":f" in out) and _FORMULA_TAG.search(out) is not None
            )
            tail = out[-16:]

    if info.compress_type == zipfile.ZIP_STORED:
        for position in range(0, len(raw), _INFLATE_OUT):
            take(bytes(raw[position : position + _INFLATE_OUT]))
        return seen
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for position in range(0, len(raw), _INFLATE_IN):
            take(inflater.decompress(raw[position : position + _INFLATE_IN], _INFLATE_OUT))
            while inflater.unconsumed_tail and not inflater.eof:
                take(inflater.decompress(inflater.unconsumed_tail, _INFLATE_OUT))
            if inflater.eof:
                break
    except zlib.error as exc:
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="zip 数据损坏")) from exc
    return seen


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first sheet (the one calamine reads), if findable."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return None
    sheet = next((e for e in workbook.iter() if _local(e.tag) == "sheet"), None)
    if sheet is None:
        return None
    relation_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
    for relation in relations.iter():
        if _local(relation.tag) == "Relationship" and relation.get("Id") == relation_id:
            target = relation.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _formulas_without_values(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int]]:
    """(row, column index) of each formula cell saved without a computed value, streaming.

    A formula whose result is an empty string is saved as t="str" with an empty <v>; any
    other formula with no <v>, or an empty one, was never computed.
    """
    found: list[tuple[int, int]] = []
    parser: Any = ElementTree.XMLPullParser(events=("start", "end"))
    row_number, column = 0, -1
    try:
        with archive.open(part) as handle:  # zipfile reads no more than the declared size
            while chunk := handle.read(_INFLATE_OUT):
                parser.feed(chunk)
                for event, element in parser.read_events():
                    tag = _local(element.tag)
                    if event == "start":
                        if tag == "row":
                            row_number = int(element.get("r") or row_number + 1)
                            column = -1
                        continue
                    if tag == "c":
                        ref = _CELL_REF.fullmatch(element.get("r") or "")
                        column = _column_index(ref.group(1)) if ref else column + 1
                        formula = value = None
                        for child in element:
                            name = _local(child.tag)
                            if name == "f":
                                formula = child
                            elif name == "v":
                                value = child
                        if formula is not None and (
                            value is None or (not value.text and element.get("t") != "str")
                        ):
                            found.append((row_number, column))
                        element.clear()
                    elif tag == "row":
                        element.clear()
            parser.close()
    except (ElementTree.ParseError, zipfile.BadZipFile, ValueError) as exc:
        raise FileReadError(msg.UNREADABLE.format(kind="Excel", detail="工作表 XML 损坏")) from exc
    return found


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


# ----------------------------------------------------------------------------- csv


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
