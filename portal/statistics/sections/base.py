"""What a section is: a key in the summary, a compute function and the figures it shows."""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portal.statistics.lib import Period


class Kind(StrEnum):
    COUNT = "count"  # an int
    MONEY = "money"  # a string of yuan with two decimals
    PERCENT = "percent"  # a number, already in %
    NUMBER = "number"  # any other number (years, m²)


@dataclass(frozen=True)
class Figure:
    """One figure of a section, by its dotted key inside the section ('by_level.national').

    `headline` figures appear on the dashboard and in the email body with their changes;
    every figure appears in the section's sheet of the xlsx report. `link` gives the admin
    changelist URL filtered to the rows behind the figure for a period, when one exists.
    """

    key: str
    label: Any  # a lazy translation
    kind: Kind = Kind.COUNT
    headline: bool = False
    link: Callable[[Period], str | None] | None = None
    trend: bool = True  # False for a label-like figure (a year): no chart, no changes

    def url_for(self, period: Period) -> str | None:
        return self.link(period) if self.link else None


@dataclass(frozen=True)
class Section:
    """A section of the monthly summary (DESIGN §5), registered in sections.SECTIONS.

    `compute(period)` returns the section's figures as of `period.last_day`, as JSON-ready
    values (ints, money strings, numbers, nested dicts), with a fixed number of aggregate
    queries whatever the row counts.
    """

    key: str
    title: Any
    compute: Callable[[Period], dict[str, Any]]
    figures: tuple[Figure, ...] = field(default_factory=tuple)

    @property
    def headlines(self) -> tuple[Figure, ...]:
        return tuple(figure for figure in self.figures if figure.headline)
