"""The bank list and the loan ledger (DESIGN §5) through `manage.py import` and export:
a good file, the same file again changes nothing, every defect refuses the whole file."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from loans.models import Bank, LoanApplication, LoanStatus
from loans.resources import BankResource, LoanLedgerResource
from tests.enterprises.factories import EnterpriseFactory
from tests.enterprises.test_resources import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
BANKS = "loans.resources.BankResource"
LEDGER = "loans.resources.LoanLedgerResource"
BANK_HEADERS = ["银行名称", "联系人", "联系电话"]
LEDGER_HEADERS = [
    "统一社会信用代码", "企业名称", "合作银行", "申请日期", "放款日期", "贷款金额(万元)",
    "期限(月)", "年利率(%)", "状态",
]  # fmt: skip
BANK_ROWS = [
    ["重庆农村商业银行江北支行", "张伟", "023-67001111"],
    ["中国建设银行重庆江北支行", "李娜", "13800001111"],
]


def test_headers_are_exactly_the_design():
    assert BankResource.headers() == BANK_HEADERS
    assert LoanLedgerResource.headers() == LEDGER_HEADERS


def write(tmp_path: Path, name: str, data: bytes) -> str:
    target = tmp_path / name
    target.write_bytes(data)
    return str(target)


def run_import(*args: str) -> None:
    call_command("import", "--no-input", *args)


@pytest.fixture
def firms():
    return [EnterpriseFactory(name=f"重庆台账科技有限公司{i}") for i in range(4)]


def ledger_rows(firms) -> list[list]:
    a, b, c, d = firms
    return [
        [a.uscc, a.name, BANK_ROWS[0][0], dt.date(2019, 6, 3), dt.date(2019, 6, 28), 200,
         12, 4.35, "已结清"],
        [b.uscc, b.name, BANK_ROWS[1][0], "2021-03-15", "2021-04-01", "65.37", 24, "4.2",
         "已放款"],
        [c.uscc, c.name, BANK_ROWS[0][0], "2022-09-01", "2022-09-20", 300, 36, 4.5, "已代偿"],
        [d.uscc, d.name, BANK_ROWS[1][0], "2023-01-09", "", 100, 12, "", "未获批"],
    ]  # fmt: skip


def snapshot() -> tuple:
    return (
        list(Bank.objects.order_by("pk").values()),
        list(LoanApplication.objects.order_by("pk").values()),
        LoanApplication.history.count(),
    )


@pytest.mark.parametrize("fmt", ["XLSX", "CSV"])
def test_good_ledger_imports_and_again_changes_nothing(tmp_path, capsys, firms, fmt):
    maker = xlsx_bytes if fmt == "XLSX" else csv_bytes
    run_import("--format", fmt, BANKS, write(tmp_path, f"b.{fmt}", maker(BANK_HEADERS, BANK_ROWS)))
    path = write(tmp_path, f"l.{fmt}", maker(LEDGER_HEADERS, ledger_rows(firms)))
    run_import("--format", fmt, LEDGER, path)
    assert "4 new, 0 updated" in capsys.readouterr().err
    before = snapshot()
    run_import("--format", fmt, LEDGER, path)
    assert "0 new, 0 updated, 0 deleted and 4 skipped" in capsys.readouterr().err
    assert snapshot() == before

    loans = {loan.enterprise_id: loan for loan in LoanApplication.objects.all()}
    repaid = loans[firms[0].pk]
    assert (repaid.status, repaid.source) == (LoanStatus.REPAID, "ledger")
    assert (repaid.approved_amount, repaid.outstanding_principal) == (Decimal("2000000.00"), 0)
    lent = loans[firms[1].pk]
    assert (lent.status, lent.approved_amount, lent.annual_rate_pct) == (
        LoanStatus.DISBURSED,
        Decimal("653700.00"),
        Decimal("4.20"),
    )
    declined = loans[firms[3].pk]
    assert (declined.status, declined.approved_amount, declined.disbursed_on) == (
        LoanStatus.DECLINED,
        None,
        None,
    )


def test_export_round_trips(tmp_path, firms):
    run_import(BANKS, write(tmp_path, "b.xlsx", xlsx_bytes(BANK_HEADERS, BANK_ROWS)))
    run_import(LEDGER, write(tmp_path, "l.xlsx", xlsx_bytes(LEDGER_HEADERS, ledger_rows(firms))))
    dataset = LoanLedgerResource().export()
    assert dataset.headers == LEDGER_HEADERS
    assert dataset[1][5] == "65.37" and dataset[1][8] == "已放款"
    path = write(tmp_path, "again.csv", dataset.export("csv").encode("utf-8"))
    before = snapshot()
    run_import("--format", "CSV", LEDGER, path)
    assert snapshot() == before


def _defect(index: int, column: int, value):
    def make(firms):
        rows = ledger_rows(firms)
        rows[index][column] = value
        return rows

    return make


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_defect(0, 2, "不存在的银行"), "第 2 行「合作银行」：找不到「不存在的银行」"),
        (_defect(1, 0, "91500105MA5UXXXXXX"), "第 3 行「统一社会信用代码」"),
        (_defect(1, 8, "已批准"), "第 3 行「状态」：不是可选值"),
        (_defect(1, 5, "500.01"), "第 3 行「贷款金额(万元)」：贷款金额应大于 0 且不超过 500 万元"),
        (_defect(1, 5, "0"), "第 3 行「贷款金额(万元)」：贷款金额应大于 0"),
        (_defect(1, 5, "-3"), "第 3 行「贷款金额(万元)」：不能为负数"),
        (_defect(1, 6, 40), "第 3 行「期限(月)」：不能大于 36"),
        (_defect(1, 6, 3), "第 3 行「期限(月)」：不能小于 6"),
        (_defect(1, 7, "30"), "第 3 行「年利率(%)」：年利率应为"),
        (_defect(1, 4, "2021-02-01"), "第 3 行「放款日期」：放款日期不能早于申请日期"),
        (_defect(1, 4, ""), "第 3 行「放款日期」：状态为已放款"),
        (_defect(3, 4, "2023-02-01"), "第 5 行「放款日期」：状态为申请中或未获批时不应有放款日期"),
        (_defect(1, 3, "2021-02-30"), "第 3 行「申请日期」：日期格式错误"),
        (_defect(3, 0, None), "第 5 行「统一社会信用代码」：不能为空"),
    ],
    ids=[
        "unknown-bank", "bad-code", "bad-status", "above-cap", "zero", "negative",
        "long-term", "short-term", "rate", "disbursed-before", "disbursed-missing",
        "disbursed-unexpected", "bad-date", "missing-code",
    ],
)  # fmt: skip
def test_defective_ledger_is_refused_whole(tmp_path, firms, make, message):
    run_import(BANKS, write(tmp_path, "b.xlsx", xlsx_bytes(BANK_HEADERS, BANK_ROWS)))
    rows = make(firms)
    if rows[3][0] is None:
        rows[3][0] = ""
    path = write(tmp_path, "l.xlsx", xlsx_bytes(LEDGER_HEADERS, rows))
    before = snapshot()
    with pytest.raises(CommandError) as info:
        run_import(LEDGER, path)
    assert message in str(info.value)
    assert "没有保存任何数据" in str(info.value)
    assert snapshot() == before


def test_two_open_loans_of_one_firm_and_duplicate_rows_are_refused(tmp_path, firms):
    run_import(BANKS, write(tmp_path, "b.xlsx", xlsx_bytes(BANK_HEADERS, BANK_ROWS)))
    rows = ledger_rows(firms)
    second = list(rows[1])
    second[2], second[3], second[4] = BANK_ROWS[0][0], "2021-05-06", "2021-05-20"
    duplicate = list(rows[0])
    path = write(tmp_path, "l.xlsx", xlsx_bytes(LEDGER_HEADERS, [*rows, second, duplicate]))
    with pytest.raises(CommandError) as info:
        run_import(LEDGER, path)
    assert "第 6 行「状态」：同一企业只能有一笔" in str(info.value)
    assert "第 7 行「申请日期」：与第 2 行重复" in str(info.value)
    assert not LoanApplication.objects.exists()


def test_ledger_rows_are_not_rejudged_by_todays_rules(tmp_path, firms):
    # The firms hold no registration and no evaluation, and the bank is paused: history
    # still imports.
    run_import(BANKS, write(tmp_path, "b.xlsx", xlsx_bytes(BANK_HEADERS, BANK_ROWS)))
    Bank.objects.update(paused=True)
    run_import(LEDGER, write(tmp_path, "l.xlsx", xlsx_bytes(LEDGER_HEADERS, ledger_rows(firms))))
    assert LoanApplication.objects.count() == 4


def test_bank_list_imports_and_again_changes_nothing(tmp_path, capsys):
    path = write(tmp_path, "b.csv", csv_bytes(BANK_HEADERS, BANK_ROWS, "gb18030"))
    run_import("--format", "CSV", BANKS, path)
    before = snapshot()
    run_import("--format", "CSV", BANKS, path)
    assert snapshot() == before
    assert Bank.objects.get(name="重庆农村商业银行江北支行").contact_phone == "023-67001111"


# ------------------------------------------------------------------------- admin import


def _post_import(client, url: str, headers, rows):
    import io

    from enterprises.admin_import import LedgerXLSX

    upload = io.BytesIO(xlsx_bytes(headers, rows))
    upload.name = "list.xlsx"
    from loans.admin import LoanApplicationAdmin

    formats = LoanApplicationAdmin(LoanApplication, None).get_import_formats()
    index = formats.index(LedgerXLSX)
    return client.post(url, {"import_file": upload, "format": index, "resource": 0})


def test_staff_import_the_ledger_in_the_admin_with_a_preview(client, firms):
    from tests.portal.factories import StaffFactory

    staff = StaffFactory()
    client.force_login(staff)
    preview = _post_import(client, "/admin/loans/bank/import/", BANK_HEADERS, BANK_ROWS)
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    client.post(
        "/admin/loans/bank/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert Bank.objects.count() == 2

    rows = ledger_rows(firms)
    rows[1][8] = "已批准"
    refused = _post_import(client, "/admin/loans/loanapplication/import/", LEDGER_HEADERS, rows)
    assert "第 3 行「状态」：不是可选值" in refused.content.decode()
    preview = _post_import(
        client, "/admin/loans/loanapplication/import/", LEDGER_HEADERS, ledger_rows(firms)
    )
    assert preview.context["result"].totals["new"] == 4
    assert not LoanApplication.objects.exists()
    confirm = preview.context["confirm_form"]
    response = client.post(
        "/admin/loans/loanapplication/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert LoanApplication.history.filter(history_user=staff).count() == 4


def test_loan_book_export_of_any_selection(tmp_path, firms):
    run_import(BANKS, write(tmp_path, "b.xlsx", xlsx_bytes(BANK_HEADERS, BANK_ROWS)))
    run_import(LEDGER, write(tmp_path, "l.xlsx", xlsx_bytes(LEDGER_HEADERS, ledger_rows(firms))))
    selection = LoanApplication.objects.filter(status=LoanStatus.DISBURSED)
    dataset = LoanLedgerResource().export(queryset=selection)
    assert [row[0] for row in dataset] == [firms[1].uscc]
