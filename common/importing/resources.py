"""LedgerResource: the import/export framework for official lists, shared by every app.

A subclass declares its `columns` (Chinese header, model attribute, parser) and its
`natural_key`; the base class does the rest, the same way for `manage.py import`, the admin
import (preview, then confirm) and the background job:

1. the header row must hold exactly the declared headers, in any order;
2. every cell is parsed in pure Python, and `clean_row` checks rules across cells;
3. natural keys must be unique in the file, references must exist (one query per 5,000);
4. any error refuses the whole file with "第 N 行「列」：…" messages; nothing is saved;
5. otherwise the rows are written in one transaction with their history rows
   (common.importing.writers), rows equal to the database being skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from import_export import resources
from import_export.fields import Field
from import_export.results import Result, RowResult

from . import messages as msg
from . import writers
from .columns import CellError, Column, Reference, WordList, model_field
from .readers import Table

if TYPE_CHECKING:
    from common.types import User

MAX_REPORTED_ERRORS = 500
PROGRESS_EVERY = 5000
LOOKUP_CHUNK = 5000
#: rows looked at for a header row that is not the first (under a title, on another sheet)
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class RowError:
    """One problem in a file: spreadsheet row (1 = header row), header, message."""

    row: int | None
    header: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.header:
            return msg.ROW_CELL.format(row=self.row, header=self.header, message=self.message)
        return msg.ROW.format(row=self.row, message=self.message)


@dataclass
class ImportOutcome:
    """What an import did, or why it refused the file."""

    total_rows: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    # Per data row, in file order, when asked for (the admin preview): NEW / UPDATE / SKIP.
    row_kinds: list[writers.RowKind] | None = None
    # Words of the bureau's own lists that the file names and the lists lack yet, by header
    # in file order: the import adds them (a dry run only says it would).
    new_words: dict[str, list[str]] = field(default_factory=dict)

    def new_word_lines(self) -> list[str]:
        """ "新词条 问题类别：融资需求、用地用房" lines, one per list that gains words."""
        return [
            msg.NEW_WORDS.format(header=header, words="、".join(words))
            for header, words in self.new_words.items()
            if words
        ]

    @property
    def refused(self) -> bool:
        return self.error_count > 0

    def add_error(self, row: int | None, header: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, header, message))

    def messages(self) -> list[str]:
        """The errors as Chinese lines, with a last line for those left out."""
        lines = [str(error) for error in self.errors]
        if self.error_count > len(self.errors):
            lines.append(msg.MORE_ERRORS.format(count=self.error_count - len(self.errors)))
        return lines


ProgressCallback = Callable[[int], None]


class LedgerResource(resources.ModelResource):
    """Base class of every official-list resource. See the module docstring."""

    #: the columns, in the order export writes them
    columns: ClassVar[tuple[Column, ...]] = ()
    #: model field names that identify a row (a unique constraint must cover exactly them)
    natural_key: ClassVar[tuple[str, ...]] = ()
    #: recorded as history_change_reason on the rows an import writes
    change_reason: ClassVar[str] = "imported from official list"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # What the admin lists as "this importer will import the following fields".
        self.fields = OrderedDict(
            (column.header, Field(attribute=column.attribute, column_name=column.header))
            for column in self.bound_columns()
        )

    # ----------------------------------------------------------------------- declarations

    @classmethod
    def model(cls) -> type[models.Model]:
        # Meta.model may be an "app.Model" label; the metaclass has turned it into the class.
        return cast(type[models.Model], cls._meta.model)

    @classmethod
    def bound_columns(cls) -> tuple[Column, ...]:
        """The columns bound to the model's fields (limits, empty values), once per class."""
        bound = cls.__dict__.get("_bound_columns")
        if bound is None:
            for column in cls.columns:
                column.bind(cls.model())
            bound = cls.columns
            cls._bound_columns = bound  # type: ignore[attr-defined]
        return bound

    @classmethod
    def headers(cls) -> list[str]:
        return [column.header for column in cls.columns]

    @classmethod
    def required_headers(cls) -> list[str]:
        """The headers every file must have: all but the optional columns'."""
        return [column.header for column in cls.columns if not column.optional]

    @classmethod
    def columns_in(cls, headers: list[str]) -> tuple[Column, ...]:
        """The bound columns a file with `headers` fills: an optional column it lacks is
        left out, so its field is neither read nor written."""
        present = set(headers)
        return tuple(c for c in cls.bound_columns() if not c.optional or c.header in present)

    #: the local date when the import started, for rules such as "not in the future"
    today: dt.date

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        """Rules across cells of one row: {attribute: Chinese message}. Override."""
        return {}

    def derive(self, values: dict[str, Any]) -> None:
        """Add stored values computed from the row (such as an expiry date). Override."""

    # --------------------------------------------------------------------------- import

    def _validate(
        self, table: Table, outcome: ImportOutcome, progress: ProgressCallback | None
    ) -> tuple[Any, list]:
        """The checks every import makes before it writes: headers, rows, keys and
        references. Returns the bound columns and the parsed rows; `outcome` records the
        errors and says whether the list is refused."""
        columns = self.columns_in(table.headers)
        positions = self._check_headers(table.headers, outcome)
        if outcome.refused:
            hint = self._misplaced_headers(table)
            if hint:  # one line saying where the list is, instead of every header wrong
                outcome.error_count = 0
                outcome.errors.clear()
                outcome.add_error(None, None, hint)
            return columns, []
        for number, index, message in table.cell_problems:
            header = table.headers[index] if index < len(table.headers) else None
            outcome.add_error(number, header or f"第 {index + 1} 列", message)
        parsed = self._parse_rows(table, columns, positions, outcome, progress)
        self._check_keys(parsed, columns, outcome)
        self._resolve_references(parsed, columns, outcome)
        self._resolve_words(parsed, columns, outcome)
        return columns, parsed

    def import_table(
        self,
        table: Table,
        *,
        dry_run: bool = False,
        acting_user: User | None = None,
        progress: ProgressCallback | None = None,
        collect_rows: bool = False,
    ) -> ImportOutcome:
        """Validate and write a whole list, all or nothing.

        Side effects: unless the list is refused or `dry_run` is set, creates and updates
        rows of the resource's model and writes one history row for each ("+" or "~",
        with `acting_user`). `progress` is called with the number of rows validated so far,
        outside any transaction, so another connection can show it.
        """
        outcome = ImportOutcome(total_rows=len(table.rows), dry_run=dry_run)
        columns, parsed = self._validate(table, outcome, progress)
        if outcome.refused:
            return outcome

        db_rows, db_columns, key = self._db_rows(parsed, columns)
        user_id = acting_user.pk if acting_user is not None else None
        try:
            with transaction.atomic():
                self._add_new_words(db_rows, columns, outcome, acting_user)
                kinds = writers.write_rows(
                    model=self.model(),
                    rows=db_rows,
                    columns=db_columns,
                    key=key,
                    acting_user_id=user_id,
                    reason=self.change_reason,
                    now=timezone.now(),
                )
                if dry_run:
                    transaction.set_rollback(True)
        except DatabaseError as exc:
            # Our checks mirror the model's rules; should the database still refuse a row,
            # the file is refused as a whole like any other error.
            outcome.add_error(None, None, f"数据库拒绝了这些数据：{exc}")
            return outcome

        outcome.new = sum(1 for kind in kinds.values() if kind == writers.NEW)
        outcome.updated = len(kinds) - outcome.new
        outcome.skipped = len(db_rows) - len(kinds)
        if collect_rows:
            outcome.row_kinds = [
                kinds.get(tuple(row[k] for k in key), writers.SKIP) for row in db_rows
            ]
        if progress:
            progress(len(table.rows))
        return outcome

    def _check_headers(self, headers: list[str], outcome: ImportOutcome) -> dict[str, int]:
        expected = self.headers()
        positions: dict[str, int] = {}
        for index, header in enumerate(headers):
            if header in positions:
                outcome.add_error(1, header, msg.DUPLICATE_HEADER)
            elif header not in expected:
                outcome.add_error(1, header or f"第 {index + 1} 列", msg.UNKNOWN_HEADER)
            positions.setdefault(header, index)
        for header in self.required_headers():
            if header not in positions:
                outcome.add_error(1, None, msg.MISSING_HEADER.format(header=header))
        return positions

    def _misplaced_headers(self, table: Table) -> str | None:
        """A message when the header row is further down the first sheet (under a title)
        or on another sheet; None when the first row is the header row, however wrong."""
        expected = set(self.headers())
        enough = max(2, (len(expected) + 1) // 2)

        def is_header_row(cells: list[Any]) -> bool:
            return len(expected & {str(c).strip() for c in cells if _filled(c)}) >= enough

        if is_header_row(table.headers):
            return None
        for offset, cells in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
            if is_header_row(cells):
                number = offset + 2
                above = "第 1 行" if number == 2 else f"第 1–{number - 1} 行"
                return msg.HEADER_BELOW_TITLE.format(row=number, above=above)
        for name, rows in table.other_sheets() if table.other_sheets else ():
            for offset, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
                if is_header_row(cells):
                    return msg.HEADER_ON_OTHER_SHEET.format(
                        first=table.sheet_name, sheet=name, row=offset + 1
                    )
        return None

    def _parse_rows(
        self,
        table: Table,
        columns: tuple[Column, ...],
        positions: dict[str, int],
        outcome: ImportOutcome,
        progress: ProgressCallback | None,
    ) -> list[tuple[int, dict[str, Any]]]:
        self.today = today()  # for clean_row: one clock read per file, not per row
        width = len(table.headers)
        specs = [
            (
                positions[c.header],
                c.attribute or c.header,
                c.parser.parse,
                c.required,
                c.empty_value,
                c.header,
            )
            for c in columns
        ]
        headers_by_attribute = {c.attribute: c.header for c in columns if c.attribute}
        clean_row = self.clean_row
        parsed: list[tuple[int, dict[str, Any]]] = []
        add_error = outcome.add_error
        for offset, cells in enumerate(table.rows):
            number = offset + 2
            if progress and offset and offset % PROGRESS_EVERY == 0:
                progress(offset)
            if len(cells) < width:
                cells = [*cells, *([""] * (width - len(cells)))]
            elif len(cells) > width:
                extra = [i for i in range(width, len(cells)) if _filled(cells[i])]
                for index in extra:
                    add_error(number, None, msg.NO_HEADER.format(column=index + 1))
            if not any(_filled(cell) for cell in cells):
                continue  # a blank or whitespace-only row in the middle carries nothing
            values: dict[str, Any] = {}
            ok = True
            for index, name, parse, required, empty, header in specs:
                raw = cells[index]
                if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
                    if required:
                        add_error(number, header, msg.REQUIRED)
                        ok = False
                    values[name] = empty
                    continue
                try:
                    values[name] = parse(raw)
                except CellError as exc:
                    add_error(number, header, str(exc))
                    ok = False
            if ok:
                for attribute, message in clean_row(values).items():
                    add_error(number, headers_by_attribute.get(attribute), message)
                    ok = False
            if ok:
                parsed.append((number, values))
        return parsed

    def _check_keys(
        self,
        parsed: list[tuple[int, dict[str, Any]]],
        columns: tuple[Column, ...],
        outcome: ImportOutcome,
    ) -> None:
        key = self.natural_key
        header = next(c.header for c in columns if c.attribute == key[-1])
        seen: dict[tuple, int] = {}
        for number, values in parsed:
            row_key = tuple(values[k] for k in key)
            first = seen.setdefault(row_key, number)
            if first != number:
                outcome.add_error(number, header, msg.DUPLICATE.format(other=first))

    def _resolve_references(
        self,
        parsed: list[tuple[int, dict[str, Any]]],
        columns: tuple[Column, ...],
        outcome: ImportOutcome,
    ) -> None:
        for column in columns:
            parser = column.parser
            if not isinstance(parser, Reference) or not column.attribute:
                continue
            name = column.attribute
            wanted = list({v[name] for _, v in parsed if v[name] is not None})
            found: dict[Any, int] = {}
            manager = parser.model._default_manager
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                chunk = wanted[start : start + LOOKUP_CHUNK]
                found.update(
                    manager.filter(**{f"{parser.key}__in": chunk}).values_list(parser.key, "pk")
                )
            for number, values in parsed:
                natural = values[name]
                if natural is None:
                    continue
                pk = found.get(natural)
                if pk is None:
                    outcome.add_error(number, column.header, parser.missing_message(natural))
                values[name] = pk

    def _resolve_words(
        self,
        parsed: list[tuple[int, dict[str, Any]]],
        columns: tuple[Column, ...],
        outcome: ImportOutcome,
    ) -> None:
        """Word-list names to primary keys (one query per list); names the list lacks stay
        as text and are recorded in `outcome.new_words` for `_add_new_words`."""
        for column in columns:
            parser = column.parser
            if not isinstance(parser, WordList) or not column.attribute:
                continue
            name = column.attribute
            wanted = list(dict.fromkeys(v[name] for _, v in parsed if v[name] is not None))
            found = dict(
                parser.model._default_manager.filter(**{f"{parser.key}__in": wanted}).values_list(
                    parser.key, "pk"
                )
            )
            new = [word for word in wanted if word not in found]
            if new:
                outcome.new_words[column.header] = new
            for _number, values in parsed:
                word = values[name]
                if word in found:
                    values[name] = found[word]

    def _add_new_words(
        self,
        db_rows: list[dict[str, Any]],
        columns: tuple[Column, ...],
        outcome: ImportOutcome,
        acting_user: User | None,
    ) -> None:
        """Add the words `_resolve_words` did not find, with their history rows, and point
        the rows at them. Runs inside the import's transaction, so a dry run (the admin
        preview) rolls them back with everything else."""
        for column in columns:
            parser = column.parser
            words = outcome.new_words.get(column.header)
            if not isinstance(parser, WordList) or not words or not column.attname:
                continue
            created: dict[str, int] = {}
            for word in words:
                entry = parser.model(**{parser.key: word})
                entry._history_user = acting_user  # type: ignore[attr-defined]
                entry._change_reason = "added by an import"  # type: ignore[attr-defined]
                entry.save()
                created[word] = entry.pk
            attname = column.attname
            for row in db_rows:
                value = row[attname]
                if value.__class__ is str:
                    row[attname] = created[value]

    def _db_rows(
        self, parsed: list[tuple[int, dict[str, Any]]], columns: tuple[Column, ...]
    ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        model = self.model()
        pairs = [(c.attribute, c.attname) for c in columns if c.attribute and c.attname]
        key = [model_field(model, name).attname for name in self.natural_key]
        rows: list[dict[str, Any]] = []
        derive = self.derive
        for _number, values in parsed:
            row = {attname: values[attribute] for attribute, attname in pairs}
            derive(row)
            rows.append(row)
        db_columns = list(rows[0]) if rows else [attname for _a, attname in pairs]
        return rows, db_columns, key

    def import_data(
        self,
        dataset: Table | tablib.Dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        """django-import-export's entry point (admin preview and confirm), on our engine.

        Invalid rows come back as `Result.invalid_rows` whose messages are the Chinese
        "第 N 行「列」：…" lines; totals count new, updated and skipped rows.
        """
        table = dataset if isinstance(dataset, Table) else table_from_dataset(dataset)
        outcome = self.import_table(
            table, dry_run=dry_run, acting_user=kwargs.get("user"), collect_rows=True
        )
        result = outcome_to_result(outcome, table)
        # Read by the admin (enterprises.admin_import) to name the words the list adds.
        result.new_word_lines = [] if outcome.refused else outcome.new_word_lines()  # type: ignore[attr-defined]
        return result

    # --------------------------------------------------------------------------- export

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        return self.headers()

    # django-import-export's stubs say list[str]; the library returns (and its admin reads) Fields.
    def get_user_visible_fields(self) -> list[Field]:  # type: ignore[override]
        return list(self.fields.values())

    def get_queryset(self) -> models.QuerySet:
        return self.model()._default_manager.order_by("pk")

    def export(self, queryset: models.QuerySet | None = None, **kwargs: Any) -> tablib.Dataset:
        """Every column, with the import's headers and cell forms, text formulas neutralised."""
        columns = self.bound_columns()
        if queryset is None:
            queryset = self.get_queryset()
        paths = [c.export_path for c in columns]
        renders = [c.parser.render for c in columns]
        dataset = tablib.Dataset(headers=self.headers())
        rows = queryset.values_list(*paths)
        for row in rows.iterator(chunk_size=5000):
            dataset.append([render(value) for render, value in zip(renders, row, strict=True)])
        return dataset


def _filled(cell: Any) -> bool:
    return not (cell is None or cell == "" or (cell.__class__ is str and not cell.strip()))


def table_from_dataset(dataset: tablib.Dataset) -> Table:
    """A tablib Dataset (as the stock formats build) as a Table."""
    headers = ["" if h is None else str(h).strip() for h in (dataset.headers or [])]
    rows = [["" if cell is None else cell for cell in row] for row in dataset]
    return Table(headers=headers, rows=rows)


class LedgerResult(Result):
    """A Result that keeps the engine's outcome: the admin lists its messages as they are."""

    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__()
        self.outcome = outcome


def outcome_to_result(outcome: ImportOutcome, table: Table) -> LedgerResult:
    """An import_export Result that the stock admin templates and command understand."""
    result = LedgerResult(outcome)
    result.diff_headers = list(table.headers)
    result.total_rows = outcome.total_rows
    if outcome.refused:
        by_row: dict[int, list[RowError]] = {}
        for error in outcome.errors:
            by_row.setdefault(error.row or 1, []).append(error)
        extra = outcome.error_count - len(outcome.errors)
        if extra:
            last = max(by_row) if by_row else 1
            by_row.setdefault(last, []).append(
                RowError(None, None, msg.MORE_ERRORS.format(count=extra))
            )
        for number, errors in sorted(by_row.items()):
            error_dict: dict[str, list[str]] = {}
            for error in errors:
                error_dict.setdefault(error.header or NON_FIELD_ERRORS, []).append(str(error))
            cells = table.rows[number - 2] if 2 <= number < len(table.rows) + 2 else table.headers
            row = {h: cells[i] if i < len(cells) else "" for i, h in enumerate(table.headers)}
            result.append_invalid_row(number, row, ValidationError(error_dict))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        return result
    result.totals[RowResult.IMPORT_TYPE_NEW] = outcome.new
    result.totals[RowResult.IMPORT_TYPE_UPDATE] = outcome.updated
    result.totals[RowResult.IMPORT_TYPE_SKIP] = outcome.skipped
    if outcome.row_kinds is not None:
        filled = [cells for cells in table.rows if any(_filled(c) for c in cells)]
        for kind, cells in zip(outcome.row_kinds, filled, strict=False):
            row_result = RowResult()
            row_result.import_type = kind
            row_result.diff = [_shown(c) for c in cells]
            result.append_row_result(row_result)
    return result


def _shown(cell: Any) -> str:
    """A cell as the preview shows it: 50, not the 50.0 a spreadsheet number reads as."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime) and cell.time() == dt.time(0):
        return cell.date().isoformat()
    return str(cell)


def today() -> dt.date:
    return timezone.localdate()
