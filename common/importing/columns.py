"""Columns of an official list: a Chinese header, the model attribute, and a cell parser.

A parser turns one cell (str, float, int, bool, date or datetime, as the readers give them)
into a Python value, or raises CellError with a Chinese message; `render` is the inverse used
by export, so that an exported file imports back unchanged. Parsers stay cheap: 100,000 rows
of thirteen cells go through them in about a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from operator import mul
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from common.exports import cell, neutralise, unneutralise
from common.lib import money
from common.lib import uscc as uscc_lib

from . import messages as msg


def model_field(model: type[models.Model], name: str) -> models.Field:
    """The field `name` that `model` stores itself (a column or a foreign key): what a column,
    a reference key and a natural key name. A reverse relation is a mistake in the resource."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ImproperlyConfigured(f"{model.__name__}.{name} is not a field of the model itself")
    return field


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to staff as is."""


class Parser:
    """Reads one kind of cell. `bind` lets it take limits from the model field."""

    field: models.Field | None = None

    def bind(self, field: models.Field | None) -> None:
        self.field = field

    def parse(self, raw: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, value: Any) -> Any:
        # Text a parser does not render itself is neutralised like any text (common.exports).
        return "" if value is None else cell(value)


class Text(Parser):
    max_length: int | None = None

    def __init__(self, *, max_length: int | None = None) -> None:
        self.max_length = max_length

    def bind(self, field: models.Field | None) -> None:
        super().bind(field)
        if self.max_length is None and field is not None:
            self.max_length = getattr(field, "max_length", None)

    def parse(self, raw: Any) -> str:
        if raw.__class__ is str:
            text = raw.strip()
        elif isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))  # a phone number typed as a number
        elif isinstance(raw, dt.datetime | dt.date):
            text = raw.isoformat()
        else:
            text = str(raw).strip()
        if text[:1] == "'":
            text = unneutralise(text)
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(msg.TOO_LONG.format(limit=self.max_length))
        return text

    def render(self, value: Any) -> str:
        return "" if value is None else neutralise(str(value))


class USCC(Parser):
    """A unified social credit code, normalised and check-digit validated."""

    _values = {ch: i for i, ch in enumerate(uscc_lib.ALPHABET)}
    _weights = uscc_lib.WEIGHTS

    def parse(self, raw: Any) -> str:
        text = str(raw)
        if text[:1] == "'":
            text = text[1:]
        # Fast path for the usual clean cell; anything else goes through the full rules.
        if len(text) == uscc_lib.LENGTH:
            try:
                values = [self._values[ch] for ch in text]
            except KeyError:
                pass
            else:
                total = sum(map(mul, values[:17], self._weights))
                if values[17] == (31 - total % 31) % 31:
                    return text
        try:
            return uscc_lib.validate(text)
        except uscc_lib.USCCError as exc:
            raise CellError(msg.USCC[exc.code]) from None


class Date(Parser):
    """An Excel date cell or YYYY-MM-DD text."""

    def parse(self, raw: Any) -> dt.date:
        if isinstance(raw, dt.datetime):
            if raw.time() != dt.time(0):
                raise CellError(msg.DATE)
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            text = raw.strip()
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                try:
                    return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
                except ValueError:
                    pass
        raise CellError(msg.DATE)

    def render(self, value: Any) -> Any:
        return "" if value is None else value.isoformat()


class WanAmount(Parser):
    """An amount in 万元, converted exactly to Decimal yuan (never through binary floats)."""

    def __init__(self, *, allow_negative: bool = False) -> None:
        self.allow_negative = allow_negative
        self.limit = Decimal(10) ** 14

    def bind(self, field: models.Field | None) -> None:
        super().bind(field)
        if isinstance(field, models.DecimalField):
            self.limit = Decimal(10) ** (field.max_digits - field.decimal_places)

    def parse(self, raw: Any) -> Decimal:
        try:
            yuan = money.wan_to_yuan(raw)
        except money.AmountError:
            raise CellError(_number_message(raw, msg.AMOUNT)) from None
        if yuan < 0 and not self.allow_negative:
            raise CellError(msg.NEGATIVE)
        if abs(yuan) >= self.limit:
            raise CellError(msg.AMOUNT_TOO_LARGE)
        return yuan

    def render(self, value: Any) -> str:
        return money.format_wan(value)


class Integer(Parser):
    def __init__(self, *, min_value: int | None = 0, max_value: int | None = None) -> None:
        self.min_value = min_value
        self.max_value = max_value

    def bind(self, field: models.Field | None) -> None:
        super().bind(field)
        for validator in getattr(field, "validators", ()):
            if isinstance(validator, MinValueValidator):
                lim = validator.limit_value
                self.min_value = lim if self.min_value is None else max(self.min_value, lim)
            elif isinstance(validator, MaxValueValidator):
                lim = validator.limit_value
                self.max_value = lim if self.max_value is None else min(self.max_value, lim)

    def parse(self, raw: Any) -> int:
        if raw.__class__ is str:
            text = raw.strip().replace(",", "")
            if text.endswith(".0"):
                text = text[:-2]
            try:
                value = money.int_from_text(text)
            except ValueError:
                raise CellError(_number_message(raw, msg.INTEGER)) from None
        elif raw.__class__ is float:
            if not raw.is_integer():
                raise CellError(msg.INTEGER)
            value = int(raw)
        elif raw.__class__ is int:
            value = raw
        else:
            raise CellError(msg.INTEGER)
        if self.min_value is not None and value < self.min_value:
            raise CellError(msg.TOO_SMALL.format(limit=self.min_value))
        if self.max_value is not None and value > self.max_value:
            raise CellError(msg.TOO_LARGE.format(limit=self.max_value))
        return value


def _number_message(raw: Any, message: str) -> str:
    """The message for a cell that is not a number, naming the underscore if that is why."""
    return msg.UNDERSCORE if raw.__class__ is str and "_" in raw else message


class Boolean(Parser):
    """是 / 否."""

    def parse(self, raw: Any) -> bool:
        if raw is True or raw is False:
            return raw
        text = str(raw).strip()
        if text == "是":
            return True
        if text == "否":
            return False
        raise CellError(msg.BOOLEAN)

    def render(self, value: Any) -> str:
        return "" if value is None else ("是" if value else "否")


class Choice(Parser):
    """A value chosen by its Chinese label, as the official lists write it."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = dict(labels)
        self.values = {value: label for label, value in self.labels.items()}

    def parse(self, raw: Any) -> str:
        text = str(raw).strip()
        try:
            return self.labels[text]
        except KeyError:
            raise CellError(msg.CHOICE.format(allowed="、".join(self.labels))) from None

    def render(self, value: Any) -> str:
        return self.values.get(value, "") if value not in (None, "") else ""


class Reference(Parser):
    """A foreign key given by the natural key of the row it points to.

    Parsing only normalises the key; the resource resolves all keys of a file in one query
    per 5,000 and reports the missing ones.
    """

    def __init__(
        self, model: type[models.Model], key: str, *, key_parser: Parser | None = None
    ) -> None:
        self.model = model
        self.key = key
        self.key_parser = key_parser or Text()

    def bind(self, field: models.Field | None) -> None:
        super().bind(field)
        self.key_parser.bind(model_field(self.model, self.key))

    def parse(self, raw: Any) -> Any:
        return self.key_parser.parse(raw)

    def render(self, value: Any) -> Any:
        return self.key_parser.render(value)

    def missing_message(self, key: str) -> str:
        """The error for a key that names no row."""
        return msg.UNKNOWN_REFERENCE.format(key=key)


class WordList(Parser):
    """A word of a list the bureau keeps itself (common.models.WordListEntry), by its name.

    Unlike a Reference, a name not in the list yet is no error (DESIGN §5): the resource
    collects the unknown names (ImportOutcome.new_words), adds them in the import's
    transaction and names them as new in the preview and the command's output.
    """

    def __init__(self, model: type[models.Model], key: str = "name") -> None:
        self.model = model
        self.key = key
        self.key_parser = Text()

    def bind(self, field: models.Field | None) -> None:
        super().bind(field)
        self.key_parser.bind(model_field(self.model, self.key))

    def parse(self, raw: Any) -> str:
        # One word as people type it: inner runs of spaces count once.
        return " ".join(self.key_parser.parse(raw).split())

    def render(self, value: Any) -> Any:
        return self.key_parser.render(value)


class Column:
    """One column of an official list.

    `attribute` is the model field the column fills (None for a column that is only read by
    people, such as 企业名称 beside a USCC). `export_path` is the ORM path export reads;
    it defaults to the attribute, or `<fk>__<natural key>` for a reference, and a column
    with no attribute must name it. An `optional` column may be absent from a file: its
    field is then left as it is (and new rows get the model default); export always
    writes it, so an exported list imports back whole.
    """

    def __init__(
        self,
        header: str,
        attribute: str | None,
        parser: Parser,
        *,
        export_path: str | None = None,
        required: bool | None = None,
        optional: bool = False,
    ) -> None:
        self.header = header
        self.optional = optional
        self.attribute = attribute
        self.parser = parser
        if export_path is None:
            if attribute is None:
                raise ImproperlyConfigured(f"Column {header}: no attribute, so no export path")
            if isinstance(parser, Reference | WordList):
                export_path = f"{attribute}__{parser.key}"
            else:
                export_path = attribute
        self.export_path = export_path
        self._required = required
        self.field: models.Field | None = None
        self.attname: str | None = None
        self.required = bool(required)
        self.empty_value: Any = None

    def bind(self, model: type[models.Model]) -> None:
        """Take limits, the database column and the empty value from the model field."""
        if self.attribute:
            field = model_field(model, self.attribute)
            self.field = field
            self.attname = field.attname
            has_default = field.has_default()
            if has_default:
                self.empty_value = field.get_default()
            elif field.null:
                self.empty_value = None
            elif field.blank and isinstance(field, models.CharField | models.TextField):
                self.empty_value = ""
            if self._required is None:
                self.required = not (has_default or field.null or field.blank)
            self.parser.bind(field)
        else:
            self.parser.bind(None)
