"""Pure helpers for the monthly statistics: periods, money text and changes (no Django)."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period that is not YYYY-MM with a month from 01 to 12."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = PERIOD_RE.match(text.strip())
        if not match:
            raise PeriodError(text)
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or year < 1900:
            raise PeriodError(text)
        return cls(year, month)

    @classmethod
    def of(cls, day: dt.date) -> "Period":
        return cls(day.year, day.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def shift(self, months: int) -> "Period":
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def previous(self) -> "Period":
        return self.shift(-1)

    def months_until(self, other: "Period") -> list["Period"]:
        """This period and every one after it up to `other`, inclusive."""
        count = (other.year - self.year) * 12 + other.month - self.month
        return [self.shift(n) for n in range(count + 1)]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def money_text(amount: Decimal | int | None) -> str:
    """Yuan as the summary stores it: a string with two decimals ('0.00' for nothing)."""
    return f"{Decimal(amount or 0).quantize(CENT):f}"


def number(value: object) -> Decimal | None:
    """A figure of a summary (int, float or money string) as a Decimal; None when absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


@dataclass(frozen=True)
class Change:
    """The change of a figure against an earlier snapshot: absolute and, when defined, %."""

    delta: Decimal
    percent: Decimal | None

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "flat"


def change(current: object, earlier: object) -> Change | None:
    """None when either value is missing (no snapshot for the earlier month)."""
    now, before = number(current), number(earlier)
    if now is None or before is None:
        return None
    delta = now - before
    percent = (delta * 100 / before).quantize(Decimal("0.1")) if before else None
    return Change(delta=delta, percent=percent)


def flatten(figures: dict, prefix: str = "") -> dict[str, object]:
    """Nested section figures as dotted keys: {'by_level': {'district': 3}} -> by_level.district."""
    flat: dict[str, object] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def lookup(figures: dict, dotted: str) -> object:
    """The value at a dotted key ('enterprises.high_tech_valid'), None when absent."""
    value: object = figures
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
