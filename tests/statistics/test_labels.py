"""Every figure reads as itself: no two rows of a section share a label, on the dashboard and
in the xlsx report (the subsidy programmes used to repeat their name three times)."""

import io
import re
from collections import Counter

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.statistics import sections as registry
from portal.statistics import services
from portal.statistics.lib import Period
from subsidies.models import Programme
from tests.portal.factories import StaffFactory

PERIOD = Period(2025, 10)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_two_figures_of_a_section_share_a_label(language):
    with translation.override(language):
        for section in registry.SECTIONS:
            labels = Counter(str(figure.label) for figure in section.figures)
            assert [label for label, n in labels.items() if n > 1] == [], section.key


@pytest.mark.django_db
def test_dashboard_and_report_name_each_programme_once_per_row(client):
    services.monthly_summary_compute(period=PERIOD)
    client.force_login(StaffFactory())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    content = client.get(reverse("statistics:dashboard"), {"period": str(PERIOD)}).content
    section = content.decode().split("<h2>补贴与奖励")[-1].split("</section>")[0]
    rows = re.findall(r"<tr>\s*<td>(?:<a [^>]*>)?([^<]+)", section)
    assert len(rows) == len(set(rows)) > 0
    response = client.get(reverse("statistics:dashboard_xlsx"), {"period": str(PERIOD)})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheets = [workbook[name] for name in workbook.sheetnames]
    headers = [[cell.value for cell in sheet[1]] for sheet in sheets[1:]]
    for header in headers:
        assert len(header) == len(set(header))
    with translation.override("zh-hans"):
        for programme in Programme:
            label = str(programme.label)
            assert sum(label in row for row in rows) == 3  # claims, approved, paid
            assert all(row.count(label) == 1 for row in rows if label in row)
            cells = [cell for header in headers for cell in header if label in str(cell)]
            assert len(cells) == 3 and all(cell.count(label) == 1 for cell in cells)
    # Money columns of the file are yuan (the page shows 万元), so their headers say so.
    with translation.override("zh-hans"):
        paid = _("%(figure)s (yuan)") % {"figure": _("Amount paid this year")}
    assert paid in headers[[sheet.title for sheet in sheets[1:]].index("补贴与奖励")]
