"""The monthly report email: a phone-readable HTML body, a text alternative and the xlsx."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from portal.statistics.excel import report_workbook
from portal.statistics.formatting import change_display, figure_display
from portal.statistics.models import MonthlySummary, ReportDelivery
from portal.statistics.selectors import FigureRow, SummaryWindow, summary_window

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_filename(summary: MonthlySummary) -> str:
    return f"monthly-summary-{summary.period_label}.xlsx"


def figure_context(row: FigureRow) -> dict[str, Any]:
    """One figure ready to show: label, value, both changes and their direction, its link."""
    return {
        "label": row.figure.label,
        "section": row.section.title,
        "value": figure_display(row.figure.kind, row.value),
        "month_on_month": change_display(row.figure.kind, row.month_on_month),
        "year_on_year": change_display(row.figure.kind, row.year_on_year),
        "mom_direction": row.month_on_month.direction if row.month_on_month else "none",
        "yoy_direction": row.year_on_year.direction if row.year_on_year else "none",
        "url": row.url,
        "row": row,
    }


def headline_context(window: SummaryWindow) -> dict[str, Any]:
    """The snapshot and its headline figures, for the email and the dashboard."""
    return {
        "summary": window.summary,
        "headlines": [figure_context(row) for row in window.rows(headline_only=True)],
    }


def report_email(*, delivery: ReportDelivery) -> EmailMultiAlternatives:
    """The email of `delivery` in its language (reads the snapshot window; sends nothing)."""
    summary = delivery.summary
    window = summary_window(summary=summary)
    with translation.override(delivery.language):
        context = {
            **headline_context(window),
            "dashboard_url": settings.PORTAL_BASE_URL.rstrip("/")
            + reverse("statistics:dashboard")
            + f"?period={summary.period_label}",
        }
        subject = render_to_string("portal/email/monthly_report_subject.txt", context).strip()
        text = render_to_string("portal/email/monthly_report.txt", context)
        html = render_to_string("portal/email/monthly_report.html", context)
        workbook = report_workbook(window)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[delivery.recipient])
    message.attach_alternative(html, "text/html")
    message.attach(report_filename(summary), workbook, XLSX_TYPE)
    return message
