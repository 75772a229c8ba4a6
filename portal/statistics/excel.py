"""The xlsx report: a headline sheet, then one sheet per section with native Excel charts.

Every row goes through the export helper (`common.exports`); changes are signed number
cells rather than text such as "+12", which a spreadsheet would take for a formula.
"""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from common import exports
from portal.statistics.lib import Change, number
from portal.statistics.sections.base import Figure, Kind
from portal.statistics.selectors import SummaryWindow

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B5CAD")
FORMATS = {Kind.MONEY: "#,##0.00", Kind.COUNT: "#,##0", Kind.PERCENT: "0.00", Kind.NUMBER: "0"}
# A change shows its sign; a change of a percentage is in points (the same number format).
CHANGE_FORMATS = {kind: f"+{fmt};-{fmt};0" for kind, fmt in FORMATS.items()}
PERCENT_CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"
CHART_ROWS = 15  # rows of sheet one chart takes, to stack them without overlap


def _sheet_title(text: str, used: set[str]) -> str:
    title = exports.sheet_title(text)
    while title in used:
        title = f"{title[:28]}_{len(used)}"
    used.add(title)
    return title


def _cell_value(kind: Kind, value: object) -> object:
    amount = number(value)
    if amount is None:
        return None
    if kind in (Kind.COUNT, Kind.NUMBER) and amount == amount.to_integral():
        return int(amount)
    # Money keeps its exact cents (openpyxl writes a Decimal as a number cell).
    return amount if kind == Kind.MONEY else float(amount)


def _change_cells(kind: Kind, change: Change | None) -> list[object]:
    """The change as a number and, except for percentages, as a fraction of the earlier value."""
    if change is None:
        return [None, None]
    percent = None
    if kind != Kind.PERCENT and change.percent is not None:
        percent = change.percent / 100
    return [_cell_value(kind, change.delta), percent]


def _label(figure: Figure) -> str:
    """A figure's name in the file; money cells are yuan (the dashboard shows 万元), so the
    header says so."""
    if figure.kind == Kind.MONEY:
        return _("%(figure)s (yuan)") % {"figure": figure.label}
    return str(figure.label)


def _header(sheet: Worksheet, labels: list[str]) -> None:
    exports.append_row(sheet, labels)
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = "B2"


def report_workbook(window: SummaryWindow) -> bytes:
    """The xlsx bytes of the snapshot in `window` (the active translation names the sheets)."""
    workbook = Workbook()
    used: set[str] = set()
    period = window.summary.period_label

    headline = workbook.active
    headline.title = _sheet_title(_("Headline figures"), used)
    _header(
        headline,
        [
            _("Figure"),
            period,
            _("Month on month"),
            _("Month on month (%)"),
            _("Year on year"),
            _("Year on year (%)"),
        ],
    )
    for row in window.rows(headline_only=True):
        kind = row.figure.kind
        exports.append_row(
            headline,
            [
                _label(row.figure),
                _cell_value(kind, row.value),
                *_change_cells(kind, row.month_on_month),
                *_change_cells(kind, row.year_on_year),
            ],
        )
        line = headline.max_row
        headline.cell(line, 2).number_format = FORMATS[kind]
        for column in (3, 5):
            headline.cell(line, column).number_format = CHANGE_FORMATS[kind]
            headline.cell(line, column + 1).number_format = PERCENT_CHANGE_FORMAT
    headline.column_dimensions["A"].width = 36
    for column in "BCDEF":
        headline.column_dimensions[column].width = 18

    months = window.months
    for section in window.sections():
        sheet = workbook.create_sheet(_sheet_title(str(section.title), used))
        labels = [_label(figure) for figure in section.figures]
        _header(sheet, [_("Month"), *labels])
        for month in months:
            exports.append_row(
                sheet,
                [
                    str(month),
                    *(
                        _cell_value(figure.kind, window.value(month, f"{section.key}.{figure.key}"))
                        for figure in section.figures
                    ),
                ],
            )
        sheet.column_dimensions["A"].width = 10
        for column, figure in enumerate(section.figures, start=2):
            letter = get_column_letter(column)
            sheet.column_dimensions[letter].width = 18
            for cell in sheet[letter][1:]:
                cell.number_format = FORMATS[figure.kind]
        last_row = len(months) + 1
        anchor_row = last_row + 2
        categories = Reference(sheet, min_col=1, min_row=2, max_row=last_row)
        for column, figure in enumerate(section.figures, start=2):
            if not figure.trend:
                continue
            chart = LineChart()
            chart.title = str(figure.label)
            chart.height, chart.width = 7, 16
            chart.legend = None
            chart.add_data(
                Reference(sheet, min_col=column, min_row=1, max_row=last_row), titles_from_data=True
            )
            chart.set_categories(categories)
            sheet.add_chart(chart, f"A{anchor_row}")
            anchor_row += CHART_ROWS
    return exports.workbook_bytes(workbook)
