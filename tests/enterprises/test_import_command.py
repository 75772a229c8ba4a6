"""`manage.py import`: the fast engine behind django-import-export's command name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from enterprises.models import Enterprise, TechFirmRegistration
from enterprises.resources import EnterpriseResource, TechFirmRegistrationResource
from tests.enterprises.test_resources import (
    BAD_CODE,
    CODE_A,
    HEADERS,
    csv_bytes,
    enterprise_rows,
    snapshot,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db
RESOURCE = "enterprises.resources.EnterpriseResource"


def write(tmp_path: Path, name: str, data: bytes) -> str:
    target = tmp_path / name
    target.write_bytes(data)
    return str(target)


def run_import(*args: str) -> None:
    call_command("import", "--no-input", *args)


@pytest.mark.parametrize(
    ("fmt", "name", "data"),
    [
        ("XLSX", "list.xlsx", lambda: xlsx_bytes(HEADERS, enterprise_rows())),
        ("CSV", "list.csv", lambda: csv_bytes(HEADERS, enterprise_rows(), "utf-8-sig")),
        ("CSV", "list.csv", lambda: csv_bytes(HEADERS, enterprise_rows(), "gb18030")),
    ],
)
def test_good_list_imports_and_again_changes_nothing(tmp_path, capsys, fmt, name, data):
    path = write(tmp_path, name, data())

    run_import("--format", fmt, RESOURCE, path)
    assert "2 new, 0 updated" in capsys.readouterr().err
    before = snapshot()
    run_import("--format", fmt, RESOURCE, path)

    assert "0 new, 0 updated, 0 deleted and 2 skipped" in capsys.readouterr().err
    assert snapshot() == before
    assert Enterprise.history.count() == 2


def test_format_is_guessed_from_the_file_name(tmp_path):
    run_import(RESOURCE, write(tmp_path, "list.xlsx", xlsx_bytes(HEADERS, enterprise_rows())))
    assert Enterprise.objects.count() == 2


def test_dry_run_saves_nothing(tmp_path):
    run_import(
        "--dry-run", RESOURCE, write(tmp_path, "a.csv", csv_bytes(HEADERS, enterprise_rows()))
    )
    assert not Enterprise.objects.exists()


def _bad_code():
    rows = enterprise_rows()
    rows[1][0] = BAD_CODE
    return rows


def _bad_date():
    rows = enterprise_rows()
    rows[0][5] = "2015-02-30"
    return rows


def _bad_amount():
    rows = enterprise_rows()
    rows[0][6] = "12万"
    return rows


def _bad_choice():
    rows = enterprise_rows()
    rows[1][9] = "纳斯达克"
    return rows


@pytest.mark.parametrize(
    ("headers", "rows", "message"),
    [
        (
            [*HEADERS[:3], "街道", *HEADERS[4:]],
            enterprise_rows(),
            "第 1 行「街道」：未知的列",
        ),
        (HEADERS, _bad_code(), "第 3 行「统一社会信用代码」：校验位错误"),
        (HEADERS, _bad_date(), "第 2 行「成立日期」：日期格式错误"),
        (HEADERS, _bad_amount(), "第 2 行「注册资本(万元)」：金额格式错误"),
        (HEADERS, _bad_choice(), "第 3 行「上市情况」：不是可选值"),
    ],
    ids=["header", "code", "date", "amount", "choice"],
)
@pytest.mark.parametrize("fmt", ["XLSX", "CSV"])
def test_defective_list_is_refused_and_saves_nothing(tmp_path, fmt, headers, rows, message):
    maker = xlsx_bytes if fmt == "XLSX" else csv_bytes
    path = write(tmp_path, f"list.{fmt.lower()}", maker(headers, rows))
    before = snapshot()

    with pytest.raises(CommandError) as info:
        run_import("--format", fmt, RESOURCE, path)

    assert message in str(info.value)
    assert "没有保存任何数据" in str(info.value)
    assert snapshot() == before


def test_corrupt_file_is_refused(tmp_path):
    data = xlsx_bytes(HEADERS, enterprise_rows())
    path = write(tmp_path, "list.xlsx", data[: len(data) // 2])
    with pytest.raises(CommandError, match="无法读取文件：不是有效的 Excel 文件"):
        run_import("--format", "XLSX", RESOURCE, path)
    path = write(tmp_path, "list.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CommandError, match="无法读取文件|无法识别"):
        run_import("--format", "CSV", RESOURCE, path)
    assert not Enterprise.objects.exists()


def test_unknown_enterprise_reference_is_refused(tmp_path):
    rows = [[CODE_A, "不存在的企业", "2024500105000009", "2024-03-01", ""]]
    path = write(tmp_path, "r.csv", csv_bytes(TechFirmRegistrationResource.headers(), rows))
    with pytest.raises(CommandError, match=f"第 2 行「统一社会信用代码」：登记簿中没有.*{CODE_A}"):
        run_import("--format", "CSV", "enterprises.resources.TechFirmRegistrationResource", path)
    assert not TechFirmRegistration.objects.exists()


def test_export_command_output_imports_back_unchanged(tmp_path, capsysbinary):
    run_import(RESOURCE, write(tmp_path, "list.xlsx", xlsx_bytes(HEADERS, enterprise_rows())))
    capsysbinary.readouterr()
    for fmt, name in (("XLSX", "out.xlsx"), ("CSV", "out.csv")):
        call_command("export", fmt, RESOURCE)
        path = write(tmp_path, name, capsysbinary.readouterr().out)
        before = snapshot()
        run_import("--format", fmt, RESOURCE, path)
        assert snapshot() == before
    assert EnterpriseResource.headers() == [*HEADERS, "开户银行", "银行账号"]


def test_process_exits_non_zero_with_the_chinese_message_on_stderr(tmp_path):
    path = write(tmp_path, "list.csv", csv_bytes(HEADERS, _bad_code()))
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "PYTHONIOENCODING": "utf-8",
    }
    command = [sys.executable, "manage.py", "import", "--no-input", "--format", "CSV", RESOURCE]
    done = subprocess.run(
        [*command, path], cwd=settings.BASE_DIR, env=env, capture_output=True, timeout=120
    )
    assert done.returncode != 0
    assert "第 3 行「统一社会信用代码」：校验位错误" in done.stderr.decode("utf-8")
