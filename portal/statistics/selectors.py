"""Reads of the monthly snapshots for the dashboard, the email and the xlsx report.

A fixed number of queries: the snapshot window (13 months, for the trend and the changes
against the month before and the same month a year before) is one query.
"""

from dataclasses import dataclass, field

from django.http import Http404

from portal.statistics import sections as registry
from portal.statistics.formatting import figure_display
from portal.statistics.lib import Change, Period, change, lookup
from portal.statistics.models import MonthlySummary
from portal.statistics.sections import Figure, Section

WINDOW_MONTHS = 13


@dataclass
class FigureRow:
    """One figure of one snapshot, with its changes and its trend over the window."""

    section: Section
    figure: Figure
    value: object
    month_on_month: Change | None
    year_on_year: Change | None
    url: str | None
    trend: list[tuple[Period, object]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.section.key}.{self.figure.key}"


@dataclass
class SummaryWindow:
    """A snapshot and the snapshots of the twelve months before it (missing months: None)."""

    summary: MonthlySummary
    by_period: dict[Period, MonthlySummary]

    @property
    def months(self) -> list[Period]:
        last = self.summary.month
        return last.shift(-(WINDOW_MONTHS - 1)).months_until(last)

    def value(self, period: Period, dotted: str) -> object:
        summary = self.by_period.get(period)
        return lookup(summary.figures, dotted) if summary else None

    def sections(self) -> list[Section]:
        """The registered sections this snapshot holds (older snapshots may lack new ones)."""
        return [s for s in registry.SECTIONS if s.key in self.summary.figures]

    def rows(self, *, headline_only: bool = False) -> list[FigureRow]:
        period = self.summary.month
        rows = []
        for section in self.sections():
            for figure in section.figures:
                if headline_only and not figure.headline:
                    continue
                dotted = f"{section.key}.{figure.key}"
                current = self.value(period, dotted)
                month_on_month = year_on_year = None
                # A label-like figure (such as the year of the district figures) has no change.
                if figure.trend:
                    month_on_month = change(current, self.value(period.previous(), dotted))
                    year_on_year = change(current, self.value(period.shift(-12), dotted))
                rows.append(
                    FigureRow(
                        section=section,
                        figure=figure,
                        value=current,
                        month_on_month=month_on_month,
                        year_on_year=year_on_year,
                        url=figure.url_for(period),
                        trend=[(month, self.value(month, dotted)) for month in self.months],
                    )
                )
        return rows


def summary_latest() -> MonthlySummary | None:
    """The most recent snapshot, or None before the first one (one query)."""
    return MonthlySummary.objects.order_by("-period").first()


@dataclass
class PublicFigure:
    """A figure of a snapshot that anyone may read (`Figure.public`), ready to show."""

    key: str
    label: object  # a lazy translation
    value: str


def public_figures(*, summary: MonthlySummary) -> list[PublicFigure]:
    """The public figures `summary` holds, in the registry's order, shown as the dashboard
    shows them (万元 and 亿元 named in the value). No query."""
    return [
        PublicFigure(
            key=f"{section.key}.{figure.key}",
            label=figure.label,
            value=figure_display(
                figure.kind, lookup(summary.figures, f"{section.key}.{figure.key}")
            ),
        )
        for section in registry.SECTIONS
        if section.key in summary.figures
        for figure in section.figures
        if figure.public
    ]


def summary_get(*, period: Period) -> MonthlySummary:
    """The snapshot of `period`, or 404."""
    summary = MonthlySummary.objects.filter(period=period.first_day).first()
    if summary is None:
        raise Http404("no snapshot for this month")
    return summary


def summary_window(*, summary: MonthlySummary) -> SummaryWindow:
    """`summary` with the snapshots of the twelve months before it, in one query."""
    first = summary.month.shift(-(WINDOW_MONTHS - 1))
    earlier = MonthlySummary.objects.filter(period__gte=first.first_day, period__lte=summary.period)
    by_period = {snapshot.month: snapshot for snapshot in earlier}
    by_period[summary.month] = summary
    return SummaryWindow(summary=summary, by_period=by_period)
