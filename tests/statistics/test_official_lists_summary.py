"""End to end: the official lists through `manage.py import`, then `monthly_summary --json`.

Issue 7 is done when, after loading the official lists, `monthly_summary --period 2022-09
--json` prints every key of DESIGN §5 with the defined values. The lists below are small
xlsx files with the Chinese headers of DESIGN §5, written out here (not taken from the
resources) so that a renamed header fails this test. Their rows sit at the boundaries of the
§5 definitions with D = 2022-09-30 and Y = 2022-01-01..D; each expected figure says which
rows make it.
"""

import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from enterprises.models import Enterprise
from portal.statistics import services
from portal.statistics.models import DistrictStatistic, MonthlySummary
from tests.enterprises.factories import make_uscc
from tests.enterprises.test_resources import xlsx_bytes

pytestmark = pytest.mark.django_db

# Seven firms; E5, E6 and E7 operate the carriers C1, C2 and C3.
E1, E2, E3, E4, E5, E6, E7 = (make_uscc(770001 + i) for i in range(7))
NAMES = {
    E1: "重庆甲科技有限公司",
    E2: "重庆乙生物医药有限公司",
    E3: "重庆丙智能制造有限公司",
    E4: "重庆丁新材料有限公司",
    E5: "重庆戊孵化器运营有限公司",
    E6: "重庆己众创空间管理有限公司",
    E7: "重庆庚加速器运营有限公司",
}
C1, C2, C3 = "北滨创新孵化中心", "鱼复众创空间", "江北嘴科技加速器"
BANK1, BANK2 = "重庆农村商业银行江北支行", "中国建设银行重庆江北支行"

LISTS: list[tuple[str, list[str], list[list]]] = [
    (
        "enterprises.resources.EnterpriseResource",
        ["统一社会信用代码", "企业名称", "法定代表人", "所属街道", "行业领域", "成立日期",
         "注册资本(万元)", "从业人数", "研发人员数", "上市情况", "联系人", "联系电话", "地址"],
        [
            [E1, NAMES[E1], "张一", "观音桥街道", "信息技术", dt.date(2015, 3, 1), "500", 80, 30,
             "未上市", "李一", "023-67000001", "建新北路 1 号"],
            [E2, NAMES[E2], "张二", "华新街街道", "生物医药", "2016-05-20", "1200.5", 120, 40,
             "新三板挂牌", "李二", "023-67000002", "华新街 2 号"],
            [E3, NAMES[E3], "张三", "寸滩街道", "智能制造", "2012-01-10", 3000, 300, 60,
             "未上市", "李三", "023-67000003", "港城南路 3 号"],
            [E4, NAMES[E4], "张四", "鱼嘴镇", "新材料", "2018-08-08", "65.37", 45, 12,
             "未上市", "李四", "023-67000004", "鱼嘴大道 4 号"],
            [E5, NAMES[E5], "张五", "华新街街道", "现代服务业", "2010-10-10", "2000", 30, 5,
             "未上市", "李五", "023-67000005", "北滨一路 8 号"],
            [E6, NAMES[E6], "张六", "鱼嘴镇", "现代服务业", "2019-02-02", "100", 12, 2,
             "未上市", "李六", "023-67000006", "鱼复大道 6 号"],
            [E7, NAMES[E7], "张七", "江北城街道", "其他", "2017-07-07", "800", 20, 3,
             "未上市", "李七", "023-67000007", "江北城 7 号"],
        ],
    ),
    (
        "enterprises.resources.TechFirmRegistrationResource",
        ["统一社会信用代码", "企业名称", "入库编号", "入库日期", "出库日期"],
        [
            [E1, NAMES[E1], "2020500105000001", "2020-03-01", ""],  # registered
            [E2, NAMES[E2], "2022500105000002", "2022-09-30", ""],  # registered on D: counts, new
            [E3, NAMES[E3], "2021500105000003", "2021-05-01", "2022-09-30"],  # removed on D: no
            [E4, NAMES[E4], "2022500105000004", "2022-10-01", ""],  # after D: no
            [E5, NAMES[E5], "2022500105000005", dt.date(2022, 9, 1), ""],  # first day: new
            [E6, NAMES[E6], "2022500105000006", "2022-08-31", ""],  # registered, not new
        ],
    ),
    (
        "enterprises.resources.HighTechCertificateResource",
        ["统一社会信用代码", "企业名称", "证书编号", "发证日期", "认定类型"],
        [
            [E1, NAMES[E1], "GR202050000001", "2020-12-01", "首次认定"],  # valid to 2023-12-01
            [E2, NAMES[E2], "GR201950000002", "2019-09-30", "首次认定"],  # ended on D: expired
            [E2, NAMES[E2], "GR202250000012", "2022-10-15", "重新认定"],  # not yet valid on D
            [E3, NAMES[E3], "GR201950000003", "2019-10-20", "首次认定"],  # ends 2022-10-20: 90d
            [E4, NAMES[E4], "GR201950000004", "2019-11-01", "首次认定"],  # ends within 90 days,
            [E4, NAMES[E4], "GR202250000014", "2022-09-01", "重新认定"],  # but this one does not
            # valid until 2022-12-29 (D + 90): expiring, whether its end is read as the last
            # valid day or the day after it
            [E7, NAMES[E7], "GR201950000007", "2019-12-29", "首次认定"],
            # valid until 2022-12-31 (D + 92): not expiring within 90 days, read either way
            [E6, NAMES[E6], "GF202050000006", "2020-01-01", "首次认定"],
        ],
    ),
    (
        "incubators.resources.IncubatorResource",
        ["载体名称", "载体类型", "认定级别", "认定日期", "运营主体统一社会信用代码", "所属街道",
         "地址", "面积(平方米)"],
        [
            # C1 appears twice: a district recognition, then a municipal one on D.
            [C1, "孵化器", "区级", "2018-04-01", E5, "华新街街道", "北滨一路 8 号", 6000],
            [C1, "孵化器", "市级", "2022-09-30", E5, "华新街街道", "北滨一路 8 号", 8800],
            [C2, "众创空间", "区级", "2022-10-01", E6, "鱼嘴镇", "鱼复大道 6 号", 650],  # after D
            [C3, "加速器", "国家级", dt.date(2020, 1, 1), E7, "江北城街道", "江北城 7 号",
             "12000.5"],
        ],
    ),
    (
        "incubators.resources.TenancyResource",
        ["载体名称", "统一社会信用代码", "企业名称", "入驻日期", "迁出日期", "租用面积(平方米)",
         "是否毕业"],
        [
            [C1, E1, NAMES[E1], "2021-01-01", "", 300, "否"],  # resident
            [C1, E2, NAMES[E2], "2021-06-01", "2022-09-30", 200, "是"],  # moved out on D: no
            [C3, E3, NAMES[E3], "2022-09-30", "", "150.5", "否"],  # moved in on D: resident
            [C1, E4, NAMES[E4], "2020-01-01", "2022-10-01", 100, "否"],  # moves out after D
            [C2, E6, NAMES[E6], "2022-10-01", "", 50, ""],  # moves in after D: no
        ],
    ),
    (
        "loans.resources.BankResource",
        ["银行名称", "联系人", "联系电话"],
        [[BANK1, "王行长", "023-67100001"], [BANK2, "赵经理", "023-67100002"]],
    ),
    (
        "loans.resources.LoanLedgerResource",
        ["统一社会信用代码", "企业名称", "合作银行", "申请日期", "放款日期", "贷款金额(万元)",
         "期限(月)", "年利率(%)", "状态"],
        [
            [E1, NAMES[E1], BANK1, "2022-08-20", "2022-09-15", "65.37", 12, "4.35", "已放款"],
            [E2, NAMES[E2], BANK1, "2021-03-01", "2021-03-20", 300, 12, 4.5, "已结清"],
            [E3, NAMES[E3], BANK2, "2022-01-10", "2022-02-01", "120.5", 12, "4.2", "逾期"],
            [E4, NAMES[E4], BANK2, "2022-09-30", "", 100, 12, "4.35", "申请中"],
            [E5, NAMES[E5], BANK1, "2022-09-20", "2022-10-12", 200, 24, "4.35", "已放款"],
            [E6, NAMES[E6], BANK2, "2022-06-01", "", 50, 12, "4.35", "未获批"],
            [E7, NAMES[E7], BANK2, "2022-10-08", "", 80, 12, "4.35", "未获批"],  # after D
        ],
    ),
    (
        "subsidies.resources.SubsidyLedgerResource",
        ["统一社会信用代码", "企业名称", "补贴项目", "年度", "申请日期", "申请金额(万元)",
         "核定金额(万元)", "核定日期", "状态", "拨付日期"],
        [
            # submitted, approved and paid (on D) in Y
            [E1, NAMES[E1], "高企首次认定奖励", 2022, "2022-03-01", 50, 50, "2022-06-01",
             "已拨付", "2022-09-30"],
            # submitted and refused in Y
            [E1, NAMES[E1], "房租补贴", 2022, "2022-02-01", "0.6", "", "", "未通过", ""],
            # submitted on D, approved after D
            [E2, NAMES[E2], "研发投入补贴", 2022, "2022-09-30", 20, 20, "2022-10-10",
             "已核定", ""],
            # submitted in 2021, approved in Y
            [E3, NAMES[E3], "研发投入补贴", 2021, "2021-11-15", "30.123456", "25.5",
             "2022-01-05", "已核定", ""],
            # submitted after D
            [E4, NAMES[E4], "高企重新认定奖励", 2022, "2022-10-09", 20, "", "", "已受理", ""],
            # the carrier C1 (operated by E5) claims; approved in Y
            [E5, C1, "载体培育高企奖励", 2022, "2022-05-01", 10, 10, "2022-07-01", "已核定", ""],
            # approved in Y, paid after D
            [E5, NAMES[E5], "高企首次认定奖励", 2022, "2022-04-01", 50, 40, "2022-08-01",
             "已拨付", "2022-10-08"],
            # submitted and approved in 2021, paid in Y
            [E6, NAMES[E6], "房租补贴", 2021, "2021-12-01", "1.2", "1.2", "2021-12-20",
             "已拨付", "2022-01-10"],
        ],
    ),
    (
        "enterprises.resources.ServiceVisitResource",
        ["走访日期", "统一社会信用代码", "企业名称", "走访人"],
        [
            ["2022-03-01", E1, NAMES[E1], "刘科长"],
            ["2022-09-30", E1, NAMES[E1], "刘科长、陈干事"],  # the same firm again
            ["2021-12-31", E2, NAMES[E2], "刘科长"],  # before Y
            ["2022-01-01", E3, NAMES[E3], "陈干事"],  # first day of Y
            ["2022-10-01", E4, NAMES[E4], "陈干事"],  # after D
        ],
    ),
    (
        "enterprises.resources.ServiceRequestResource",
        ["登记日期", "统一社会信用代码", "企业名称", "问题类别", "问题描述", "办理方式", "状态",
         "解决日期"],
        [
            ["2022-02-01", E1, NAMES[E1], "政策咨询", "咨询高企认定条件", "现场答复", "已解决",
             "2022-02-01"],
            ["2022-09-30", E2, NAMES[E2], "资金补贴", "研发补贴拨付进度", "转办部门", "已解决",
             "2022-10-05"],  # registered on D, resolved after D
            ["2021-12-20", E3, NAMES[E3], "融资贷款", "贷款额度不足", "区内协调", "已解决",
             "2022-01-05"],  # registered before Y
            ["2022-06-01", E4, NAMES[E4], "场地用房", "扩大生产场地", "转办部门", "办理中", ""],
            ["2022-10-02", E6, NAMES[E6], "人才招引", "人才公寓申请", "区内协调", "办理中", ""],
        ],
    ),
]  # fmt: skip

EXPECTED_FIGURES = {
    "incubators": {
        "total": 2,  # C1 (municipal on D) and C3; C2 is recognised after D
        "by_level": {"district": 0, "municipal": 1, "national": 1},
        "by_kind": {"maker_space": 0, "incubator": 1, "accelerator": 1, "industrial_park": 0},
        "area_m2": 20800.5,  # 8,800 (C1's latest row) + 12,000.5
        "tenants": 3,  # E1, E3 (moved in on D), E4 (moves out after D)
        "tenant_registered_tech_firms": 1,  # E1; E3 removed on D, E4 registered after D
        "tenant_high_tech_firms": 3,  # E1, E3, E4
        "activities_month": 0,  # no activity list exists
        "activities_ytd": 0,
    },
    "enterprises": {
        "registered_tech_firms": 4,  # E1, E2, E5, E6
        "registered_tech_firms_new_month": 2,  # E2 (on D), E5 (on the 1st)
        "high_tech_valid": 5,  # E1, E3, E4, E6, E7; E2's ended on D, its next is after D
        "high_tech_expiring_90d": 2,  # E3, E7; E4 holds a newer one too, E6 ends after D + 90
    },
    "loans": {
        "applicant_firms": 6,  # all but E7 (applied after D)
        "granted_firms": 3,  # E1, E2, E3; E5 is disbursed after D
        "granted_amount": "4858700.00",  # 653,700 + 3,000,000 + 1,205,000
        "granted_amount_month": "653700.00",  # E1's 65.37 万元 on 2022-09-15
        "outstanding_amount": "1858700.00",  # E1 + E3; E2's is repaid
        "overdue_loans": 1,  # E3
        "compensation_paid": "0.00",
        "fund_balance": "0.00",
    },
    "subsidies": {
        "claims_ytd": 5,  # E1 ×2, E2, C1, E5; E3's and E6's are of 2021, E4's after D
        "approved_ytd": 4,  # E1, E3, C1, E5; E2's approval is after D
        "approved_amount_ytd": "1255000.00",  # 500,000 + 255,000 + 100,000 + 400,000
        "paid_amount_ytd": "512000.00",  # E1 (paid on D) + E6 (2021 claim paid in Y)
        "by_policy": {
            "rd_investment": {"claims": 1, "approved_amount": "255000.00", "paid_amount": "0.00"},
            "hte_new": {"claims": 2, "approved_amount": "900000.00", "paid_amount": "500000.00"},
            "hte_renewal": {"claims": 0, "approved_amount": "0.00", "paid_amount": "0.00"},
            "carrier_hte": {"claims": 1, "approved_amount": "100000.00", "paid_amount": "0.00"},
            "carrier_listing": {"claims": 0, "approved_amount": "0.00", "paid_amount": "0.00"},
            "rent": {"claims": 1, "approved_amount": "0.00", "paid_amount": "12000.00"},
        },
    },
    "rd": {
        "year": 2021,  # the latest year with district figures
        "expenditure": "4200000000.00",
        "gdp": "150000000000.00",
        "intensity_pct": 2.8,
        "city_intensity_pct": 2.36,
    },
    "services": {
        "visited_firms_ytd": 2,  # E1 (twice), E3 (on 1 January)
        "requests_collected_ytd": 3,  # E1, E2 (on D), E4
        "requests_resolved_ytd": 1,  # E1; E2's is resolved after D
        "satisfaction_ratings_ytd": 0,  # ledger rows carry no rating
        "satisfaction_average_ytd": None,
    },
}

# Every key of DESIGN §5, level by level.
TOP_KEYS = {"period", "as_of", "computed_at", *EXPECTED_FIGURES}
SECTION_KEYS = {
    "incubators": {
        "total", "by_level", "by_kind", "area_m2", "tenants", "tenant_registered_tech_firms",
        "tenant_high_tech_firms", "activities_month", "activities_ytd",
    },
    "enterprises": {
        "registered_tech_firms", "registered_tech_firms_new_month", "high_tech_valid",
        "high_tech_expiring_90d",
    },
    "loans": {
        "applicant_firms", "granted_firms", "granted_amount", "granted_amount_month",
        "outstanding_amount", "overdue_loans", "compensation_paid", "fund_balance",
    },
    "subsidies": {"claims_ytd", "approved_ytd", "approved_amount_ytd", "paid_amount_ytd",
                  "by_policy"},
    "rd": {"year", "expenditure", "gdp", "intensity_pct", "city_intensity_pct"},
    "services": {"visited_firms_ytd", "requests_collected_ytd", "requests_resolved_ytd",
                 "satisfaction_ratings_ytd", "satisfaction_average_ytd"},
}  # fmt: skip
LEVEL_KEYS = {"district", "municipal", "national"}
KIND_KEYS = {"maker_space", "incubator", "accelerator", "industrial_park"}
POLICY_KEYS = {"rd_investment", "hte_new", "hte_renewal", "carrier_hte", "carrier_listing", "rent"}
POLICY_FIGURE_KEYS = {"claims", "approved_amount", "paid_amount"}


def import_official_lists(tmp_path: Path) -> None:
    for number, (resource, headers, rows) in enumerate(LISTS, start=1):
        path = tmp_path / f"{number:02d}_{resource.rsplit('.', 1)[1]}.xlsx"
        path.write_bytes(xlsx_bytes(headers, rows))
        call_command("import", "--no-input", "--format", "XLSX", resource, str(path))


def enter_district_figures() -> None:
    for year, gdp, expenditure, city in (
        (2020, "140000000000.00", "3500000000.00", "2.11"),
        (2021, "150000000000.00", "4200000000.00", "2.36"),
    ):
        services.district_statistic_save(
            statistic=DistrictStatistic(
                year=year, gdp=gdp, rd_expenditure=expenditure, city_intensity_pct=city
            ),
            acting_user=None,
        )


def summary_json(*options: str) -> dict:
    out = StringIO()
    call_command("monthly_summary", "--period", "2022-09", "--json", *options, stdout=out)
    return json.loads(out.getvalue())


def test_official_lists_give_every_summary_key_with_its_defined_value(tmp_path):
    import_official_lists(tmp_path)
    enter_district_figures()
    assert Enterprise.objects.count() == 7

    document = summary_json()

    assert set(document) == TOP_KEYS
    for section, keys in SECTION_KEYS.items():
        assert set(document[section]) == keys, section
    assert set(document["incubators"]["by_level"]) == LEVEL_KEYS
    assert set(document["incubators"]["by_kind"]) == KIND_KEYS
    assert set(document["subsidies"]["by_policy"]) == POLICY_KEYS
    for code, figures in document["subsidies"]["by_policy"].items():
        assert set(figures) == POLICY_FIGURE_KEYS, code

    assert document["period"] == "2022-09"
    assert document["as_of"] == "2022-09-30"
    assert dt.datetime.fromisoformat(document["computed_at"]).tzinfo is not None
    for section, expected in EXPECTED_FIGURES.items():
        assert document[section] == expected, section

    # Counts are ints, money is a string of yuan with two decimals, the rest are numbers:
    # `==` alone would take 1.0 for 1, so every leaf's type is checked too.
    assert_same_types(document, EXPECTED_FIGURES)


def test_a_second_run_without_force_shows_the_stored_snapshot(tmp_path):
    import_official_lists(tmp_path)
    enter_district_figures()
    first = summary_json()

    # The same lists again change nothing; a later list adds a visit in the month (E4 on
    # 2022-09-15). The stored snapshot stands until --force recomputes it.
    import_official_lists(tmp_path)
    visits = tmp_path / "late_visits.xlsx"
    visits.write_bytes(
        xlsx_bytes(
            ["走访日期", "统一社会信用代码", "企业名称", "走访人"],
            [["2022-09-15", E4, NAMES[E4], "陈干事"]],
        )
    )
    call_command(
        "import",
        "--no-input",
        "--format",
        "XLSX",
        "enterprises.resources.ServiceVisitResource",
        str(visits),
    )
    assert summary_json() == first
    assert MonthlySummary.objects.count() == 1

    forced = summary_json("--force")
    assert forced["computed_at"] != first["computed_at"]
    expected = {**EXPECTED_FIGURES["services"], "visited_firms_ytd": 3}
    assert forced["services"] == expected
    for section in EXPECTED_FIGURES.keys() - {"services"}:
        assert forced[section] == first[section] == EXPECTED_FIGURES[section], section
    assert MonthlySummary.history.count() == 2


def assert_same_types(actual: dict, expected: dict) -> None:
    for key, value in expected.items():
        if isinstance(value, dict):
            assert_same_types(actual[key], value)
        elif isinstance(value, str):
            assert re.fullmatch(r"\d+\.\d{2}", actual[key]), key
        else:
            assert type(actual[key]) is type(value), key
