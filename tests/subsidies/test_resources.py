"""The subsidy ledger: all or nothing, idempotent, history not re-judged, exact messages."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from subsidies.models import Programme, SubsidyClaim, SubsidyPolicy
from subsidies.resources import SubsidyLedgerResource
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.enterprises.test_resources import csv_bytes, import_bytes, xlsx_bytes
from tests.incubators.factories import IncubatorFactory
from tests.subsidies.factories import policy

pytestmark = pytest.mark.django_db

HEADERS = SubsidyLedgerResource.headers()
FIRM_A = make_uscc(660001)
FIRM_B = make_uscc(660002)
OPERATOR = make_uscc(660003)
S = SubsidyClaim.Status


def test_headers_are_exactly_design_section_5():
    assert HEADERS == [
        "统一社会信用代码",
        "企业名称",
        "补贴项目",
        "年度",
        "申请日期",
        "申请金额(万元)",
        "核定金额(万元)",
        "核定日期",
        "状态",
        "拨付日期",
    ]


@pytest.fixture(autouse=True)
def registry():
    for code in (FIRM_A, FIRM_B):
        EnterpriseFactory(uscc=code)
    IncubatorFactory(name="北滨创新孵化中心", operator=EnterpriseFactory(uscc=OPERATOR))


def rows() -> list[list]:
    return [
        [FIRM_A, "甲公司", "研发投入补贴", 2022, "2022-03-01", "65.37", "65.37", "2022-08-01",
         "已拨付", dt.date(2022, 9, 1)],
        [FIRM_A, "甲公司", "房租补贴", 2022, "2022-03-01", 2.4, "2", "2022-06-01", "已核定", ""],
        [FIRM_B, "乙公司", "高企首次认定奖励", 2021, "2021-12-20", 50, "", "", "已受理", ""],
        [FIRM_B, "乙公司", "高企重新认定奖励", 2019, "2019-12-20", 20, "", "", "未通过", ""],
        [OPERATOR, "北滨创新孵化中心", "载体培育高企奖励", 2023, "2023-04-01", 30, 30,
         "2023-05-01", "已拨付", "2023-06-01"],
    ]  # fmt: skip


def snapshot() -> tuple:
    return (
        list(SubsidyClaim.objects.order_by("pk").values()),
        SubsidyClaim.history.count(),
    )


def _import(data=None, **kwargs):
    return import_bytes(
        SubsidyLedgerResource, xlsx_bytes(HEADERS, rows() if data is None else data)
    )


def test_a_good_ledger_imports_every_programme_even_without_a_policy_that_year():
    SubsidyPolicy.objects.filter(year__in=(2019, 2021, 2022, 2023)).delete()
    policy(Programme.RD_INVESTMENT, year=2022)
    outcome = _import()
    assert not outcome.refused, outcome.messages()
    assert (outcome.new, outcome.updated, outcome.skipped) == (5, 0, 0)
    rd = SubsidyClaim.objects.get(programme=Programme.RD_INVESTMENT)
    assert rd.approved_amount == Decimal("653700.00")  # 65.37 万元, exactly
    assert rd.status == S.PAID and rd.paid_on == dt.date(2022, 9, 1)
    assert rd.policy is not None and rd.source == SubsidyClaim.Source.LEDGER
    rent = SubsidyClaim.objects.get(programme=Programme.RENT)
    assert rent.policy is None and rent.status == S.APPROVED
    carrier = SubsidyClaim.objects.get(programme=Programme.CARRIER_HTE)
    assert carrier.incubator.name == "北滨创新孵化中心" and carrier.enterprise is None
    assert SubsidyClaim.objects.get(programme=Programme.HTE_RENEWAL).status == S.REJECTED
    assert rd.history.get().history_type == "+"


def test_the_same_ledger_twice_changes_nothing():
    _import()
    before = snapshot()
    outcome = _import()
    assert (outcome.new, outcome.updated, outcome.skipped) == (0, 0, 5)
    assert snapshot() == before


def test_a_changed_row_updates_its_claim():
    _import()
    data = rows()
    data[1][8], data[1][9] = "已拨付", "2022-07-01"
    outcome = _import(data)
    assert (outcome.new, outcome.updated, outcome.skipped) == (0, 1, 4)
    assert SubsidyClaim.objects.get(programme=Programme.RENT).status == S.PAID


def test_the_ledger_round_trips_through_export_and_csv():
    _import()
    exported = SubsidyLedgerResource().export()
    assert exported.headers == HEADERS
    assert len(exported) == 5
    before = snapshot()
    workbook = load_workbook(io.BytesIO(exported.export("xlsx")))
    again = [list(r) for r in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert not _import(again).refused
    outcome = import_bytes(SubsidyLedgerResource, csv_bytes(HEADERS, rows(), encoding="gb18030"))
    assert not outcome.refused, outcome.messages()
    assert snapshot() == before


def _refused(data) -> list[str]:
    before = snapshot()
    outcome = _import(data)
    assert outcome.refused
    assert snapshot() == before
    return outcome.messages()


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (0, 0, "91500105MA5U0000XX", "第 2 行「统一社会信用代码」："),
        (0, 0, make_uscc(669999), "登记簿中没有统一社会信用代码为"),
        (0, 2, "人才补贴", "第 2 行「补贴项目」：不是可选值"),
        (0, 3, "二〇二二", "第 2 行「年度」：应为整数"),
        (0, 4, "2022/13/01", "第 2 行「申请日期」：日期格式错误"),
        (0, 5, "六十五", "第 2 行「申请金额(万元)」：金额格式错误"),
        (0, 6, "-1", "第 2 行「核定金额(万元)」：不能为负数"),
        (0, 8, "已完成", "第 2 行「状态」：不是可选值"),
        (0, 9, "", "第 2 行「拨付日期」：状态为已拨付时须填写"),
        (0, 7, "2022-02-01", "第 2 行「核定日期」：不能早于申请日期"),
        (0, 9, "2022-07-01", "第 2 行「拨付日期」：不能早于核定日期"),
        (2, 6, "50", "第 4 行「核定金额(万元)」：状态为已受理或未通过时不应填写"),
        (1, 7, "", "第 3 行「核定日期」：状态为已核定或已拨付时须填写"),
        (2, 0, OPERATOR, ""),  # an operator may hold an enterprise claim: not an error
    ],
)
def test_a_defect_refuses_the_whole_ledger(row, column, value, message):
    data = rows()
    data[row][column] = value
    if not message:
        assert not _import(data).refused
        return
    messages = _refused(data)
    assert any(message in line for line in messages), messages


def test_a_future_date_and_a_duplicate_claim_are_refused():
    data = rows()
    data[2][4] = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    data.append(list(rows()[0]))
    messages = _refused(data)
    assert "第 4 行「申请日期」：不能晚于今天" in messages
    assert "第 7 行「年度」：与第 2 行重复" in messages


def test_a_carrier_reward_of_a_firm_that_runs_no_carrier_is_refused():
    data = rows()
    data[4][0] = FIRM_A
    assert (
        "第 6 行「统一社会信用代码」：该企业不是任何孵化载体的运营主体，不能申领载体奖励"
        in _refused(data)
    )


def test_missing_and_unknown_headers_are_refused():
    headers = [*HEADERS[:-1], "备注"]
    outcome = import_bytes(SubsidyLedgerResource, xlsx_bytes(headers, rows()))
    assert outcome.refused
    assert "缺少列「拨付日期」" in "".join(outcome.messages())
    assert "第 1 行「备注」：未知的列" in outcome.messages()


def test_a_ledger_row_cannot_overwrite_a_portal_claim(actors):
    from tests.subsidies.flow import rent_claim, rent_ready

    rent_ready(actors)
    claim = rent_claim(actors)
    data = [[actors.enterprise.uscc, "", "房租补贴", claim.year, "2025-03-01", 2, 2,
             "2025-04-01", "已核定", ""]]  # fmt: skip
    assert "第 2 行「补贴项目」：该申请单位本项目本年度已在门户中申请，台账不能覆盖" in _refused(
        data
    )


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_command_loads_then_changes_nothing(tmp_path, capsys):
    path = _write(tmp_path, "ledger.xlsx", xlsx_bytes(HEADERS, rows()))
    dotted = "subsidies.resources.SubsidyLedgerResource"
    call_command("import", "--no-input", "--format", "XLSX", dotted, path)
    assert "5 new, 0 updated" in capsys.readouterr().err
    before = snapshot()
    call_command("import", "--no-input", "--format", "XLSX", dotted, path)
    assert "0 new, 0 updated, 0 deleted and 5 skipped" in capsys.readouterr().err
    assert snapshot() == before


def test_import_command_refuses_a_bad_ledger(tmp_path):
    data = rows()
    data[1][8] = "已完成"
    path = _write(tmp_path, "ledger.xlsx", xlsx_bytes(HEADERS, data))
    with pytest.raises(CommandError) as exc:
        call_command(
            "import", "--no-input", "--format", "XLSX",
            "subsidies.resources.SubsidyLedgerResource", path,
        )  # fmt: skip
    assert "第 3 行「状态」：不是可选值" in str(exc.value)
    assert not SubsidyClaim.objects.exists()


def test_import_process_exits_non_zero(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    data = rows()
    data[0][5] = "abc"
    path = _write(tmp_path, "ledger.xlsx", xlsx_bytes(HEADERS, data))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "PYTHONIOENCODING": "utf-8",
    }
    command = [sys.executable, "manage.py", "import", "--no-input", "--format", "XLSX"]
    done = subprocess.run(
        [*command, "subsidies.resources.SubsidyLedgerResource", path],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "第 2 行「申请金额(万元)」：金额格式错误" in done.stderr.decode("utf-8")


def test_admin_import_previews_the_chinese_errors_then_confirms_and_exports(client):
    from django.contrib.admin import site as admin_site

    from tests.portal.factories import StaffFactory

    client.force_login(StaffFactory(is_superuser=True))
    admin = admin_site._registry[SubsidyClaim]
    formats = admin.get_import_formats()
    xlsx_index = next(i for i, f in enumerate(formats) if f().get_extension() == "xlsx")
    url = "/admin/subsidies/subsidyclaim/import/"
    data = rows()
    data[1][8] = "已完成"
    upload = io.BytesIO(xlsx_bytes(HEADERS, data))
    upload.name = "ledger.xlsx"
    response = client.post(url, {"import_file": upload, "format": xlsx_index, "resource": 0})
    assert "第 3 行「状态」：不是可选值" in response.content.decode()
    assert not SubsidyClaim.objects.exists()

    upload = io.BytesIO(xlsx_bytes(HEADERS, rows()))
    upload.name = "ledger.xlsx"
    preview = client.post(url, {"import_file": upload, "format": xlsx_index, "resource": 0})
    assert preview.context["result"].totals["new"] == 5
    confirm = preview.context["confirm_form"]
    response = client.post(
        "/admin/subsidies/subsidyclaim/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert SubsidyClaim.objects.count() == 5

    export_formats = admin.get_export_formats()
    xlsx_export = next(i for i, f in enumerate(export_formats) if f().get_extension() == "xlsx")
    response = client.post(
        "/admin/subsidies/subsidyclaim/export/",
        {
            "format": xlsx_export,
            "resource": 0,
            **{f"subsidyledgerresource_{h}": "on" for h in HEADERS},
        },
    )
    assert response.status_code == 200, response.content[:500]
    sheet = load_workbook(io.BytesIO(response.content)).active
    exported = list(sheet.iter_rows(values_only=True))
    assert list(exported[0]) == HEADERS and len(exported) == 6
