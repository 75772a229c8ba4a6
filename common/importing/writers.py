"""Writing validated rows with their audit trail.

PostgreSQL: the rows are COPYed into a temporary table, then one statement upserts them on
the natural key (changing only rows that differ) and inserts the simple-history rows for
exactly the rows it touched. That keeps 100,000 rows within a few times a bare COPY.
Other databases (SQLite in development) take the plain ORM path: one save() per changed
row, which simple-history records as usual.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, Final, Literal

from django.db import connection, models

# What an import did with one row; the same words as django-import-export's import types.
RowKind = Literal["new", "update", "skip"]
NEW: Final = "new"
UPDATE: Final = "update"
SKIP: Final = "skip"


def write_rows(
    *,
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    key: Sequence[str],
    acting_user_id: int | None,
    reason: str,
    now: dt.datetime,
) -> dict[tuple, RowKind]:
    """Create or update `rows` (dicts of attname -> value) matched on `key`, with history.

    Returns the kind (NEW or UPDATE) of each row written, by key; rows left out were
    identical to the database and skipped. Call inside a transaction.
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return _write_postgresql(
            model=model,
            rows=rows,
            columns=columns,
            key=key,
            acting_user_id=acting_user_id,
            reason=reason,
            now=now,
        )
    return _write_orm(model=model, rows=rows, key=key, acting_user_id=acting_user_id, reason=reason)


def _copy_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """The rows as COPY csv, written by the csv module (C code). None and "" both become an
    empty field, which COPY reads as NULL; the upsert turns it back into "" for the text
    columns that allow no NULL (see _source_expression)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(
        map(itemgetter(*columns), rows) if len(columns) > 1 else ([r[columns[0]]] for r in rows)
    )
    return out.getvalue()


def _source_expression(field: models.Field, column: str) -> str:
    if not field.null and isinstance(field, models.CharField | models.TextField):
        return f"COALESCE(s.{column}, '')"
    return f"s.{column}"


def _copy_into(cursor: Any, table: str, columns: Sequence[str], text: str) -> None:
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)"
    raw = cursor.cursor
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, io.StringIO(text))
    else:  # psycopg 3
        with raw.copy(sql) as copy:
            copy.write(text)


def _write_postgresql(
    *,
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    key: Sequence[str],
    acting_user_id: int | None,
    reason: str,
    now: dt.datetime,
) -> dict[tuple, RowKind]:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    history_model = model.history.model  # type: ignore[attr-defined]
    history_table = qn(history_model._meta.db_table)
    tmp = qn(f"_ledger_import_{uuid.uuid4().hex[:12]}")

    # Columns the list does not carry get their model default on insert (status, timestamps,
    # empty texts); auto_now columns are refreshed on update as save() would.
    # (column, database type, value); a concrete field always has a database type.
    fixed: list[tuple[str, str | None, Any]] = []
    auto_now: list[str] = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in columns:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
            if getattr(field, "auto_now", False):
                auto_now.append(field.attname)
        else:
            value = field.get_db_prep_save(field.get_default(), connection)
        fixed.append((field.attname, field.db_type(connection), value))

    col_sql = ", ".join(qn(c) for c in columns)
    insert_cols = ", ".join([*(qn(c) for c in columns), *(qn(f[0]) for f in fixed)])
    fields = {f.attname: f for f in model._meta.concrete_fields}
    select_list = ", ".join(
        [*(_source_expression(fields[c], qn(c)) for c in columns), *(f"%s::{f[1]}" for f in fixed)]
    )
    params: list[Any] = [f[2] for f in fixed]
    updated = [c for c in columns if c not in key]
    set_sql = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in [*updated, *auto_now])
    differs = (
        f"({', '.join(f't.{qn(c)}' for c in updated)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{qn(c)}' for c in updated)})"
    )
    conflict = ", ".join(qn(c) for c in key)

    model_attnames = {f.attname for f in model._meta.concrete_fields}
    history_cols: list[str] = []
    history_values: list[str] = []
    history_params: list[Any] = []
    for field in history_model._meta.concrete_fields:
        name = field.attname
        if name == "history_id":
            continue
        history_cols.append(qn(name))
        if name in model_attnames:
            history_values.append(f"up.{qn(name)}")
        elif name == "history_date":
            history_values.append("%s")
            history_params.append(now)
        elif name == "history_user_id":
            history_values.append("%s::bigint")
            history_params.append(acting_user_id)
        elif name == "history_change_reason":
            history_values.append("%s")
            history_params.append(reason or None)
        elif name == "history_type":
            history_values.append("CASE WHEN up._inserted THEN '+' ELSE '~' END")
        else:
            history_values.append("NULL")

    # xmax = 0 tells an inserted row from an updated one in INSERT ... ON CONFLICT RETURNING.
    upsert = (
        f"WITH up AS ("
        f"INSERT INTO {table} AS t ({insert_cols}) SELECT {select_list} FROM {tmp} s "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {set_sql} WHERE {differs} "
        f"RETURNING t.*, (t.xmax = 0) AS _inserted) "
        f"INSERT INTO {history_table} ({', '.join(history_cols)}) "
        f"SELECT {', '.join(history_values)} FROM up "
        f"RETURNING history_type, {', '.join(qn(c) for c in key)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {tmp} AS SELECT {col_sql} FROM {table} WITH NO DATA")
        _copy_into(cursor, tmp, columns, _copy_text(rows, columns))
        cursor.execute(upsert, params + history_params)
        written = cursor.fetchall()
        cursor.execute(f"DROP TABLE {tmp}")
    return {tuple(r[1:]): (NEW if r[0] == "+" else UPDATE) for r in written}


def _write_orm(
    *,
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    acting_user_id: int | None,
    reason: str,
) -> dict[tuple, RowKind]:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=acting_user_id).first() if acting_user_id else None
    first = key[0]
    existing: dict[tuple, models.Model] = {}
    values = list({row[first] for row in rows})
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        for found in model._default_manager.filter(**{f"{first}__in": chunk}):
            existing[tuple(getattr(found, k) for k in key)] = found
    kinds: dict[tuple, RowKind] = {}
    for row in rows:
        row_key = tuple(row[k] for k in key)
        obj = existing.get(row_key)
        if obj is None:
            obj = model(**row)
            kinds[row_key] = NEW
        elif any(getattr(obj, name) != value for name, value in row.items()):
            for name, value in row.items():
                setattr(obj, name, value)
            kinds[row_key] = UPDATE
        else:
            continue
        obj._history_user = user  # type: ignore[attr-defined]
        obj._change_reason = reason  # type: ignore[attr-defined]
        obj.save()
    return kinds
