"""The section registry: adding a section is one compute function and one line in SECTIONS.

A made-up `carriers_demo` section stands in for a section of a later app; nothing of it is
ever registered outside this test.
"""

import io

import openpyxl
import pytest
from django.urls import reverse

from portal.statistics import sections as registry
from portal.statistics import services
from portal.statistics.lib import Period
from portal.statistics.sections import Figure, Kind, Section
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _compute(period: Period) -> dict:
    return {"total": period.month, "area_m2": 1000.5, "by_level": {"district": 2, "national": 1}}


EXTRA = Section(
    key="carriers_demo",
    title="载体（测试）",
    compute=_compute,
    figures=(
        Figure("total", "载体总数（测试）", Kind.COUNT, headline=True),
        Figure("area_m2", "面积（测试）", Kind.NUMBER),
        Figure("by_level.national", "国家级（测试）", Kind.COUNT),
    ),
)


def test_keys_are_unique_and_in_the_order_of_the_design():
    keys = [section.key for section in registry.SECTIONS]
    assert len(keys) == len(set(keys))
    design_order = ["incubators", "enterprises", "loans", "subsidies", "rd", "services"]
    assert keys == [key for key in design_order if key in keys]


def test_every_figure_names_a_key_its_section_computes():
    for section in registry.SECTIONS:
        figures = section.compute(Period(2020, 1))
        for figure in section.figures:
            head, *rest = figure.key.split(".")
            assert head in figures, (section.key, figure.key)


def test_a_registered_section_reaches_the_snapshot_dashboard_and_xlsx(monkeypatch, client):
    old = services.monthly_summary_compute(period=Period(2025, 9))
    monkeypatch.setattr(registry, "SECTIONS", (*registry.SECTIONS, EXTRA))
    summary = services.monthly_summary_compute(period=Period(2025, 10))

    assert summary.as_json()["carriers_demo"]["by_level"] == {"district": 2, "national": 1}
    assert "carriers_demo" not in old.figures  # computed before the section existed

    client.force_login(StaffFactory())
    content = client.get(reverse("statistics:dashboard")).content.decode()
    assert "载体总数（测试）" in content
    response = client.get(reverse("statistics:dashboard_xlsx"), {"period": "2025-10"})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "载体（测试）" in workbook.sheetnames
    sheet = workbook["载体（测试）"]
    assert [c.value for c in sheet[1]][1:] == ["载体总数（测试）", "面积（测试）", "国家级（测试）"]
    assert sheet.cell(row=14, column=2).value == 10
    assert sheet.cell(row=13, column=2).value is None  # 2025-09 predates the section

    # The older month shows without the section, and does not fail.
    response = client.get(reverse("statistics:dashboard"), {"period": "2025-09"})
    assert response.status_code == 200
    assert "载体总数（测试）" not in response.content.decode()
