"""Service-desk ledgers (DESIGN §5): ServiceVisitResource and ServiceRequestResource through
`manage.py import` and `export`: a good ledger loads, loading it again changes nothing, a bad
one is refused whole and the process exits non-zero."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from enterprises import services
from enterprises.models import ServiceRequest, ServiceVisit
from enterprises.resources import ServiceRequestResource, ServiceVisitResource
from tests.enterprises.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    make_uscc,
    request_category,
)
from tests.enterprises.test_resources import csv_bytes, xlsx_bytes
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db
VISITS = "enterprises.resources.ServiceVisitResource"
REQUESTS = "enterprises.resources.ServiceRequestResource"
CODE_A, CODE_B = make_uscc(880001), make_uscc(880002)


@pytest.fixture
def firms():
    return (
        EnterpriseFactory(uscc=CODE_A, name="重庆两江云计算有限公司"),
        EnterpriseFactory(uscc=CODE_B, name="重庆江北新材料有限公司"),
    )


def write(tmp_path: Path, name: str, data: bytes) -> str:
    target = tmp_path / name
    target.write_bytes(data)
    return str(target)


def run_import(*args: str) -> None:
    call_command("import", "--no-input", *args)


def visit_rows() -> list[list]:
    return [
        [dt.date(2022, 3, 8), CODE_A, "重庆两江云计算有限公司", "张科长、李干事"],
        ["2022-03-09", CODE_B, "江北新材料", "王副局长"],
        ["2022-05-10", CODE_A, "重庆两江云计算有限公司", "张科长"],
    ]


def request_rows() -> list[list]:
    return [
        ["2022-03-08", CODE_A, "重庆两江云计算有限公司", "政策咨询", "研发费用加计扣除口径",
         "现场答复", "已解决", "2022-03-08"],
        ["2022-03-08", CODE_A, "重庆两江云计算有限公司", "场地用房", "扩租 800 平方米办公用房",
         "转办部门", "办理中", ""],
        ["2022-03-09", CODE_B, "重庆江北新材料有限公司", "人才招引", "博士后工作站申报",
         "区内协调", "已解决", dt.date(2022, 4, 1)],
        ["2022-03-09", CODE_B, "重庆江北新材料有限公司", "其他", "尚未处理的问题",
         "", "办理中", ""],
    ]  # fmt: skip


def snapshot() -> tuple:
    return (
        list(ServiceVisit.objects.order_by("pk").values()),
        ServiceVisit.history.count(),
        list(ServiceRequest.objects.order_by("pk").values()),
        ServiceRequest.history.count(),
    )


def test_headers_are_the_agreed_ones():
    assert ServiceVisitResource.headers() == ["走访日期", "统一社会信用代码", "企业名称", "走访人"]
    assert ServiceRequestResource.headers() == [
        "登记日期", "统一社会信用代码", "企业名称", "问题类别", "问题描述", "办理方式", "状态",
        "解决日期",
    ]  # fmt: skip


@pytest.mark.parametrize(("fmt", "maker"), [("XLSX", xlsx_bytes), ("CSV", csv_bytes)])
def test_good_visit_ledger_loads_and_again_changes_nothing(tmp_path, capsys, firms, fmt, maker):
    path = write(tmp_path, f"v.{fmt.lower()}", maker(ServiceVisitResource.headers(), visit_rows()))

    run_import("--format", fmt, VISITS, path)
    assert "3 new, 0 updated" in capsys.readouterr().err
    before = snapshot()
    run_import("--format", fmt, VISITS, path)

    assert "0 new, 0 updated, 0 deleted and 3 skipped" in capsys.readouterr().err
    assert snapshot() == before
    first = ServiceVisit.objects.get(enterprise=firms[0], visited_on=dt.date(2022, 3, 8))
    assert first.visitors == "张科长、李干事"
    assert first.history.get().history_type == "+"
    assert ServiceVisit.objects.visited_firms_ytd(dt.date(2022, 12, 31)) == 2


def test_good_request_ledger_loads_and_again_changes_nothing(tmp_path, capsys, firms):
    path = write(
        tmp_path, "r.csv", csv_bytes(ServiceRequestResource.headers(), request_rows(), "gb18030")
    )

    run_import("--format", "CSV", REQUESTS, path)
    assert "4 new, 0 updated" in capsys.readouterr().err
    before = snapshot()
    run_import("--format", "CSV", REQUESTS, path)

    assert "0 new, 0 updated, 0 deleted and 4 skipped" in capsys.readouterr().err
    assert snapshot() == before
    statuses = dict(ServiceRequest.objects.values_list("description", "status"))
    assert statuses == {
        "研发费用加计扣除口径": "resolved",
        "扩租 800 平方米办公用房": "forwarded",  # 办理中 + 转办部门
        "博士后工作站申报": "resolved",
        "尚未处理的问题": "open",
    }
    forwarded = ServiceRequest.objects.get(status="forwarded")
    assert forwarded.due_on is None
    # no due date of its own: the 15th working day after 2022-03-08
    assert forwarded.effective_due_on == dt.date(2022, 3, 29)
    requests = ServiceRequest.objects
    assert requests.requests_collected_ytd(dt.date(2022, 12, 31)) == 4
    assert requests.requests_resolved_ytd(dt.date(2022, 3, 31)) == 1
    assert requests.requests_resolved_ytd(dt.date(2022, 12, 31)) == 2


def test_a_changed_row_updates_the_request_with_history(tmp_path, capsys, firms):
    headers = ServiceRequestResource.headers()
    run_import(REQUESTS, write(tmp_path, "a.csv", csv_bytes(headers, request_rows())))
    rows = request_rows()
    rows[1][6:8] = ["已解决", "2022-04-20"]
    capsys.readouterr()
    run_import(REQUESTS, write(tmp_path, "b.csv", csv_bytes(headers, rows)))

    assert "0 new, 1 updated" in capsys.readouterr().err
    updated = ServiceRequest.objects.get(description="扩租 800 平方米办公用房")
    assert (updated.status, updated.resolved_on) == ("resolved", dt.date(2022, 4, 20))
    assert updated.history.latest().history_type == "~"


def _rows_with(index: int, column: int, value) -> list[list]:
    rows = request_rows()
    rows[index][column] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (_rows_with(0, 7, ""), "第 2 行「解决日期」：状态为「已解决」时必须填写解决日期"),
        (_rows_with(1, 7, "2022-04-01"), "第 3 行「解决日期」：尚未解决的诉求不应填写解决日期"),
        (_rows_with(2, 7, "2022-03-01"), "第 4 行「解决日期」：解决日期不能早于登记日期"),
        (_rows_with(3, 6, "已办结"), "第 5 行「状态」：不是可选值"),
        (_rows_with(3, 5, "电话答复"), "第 5 行「办理方式」：不是可选值"),
        (_rows_with(0, 3, ""), "第 2 行「问题类别」：不能为空"),
        (_rows_with(0, 0, "2022-02-30"), "第 2 行「登记日期」：日期格式错误"),
        (_rows_with(1, 1, make_uscc(880009)), "第 3 行「统一社会信用代码」：登记簿中没有"),
        (_rows_with(1, 4, "研发费用加计扣除口径"), "第 3 行「问题描述」：与第 2 行重复"),
    ],
    ids=["resolved-no-date", "open-with-date", "before", "status", "handling", "category",
         "date", "unknown-firm", "duplicate"],
)  # fmt: skip
def test_a_bad_request_ledger_is_refused_whole(tmp_path, firms, rows, message):
    headers = ServiceRequestResource.headers()
    path = write(tmp_path, "bad.xlsx", xlsx_bytes(headers, rows))
    before = snapshot()

    with pytest.raises(CommandError) as info:
        run_import("--format", "XLSX", REQUESTS, path)

    assert message in str(info.value)
    assert "没有保存任何数据" in str(info.value)
    assert snapshot() == before


def test_a_bad_visit_ledger_is_refused_whole(tmp_path, firms):
    rows = visit_rows()
    rows[2][3] = ""
    rows[1][0] = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    path = write(tmp_path, "bad.csv", csv_bytes(ServiceVisitResource.headers(), rows))

    with pytest.raises(CommandError) as info:
        run_import("--format", "CSV", VISITS, path)

    assert "第 3 行「走访日期」：不能晚于今天" in str(info.value)
    assert "第 4 行「走访人」：不能为空" in str(info.value)
    assert not ServiceVisit.objects.exists()


def test_portal_requests_export_and_import_back_unchanged(tmp_path, capsysbinary, firms):
    """Requests handled in the portal, in every state, survive an export/import round trip."""
    staff = StaffFactory()
    user = EnterpriseUserFactory(enterprise=firms[0])
    department = DepartmentFactory()
    today = timezone.localdate()

    def raise_(text):
        return services.service_request_raise(
            enterprise=firms[0], category=request_category("ip"), description=text, acting_user=user
        )

    raise_("仍在办理")
    services.service_request_forward(
        service_request=raise_("已转办"), department=department, acting_user=staff
    )
    services.service_request_resolve(
        service_request=raise_("已解决"),
        resolved_on=today,
        note="已答复",
        handling="coordinated",
        acting_user=staff,
    )
    services.service_request_close(
        service_request=raise_("已关闭"), reason="企业撤回", acting_user=staff
    )
    services.service_visit_record(
        enterprise=firms[1], visited_on=today, visitors="张科长", acting_user=staff
    )
    for resource in (REQUESTS, VISITS):
        for fmt, name in (("XLSX", "out.xlsx"), ("CSV", "out.csv")):
            capsysbinary.readouterr()
            call_command("export", fmt, resource)
            path = write(tmp_path, name, capsysbinary.readouterr().out)
            before = snapshot()
            run_import("--format", fmt, resource, path)
            assert snapshot() == before


def test_the_process_exits_non_zero_on_a_bad_ledger(tmp_path, firms):
    path = write(
        tmp_path,
        "bad.csv",
        csv_bytes(ServiceRequestResource.headers(), _rows_with(0, 7, "")),
    )
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "PYTHONIOENCODING": "utf-8",
    }
    command = [sys.executable, "manage.py", "import", "--no-input", "--format", "CSV", REQUESTS]
    done = subprocess.run(
        [*command, path], cwd=settings.BASE_DIR, env=env, capture_output=True, timeout=120
    )
    assert done.returncode != 0
    assert "第 2 行「解决日期」：状态为「已解决」时必须填写解决日期" in done.stderr.decode("utf-8")
    assert not ServiceRequest.objects.exists()
