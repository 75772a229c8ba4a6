"""What a section is: a key in the summary, a compute function and the figures it shows."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Min, QuerySet

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
    `public` figures are also shown to anyone on the home page: what the bureau publishes
    about the district, never a bank's book, the fund's balance or the service desk's work.
    """

    key: str
    label: Any  # a lazy translation
    kind: Kind = Kind.COUNT
    headline: bool = False
    public: bool = False
    link: Callable[[Period], str | None] | None = None
    trend: bool = True  # False for a label-like figure (a year): no chart, no changes

    def url_for(self, period: Period) -> str | None:
        return self.link(period) if self.link else None


@dataclass(frozen=True)
class Section:
    """A section of the monthly summary (DESIGN §5), registered in sections.SECTIONS.

    `compute(period)` returns the section's figures as of `period.last_day`, as JSON-ready
    values (ints, money strings, numbers, nested dicts), with a fixed number of aggregate
    queries whatever the row counts. `first_record()` gives the date of the earliest record
    the section counts (None when it has none): no month before the earliest of all
    sections is backfilled.
    """

    key: str
    title: Any
    compute: Callable[[Period], dict[str, Any]]
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    first_record: Callable[[], dt.date | None] = lambda: None

    @property
    def headlines(self) -> tuple[Figure, ...]:
        return tuple(figure for figure in self.figures if figure.headline)


def earliest(*sources: tuple[QuerySet, *tuple[str, ...]]) -> dt.date | None:
    """The earliest value of the date fields named after each queryset, as in
    `(Loan.objects.all(), "submitted_on", "disbursed_on")`: one query per queryset."""
    days = [
        day
        for queryset, *names in sources
        for day in queryset.aggregate(*(Min(name) for name in names)).values()
    ]
    return min((day for day in days if day is not None), default=None)
