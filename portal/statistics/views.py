"""The 数读 dashboard for bureau staff and its xlsx download."""

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from common.decorators import bureau_staff_required
from portal.statistics import selectors
from portal.statistics.charts import trend_svg
from portal.statistics.excel import report_workbook
from portal.statistics.lib import Period, PeriodError
from portal.statistics.models import MonthlySummary
from portal.statistics.reports import (
    XLSX_TYPE,
    figure_context,
    headline_context,
    report_filename,
)
from portal.statistics.sections import Section

VIEW_PERMISSION = "statistics.view_monthlysummary"


def _by_section(rows: list[selectors.FigureRow]) -> list[tuple[Section, list]]:
    grouped: dict[str, tuple[Section, list]] = {}
    for row in rows:
        grouped.setdefault(row.section.key, (row.section, []))[1].append(row)
    return list(grouped.values())


def _summary_for(request: HttpRequest) -> MonthlySummary | None:
    """The month asked for in ?period=YYYY-MM (404 when absent or malformed), else the latest."""
    text = request.GET.get("period")
    if not text:
        return selectors.summary_latest()
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        raise Http404("malformed period") from exc
    return selectors.summary_get(period=period)


@bureau_staff_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    summary = _summary_for(request)
    if summary is None:
        return render(request, "portal/dashboard.html", {"summary": None})
    window = selectors.summary_window(summary=summary)
    context = headline_context(window)
    for row in context["headlines"]:
        row["chart"] = trend_svg(row["row"].trend, label=str(row["label"]))
    # Every figure of every section, each with the link to the rows behind it.
    context["sections"] = [
        {"title": section.title, "figures": [figure_context(row) for row in rows]}
        for section, rows in _by_section(window.rows())
    ]
    months = MonthlySummary.objects.order_by("-period").values_list("period", flat=True)
    context["months"] = [str(Period.of(month)) for month in months]
    return render(request, "portal/dashboard.html", context)


@bureau_staff_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    summary = _summary_for(request)
    if summary is None:
        raise Http404("no snapshot yet")
    window = selectors.summary_window(summary=summary)
    response = HttpResponse(report_workbook(window), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{report_filename(summary)}"'
    return response
