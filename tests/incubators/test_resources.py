"""Official lists of carriers and tenancies: all or nothing, idempotent, exact messages."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from incubators.models import Incubator, Level, Recognition, Tenancy
from incubators.resources import IncubatorResource, TenancyResource
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.enterprises.test_resources import csv_bytes, import_bytes, xlsx_bytes
from tests.incubators.factories import TenancyFactory

pytestmark = pytest.mark.django_db

CARRIER_HEADERS = IncubatorResource.headers()
TENANCY_HEADERS = TenancyResource.headers()
OPERATOR = make_uscc(550001)
TENANT_A = make_uscc(550002)
TENANT_B = make_uscc(550003)


@pytest.fixture(autouse=True)
def registry():
    for code in (OPERATOR, TENANT_A, TENANT_B):
        EnterpriseFactory(uscc=code)


def carrier_rows() -> list[list]:
    return [
        ["北滨创新孵化中心", "孵化器", "区级", dt.date(2018, 4, 1), OPERATOR, "华新街街道",
         "北滨一路 8 号", 6000],
        ["北滨创新孵化中心", "孵化器", "市级", "2021-09-15", OPERATOR, "华新街街道",
         "北滨一路 8 号", "8800.5"],
        ["鱼复众创空间", "众创空间", "区级", "2023-03-01", OPERATOR, "鱼嘴镇", "", 650],
    ]  # fmt: skip


def tenancy_rows() -> list[list]:
    return [
        ["北滨创新孵化中心", TENANT_A, "甲公司", "2022-01-10", "2024-06-30", 200, "是"],
        ["北滨创新孵化中心", TENANT_A, "甲公司", "2024-06-30", "", 260, "否"],
        ["北滨创新孵化中心", TENANT_B, "乙公司", dt.date(2023, 5, 1), "", "120.5", ""],
    ]  # fmt: skip


def snapshot() -> tuple:
    return (
        list(Incubator.objects.order_by("pk").values()),
        Incubator.history.count(),
        list(Recognition.objects.order_by("pk").values()),
        Recognition.history.count(),
        list(Tenancy.objects.order_by("pk").values()),
        Tenancy.history.count(),
    )


def _import_carriers(rows=None, **kwargs):
    return import_bytes(
        IncubatorResource, xlsx_bytes(CARRIER_HEADERS, carrier_rows() if rows is None else rows)
    )


def test_carrier_list_creates_carriers_with_their_recognition_history():
    outcome = _import_carriers()
    assert not outcome.refused, outcome.messages()
    assert (outcome.new, outcome.updated, outcome.skipped) == (3, 0, 0)
    assert Incubator.objects.count() == 2
    beibin = Incubator.objects.get(name="北滨创新孵化中心")
    # the carrier is what its latest recognised row says
    assert beibin.area == Decimal("8800.50")
    assert beibin.kind == "incubator" and beibin.street.name == "华新街街道"
    assert list(beibin.recognitions.values_list("level", flat=True)) == [1, 2]
    assert beibin.level_on(dt.date(2020, 1, 1)) == Level.DISTRICT
    assert beibin.level_on(dt.date(2022, 1, 1)) == Level.MUNICIPAL
    assert beibin.history.get().history_type == "+"
    assert Recognition.history.count() == 3


def test_same_carrier_list_twice_changes_nothing():
    _import_carriers()
    before = snapshot()
    outcome = _import_carriers()
    assert (outcome.new, outcome.updated, outcome.skipped) == (0, 0, 3)
    assert snapshot() == before


def test_carrier_list_round_trips_through_export():
    _import_carriers()
    exported = IncubatorResource().export()
    assert exported.headers == CARRIER_HEADERS
    assert len(exported) == 3
    assert exported[0][2] == "区级" and exported[0][7] == "8800.5"
    before = snapshot()
    workbook = load_workbook(io.BytesIO(exported.export("xlsx")))
    rows = [list(r) for r in workbook.active.iter_rows(min_row=2, values_only=True)]
    outcome = _import_carriers(rows)
    assert not outcome.refused, outcome.messages()
    assert snapshot() == before


def test_upgrade_in_a_later_list_adds_a_recognition():
    _import_carriers()
    rows = [["鱼复众创空间", "众创空间", "市级", "2025-03-01", OPERATOR, "鱼嘴镇", "", 700]]
    outcome = _import_carriers(rows)
    assert (outcome.new, outcome.updated, outcome.skipped) == (1, 0, 0)
    space = Incubator.objects.get(name="鱼复众创空间")
    assert space.recognitions.count() == 2 and space.area == Decimal("700.00")


UNKNOWN_OPERATOR = make_uscc(559999)
# The framework's messages, and ours (incubators.resources), as staff read them.
UNKNOWN_OPERATOR_MESSAGE = f"登记簿中没有统一社会信用代码为 {UNKNOWN_OPERATOR} 的企业"
BAD_AREA = "面积格式错误，应为以平方米为单位的正数，最多 2 位小数"
BACKWARDS = "该载体在此日期仍持有 2018-04-01 认定的国家级，未登记撤销前级别不能降低"


@pytest.mark.parametrize(
    ("row_change", "expected"),
    [
        ({2: "省级"}, "第 2 行「认定级别」：不是可选值，可选：区级、市级、国家级"),
        ({1: "科技园"}, "第 2 行「载体类型」：不是可选值，可选：众创空间、孵化器、加速器、产业园"),
        ({3: "2018/04/01"}, "第 2 行「认定日期」：日期格式错误，应为日期单元格或 YYYY-MM-DD"),
        ({4: UNKNOWN_OPERATOR}, f"第 2 行「运营主体统一社会信用代码」：{UNKNOWN_OPERATOR_MESSAGE}"),
        ({5: "解放碑街道"}, "第 2 行「所属街道」：找不到「解放碑街道」"),
        ({7: "-5"}, f"第 2 行「面积(平方米)」：{BAD_AREA}"),
        ({3: "2999-01-01"}, "第 2 行「认定日期」：不能晚于今天"),
        ({2: "国家级"}, f"第 3 行「认定级别」：{BACKWARDS}"),
    ],
)  # fmt: skip
def test_bad_carrier_list_is_refused_whole(row_change, expected):
    rows = carrier_rows()
    for index, value in row_change.items():
        rows[0][index] = value
    outcome = _import_carriers(rows)
    assert outcome.refused
    assert expected in outcome.messages()
    assert snapshot() == ([], 0, [], 0, [], 0)


def test_level_backwards_against_the_database_and_after_revocation():
    _import_carriers()
    rows = [["北滨创新孵化中心", "孵化器", "区级", "2024-01-01", OPERATOR, "华新街街道", "", 8800]]
    outcome = _import_carriers(rows)
    assert outcome.messages() == [
        "第 2 行「认定级别」：该载体在此日期仍持有 2021-09-15 认定的市级，未登记撤销前级别不能降低"
    ]
    Recognition.objects.filter(level=Level.MUNICIPAL).update(revoked_on=dt.date(2023, 12, 1))
    assert not _import_carriers(rows).refused


def test_duplicate_recognition_row_is_refused():
    rows = carrier_rows()
    rows.append(list(rows[0]))
    outcome = _import_carriers(rows)
    assert "第 5 行「认定日期」：与第 2 行重复" in outcome.messages()


def test_carrier_area_below_a_tenant_is_refused():
    _import_carriers()
    TenancyFactory(incubator=Incubator.objects.get(name="鱼复众创空间"), area=Decimal("600"))
    rows = [["鱼复众创空间", "众创空间", "区级", "2023-03-01", OPERATOR, "鱼嘴镇", "", 500]]
    outcome = _import_carriers(rows)
    assert outcome.messages() == [
        "第 2 行「面积(平方米)」：载体面积小于其在孵企业的租用面积（600 平方米）"
    ]


# --- Tenancies -----------------------------------------------------------------------------


def _import_tenancies(rows=None, *, fmt=xlsx_bytes):
    _import_carriers()
    return import_bytes(
        TenancyResource, fmt(TENANCY_HEADERS, tenancy_rows() if rows is None else rows)
    )


def test_tenancy_list_imports_and_again_changes_nothing():
    outcome = _import_tenancies()
    assert not outcome.refused, outcome.messages()
    assert outcome.new == 3
    graduate = Tenancy.objects.get(moved_in_on=dt.date(2022, 1, 10))
    assert graduate.graduated and graduate.moved_out_on == dt.date(2024, 6, 30)
    assert Tenancy.objects.get(enterprise__uscc=TENANT_B).area == Decimal("120.50")
    before = snapshot()
    outcome = import_bytes(TenancyResource, xlsx_bytes(TENANCY_HEADERS, tenancy_rows()))
    assert (outcome.new, outcome.updated, outcome.skipped) == (0, 0, 3)
    assert snapshot() == before


def test_tenancy_list_in_gb18030_csv_and_round_trip():
    assert not _import_tenancies(fmt=lambda h, r: csv_bytes(h, r, "gb18030")).refused
    exported = TenancyResource().export()
    assert exported.headers == TENANCY_HEADERS
    # 企业名称 is the registry's name: the list's own spelling is for people, not imported
    name = Tenancy.objects.filter(enterprise__uscc=TENANT_A).first().enterprise.name
    assert ["北滨创新孵化中心", TENANT_A, name, "2022-01-10", "2024-06-30", "200", "是"] in [
        list(row) for row in exported
    ]
    before = snapshot()
    data = exported.export("csv").encode("utf-8-sig")
    assert not import_bytes(TenancyResource, data).refused
    assert snapshot() == before


def test_move_out_recorded_by_a_later_list_updates_the_row():
    _import_tenancies()
    rows = [["北滨创新孵化中心", TENANT_B, "乙公司", "2023-05-01", "2025-01-31", "120.5", "是"]]
    outcome = import_bytes(TenancyResource, xlsx_bytes(TENANCY_HEADERS, rows))
    assert (outcome.new, outcome.updated) == (0, 1)
    tenancy = Tenancy.objects.get(enterprise__uscc=TENANT_B)
    assert tenancy.graduated and tenancy.history.first().history_type == "~"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["北滨创新孵化中心", TENANT_B, "", "2023-05-01", "2023-04-30", 10, ""],
         "第 2 行「迁出日期」：迁出日期不能早于入驻日期"),
        (["北滨创新孵化中心", TENANT_B, "", "2023-05-01", "", 10, "是"],
         "第 2 行「迁出日期」：毕业企业须填写迁出日期"),
        (["北滨创新孵化中心", TENANT_B, "", "2023-05-01", "", 9000, ""],
         "第 2 行「租用面积(平方米)」：租用面积超过载体面积（8800.5 平方米）"),
        (["不存在的载体", TENANT_B, "", "2023-05-01", "", 10, ""],
         "第 2 行「载体名称」：找不到「不存在的载体」"),
        (["北滨创新孵化中心", TENANT_B[:17] + ("0" if TENANT_B[17] != "0" else "1"), "",
          "2023-05-01", "", 10, ""], "第 2 行「统一社会信用代码」：校验位错误"),
        (["北滨创新孵化中心", TENANT_B, "", "2023-05-01", "", 10, "也许"],
         "第 2 行「是否毕业」：应为「是」或「否」"),
    ],
)  # fmt: skip
def test_bad_tenancy_row_refuses_the_whole_list(row, expected):
    rows = [row, tenancy_rows()[0]]
    outcome = _import_tenancies(rows)
    assert outcome.refused
    assert expected in outcome.messages()
    assert not Tenancy.objects.exists()


def test_overlapping_tenancies_in_the_file_are_refused():
    rows = tenancy_rows()
    rows[1][3] = "2024-06-29"  # moves back in the day before moving out
    outcome = _import_tenancies(rows)
    assert outcome.messages() == ["第 3 行「入驻日期」：与第 2 行同一企业在同一载体的入驻期重叠"]
    assert not Tenancy.objects.exists()


def test_tenancy_overlapping_the_database_is_refused():
    _import_tenancies()
    rows = [["北滨创新孵化中心", TENANT_B, "乙公司", "2024-01-01", "", 10, ""]]
    outcome = import_bytes(TenancyResource, xlsx_bytes(TENANCY_HEADERS, rows))
    assert outcome.messages() == ["第 2 行「入驻日期」：与已登记的 2023-05-01 至 今 入驻记录重叠"]


# --- manage.py import ----------------------------------------------------------------------


def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("resource", "headers", "rows"),
    [
        ("incubators.resources.IncubatorResource", CARRIER_HEADERS, carrier_rows),
        ("incubators.resources.TenancyResource", TENANCY_HEADERS, tenancy_rows),
    ],
)
def test_import_command_good_list_then_again(tmp_path, capsys, resource, headers, rows):
    if resource.endswith("TenancyResource"):
        _import_carriers()
    path = _write(tmp_path, "list.xlsx", xlsx_bytes(headers, rows()))
    call_command("import", "--no-input", "--format", "XLSX", resource, path)
    assert "3 new, 0 updated" in capsys.readouterr().err
    before = snapshot()
    call_command("import", "--no-input", "--format", "XLSX", resource, path)
    assert "0 new, 0 updated, 0 deleted and 3 skipped" in capsys.readouterr().err
    assert snapshot() == before


def test_import_command_refuses_a_bad_list_with_messages(tmp_path):
    rows = carrier_rows()
    rows[2][3] = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    path = _write(tmp_path, "list.xlsx", xlsx_bytes(CARRIER_HEADERS, rows))
    with pytest.raises(CommandError) as exc:
        call_command(
            "import", "--no-input", "--format", "XLSX",
            "incubators.resources.IncubatorResource", path,
        )  # fmt: skip
    assert "第 4 行「认定日期」：不能晚于今天" in str(exc.value)
    assert not Incubator.objects.exists()


# --- admin import (preview, then confirm) --------------------------------------------------


def test_admin_import_preview_shows_the_chinese_errors_then_confirm(client):
    from django.contrib.admin import site as admin_site

    from tests.portal.factories import StaffFactory

    client.force_login(StaffFactory(is_superuser=True))
    admin = admin_site._registry[Incubator]
    formats = admin.get_import_formats()
    xlsx_index = next(i for i, f in enumerate(formats) if f().get_extension() == "xlsx")
    rows = carrier_rows()
    rows[1][2] = "省级"
    upload = io.BytesIO(xlsx_bytes(CARRIER_HEADERS, rows))
    upload.name = "list.xlsx"
    url = "/admin/incubators/incubator/import/"
    response = client.post(url, {"import_file": upload, "format": xlsx_index, "resource": 0})
    assert response.status_code == 200
    assert "第 3 行「认定级别」：不是可选值" in response.content.decode()
    assert not Incubator.objects.exists()

    upload = io.BytesIO(xlsx_bytes(CARRIER_HEADERS, carrier_rows()))
    upload.name = "list.xlsx"
    preview = client.post(url, {"import_file": upload, "format": xlsx_index, "resource": 0})
    assert preview.context["result"].totals["new"] == 3
    assert not Incubator.objects.exists()
    confirm = preview.context["confirm_form"]
    response = client.post(
        "/admin/incubators/incubator/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert Incubator.objects.count() == 2 and Recognition.objects.count() == 3


def test_export_command_writes_a_list_that_imports_back_unchanged(tmp_path, capsysbinary):
    _import_tenancies()
    for resource in ("IncubatorResource", "TenancyResource"):
        dotted = f"incubators.resources.{resource}"
        capsysbinary.readouterr()
        call_command("export", "XLSX", dotted)
        path = _write(tmp_path, f"{resource}.xlsx", capsysbinary.readouterr().out)
        before = snapshot()
        call_command("import", "--no-input", "--format", "XLSX", dotted, path)
        assert snapshot() == before


def test_import_process_exits_non_zero_with_the_chinese_message(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    rows = [["北滨创新孵化中心", TENANT_A, "甲公司", "2024-06-30", "2024-06-01", 200, "否"]]
    path = _write(tmp_path, "list.xlsx", xlsx_bytes(TENANCY_HEADERS, rows))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "PYTHONIOENCODING": "utf-8",
    }
    command = [sys.executable, "manage.py", "import", "--no-input", "--format", "XLSX"]
    done = subprocess.run(
        [*command, "incubators.resources.TenancyResource", path],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "第 2 行「迁出日期」：迁出日期不能早于入驻日期" in done.stderr.decode("utf-8")
