"""Official lists of the enterprise registry: the import/export resources (DESIGN §5)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import Workbook, load_workbook

from common.importing import writers
from common.importing.readers import read_table
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    Street,
    TechFirmRegistration,
)
from enterprises.resources import (
    AnnualFiguresResource,
    EnterpriseResource,
    HighTechCertificateResource,
    TechFirmRegistrationResource,
)
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
    make_uscc,
)

# The columns every list has; 开户银行 and 银行账号 are optional (test_bank_account).
HEADERS = EnterpriseResource.required_headers()
CODE_A = make_uscc(900001)
CODE_B = make_uscc(900002)
BAD_CODE = CODE_A[:17] + ("0" if CODE_A[17] != "0" else "1")


def enterprise_rows() -> list[list]:
    return [
        [CODE_A, "重庆云帆科技有限公司", "张三", "观音桥街道", "信息技术", dt.date(2015, 3, 2),
         65.37, 50, 10, "未上市", "李四", "023-67000001", "江北区北滨一路 1 号"],
        [CODE_B, "重庆嘉陵生物医药有限公司", "王五", "鱼嘴镇", "生物医药", "2018-07-09",
         "1200", 120, 30, "新三板挂牌", "赵六", "13800000000", ""],
    ]  # fmt: skip


def xlsx_bytes(headers: list[str], rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(headers: list[str], rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([c.isoformat() if isinstance(c, dt.date) else c for c in row])
    return out.getvalue().encode(encoding)


def import_bytes(resource_class, data: bytes, **kwargs):
    return resource_class().import_table(read_table(data), **kwargs)


def snapshot() -> tuple:
    """Everything an import may touch, to show that a refused file changed nothing."""
    return (
        list(Enterprise.objects.order_by("pk").values()),
        Enterprise.history.count(),
        list(TechFirmRegistration.objects.order_by("pk").values()),
        TechFirmRegistration.history.count(),
        list(HighTechCertificate.objects.order_by("pk").values()),
        list(AnnualFigures.objects.order_by("pk").values()),
    )


pytestmark = pytest.mark.django_db


def test_good_xlsx_list_creates_enterprises_with_history():
    outcome = import_bytes(EnterpriseResource, xlsx_bytes(HEADERS, enterprise_rows()))

    assert not outcome.refused, outcome.messages()
    assert (outcome.new, outcome.updated, outcome.skipped) == (2, 0, 0)
    a = Enterprise.objects.get(uscc=CODE_A)
    assert a.name == "重庆云帆科技有限公司"
    assert a.street == Street.objects.get(name="观音桥街道")
    assert a.industry == "it"
    assert a.founded_on == dt.date(2015, 3, 2)
    assert a.registered_capital == Decimal("653700.00")
    assert (a.employees, a.rd_staff, a.listing) == (50, 10, "unlisted")
    b = Enterprise.objects.get(uscc=CODE_B)
    assert (b.listing, b.address, b.registered_capital) == ("neeq", "", Decimal("12000000.00"))
    history = a.history.get()
    assert history.history_type == "+"
    assert history.history_date is not None


def test_amount_in_wan_is_converted_exactly():
    rows = enterprise_rows()[:1]
    rows[0][6] = "65.37"
    import_bytes(EnterpriseResource, csv_bytes(HEADERS, rows))
    assert Enterprise.objects.get().registered_capital == Decimal("653700.00")
    rows[0][6] = 1234.567891  # a number cell: read by its shortest repr, not binary arithmetic
    import_bytes(EnterpriseResource, xlsx_bytes(HEADERS, rows))
    assert Enterprise.objects.get().registered_capital == Decimal("12345678.91")
    rows[0][6] = "65.3700001"
    assert import_bytes(EnterpriseResource, csv_bytes(HEADERS, rows)).refused


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_good_csv_list_in_each_encoding(encoding):
    outcome = import_bytes(EnterpriseResource, csv_bytes(HEADERS, enterprise_rows(), encoding))
    assert not outcome.refused, outcome.messages()
    assert set(Enterprise.objects.values_list("name", flat=True)) == {
        "重庆云帆科技有限公司",
        "重庆嘉陵生物医药有限公司",
    }


def test_same_list_twice_changes_nothing():
    data = xlsx_bytes(HEADERS, enterprise_rows())
    import_bytes(EnterpriseResource, data)
    before = snapshot()

    outcome = import_bytes(EnterpriseResource, data)

    assert (outcome.new, outcome.updated, outcome.skipped) == (0, 0, 2)
    assert snapshot() == before


def test_changed_row_is_updated_with_a_history_row(django_user_model):
    import_bytes(EnterpriseResource, xlsx_bytes(HEADERS, enterprise_rows()))
    staff = django_user_model.objects.create_user(username="staff", password="x", is_staff=True)
    rows = enterprise_rows()
    rows[0][7] = 60

    outcome = import_bytes(EnterpriseResource, xlsx_bytes(HEADERS, rows), acting_user=staff)

    assert (outcome.new, outcome.updated, outcome.skipped) == (0, 1, 1)
    a = Enterprise.objects.get(uscc=CODE_A)
    assert a.employees == 60
    latest = a.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user, latest.employees) == ("~", staff, 60)
    assert Enterprise.objects.get(uscc=CODE_B).history.count() == 1


def test_empty_cell_means_no_value():
    rows = enterprise_rows()
    rows[0][3] = rows[0][5] = rows[0][6] = rows[0][9] = ""
    outcome = import_bytes(EnterpriseResource, csv_bytes(HEADERS, rows))
    assert not outcome.refused, outcome.messages()
    a = Enterprise.objects.get(uscc=CODE_A)
    assert (a.street, a.founded_on, a.registered_capital) == (None, None, None)
    assert a.listing == "unlisted"  # the field's default


def _refused(resource_class, data: bytes) -> list[str]:
    before = snapshot()
    outcome = import_bytes(resource_class, data)
    assert outcome.refused
    assert snapshot() == before
    return outcome.messages()


def test_unknown_header_refuses_the_file():
    headers = [*HEADERS[:-1], "详细地址"]
    messages = _refused(EnterpriseResource, xlsx_bytes(headers, enterprise_rows()))
    assert "第 1 行「详细地址」：未知的列" in messages
    assert "第 1 行：缺少列「地址」" in messages


def test_missing_header_refuses_the_file():
    rows = [row[:-1] for row in enterprise_rows()]
    messages = _refused(EnterpriseResource, csv_bytes(HEADERS[:-1], rows))
    assert messages == ["第 1 行：缺少列「地址」"]


def test_bad_code_refuses_the_whole_file():
    rows = enterprise_rows()
    rows[1][0] = BAD_CODE
    messages = _refused(EnterpriseResource, xlsx_bytes(HEADERS, rows))
    assert messages == ["第 3 行「统一社会信用代码」：校验位错误"]


def test_bad_date_refuses_the_file():
    rows = enterprise_rows()
    rows[0][5] = "2015/03/02"
    messages = _refused(EnterpriseResource, csv_bytes(HEADERS, rows))
    assert messages == ["第 2 行「成立日期」：日期格式错误，应为日期单元格或 YYYY-MM-DD"]


def test_bad_amount_refuses_the_file():
    rows = enterprise_rows()
    rows[1][6] = "一百万"
    messages = _refused(EnterpriseResource, xlsx_bytes(HEADERS, rows))
    assert messages == [
        "第 3 行「注册资本(万元)」：金额格式错误，应为以万元为单位的数字，最多 6 位小数"
    ]


def test_bad_choice_refuses_the_file():
    rows = enterprise_rows()
    rows[0][4] = "人工智能"
    messages = _refused(EnterpriseResource, csv_bytes(HEADERS, rows))
    assert messages[0].startswith("第 2 行「行业领域」：不是可选值，可选：信息技术、生物医药")


def test_corrupt_file_is_refused():
    from common.importing.readers import FileReadError

    data = xlsx_bytes(HEADERS, enterprise_rows())
    with pytest.raises(FileReadError, match="无法读取文件"):
        read_table(data[:200] + b"\x00garbage" + data[400:])
    assert not Enterprise.objects.exists()


def test_unknown_street_and_unknown_enterprise_are_refused():
    rows = enterprise_rows()
    rows[0][3] = "解放碑街道"
    assert _refused(EnterpriseResource, csv_bytes(HEADERS, rows)) == [
        "第 2 行「所属街道」：找不到「解放碑街道」"
    ]
    registration = [CODE_A, "重庆云帆科技有限公司", "2024500105000001", "2024-03-01", ""]
    messages = _refused(
        TechFirmRegistrationResource,
        csv_bytes(TechFirmRegistrationResource.headers(), [registration]),
    )
    assert messages == [
        f"第 2 行「统一社会信用代码」：登记簿中没有统一社会信用代码为 {CODE_A} 的企业"
    ]


def test_duplicate_key_and_cross_cell_rules_are_refused():
    rows = enterprise_rows()
    rows[1][0] = CODE_A
    rows[1][8] = 500
    messages = _refused(EnterpriseResource, csv_bytes(HEADERS, rows))
    assert messages == ["第 3 行「研发人员数」：研发人员数不能多于从业人数"]
    rows[1][8] = 5
    messages = _refused(EnterpriseResource, csv_bytes(HEADERS, rows))
    assert messages == ["第 3 行「统一社会信用代码」：与第 2 行重复"]


def test_every_error_of_a_file_is_reported():
    rows = enterprise_rows()
    rows[0][0] = "123"
    rows[0][7] = "五十"
    rows[1][9] = "港股"
    messages = _refused(EnterpriseResource, xlsx_bytes(HEADERS, rows))
    assert messages[:2] == [
        "第 2 行「统一社会信用代码」：统一社会信用代码应为 18 位",
        "第 2 行「从业人数」：应为整数",
    ]
    assert messages[2].startswith("第 3 行「上市情况」：不是可选值")


@pytest.mark.parametrize("format_class", [XLSX, CSV])
def test_export_then_import_changes_nothing(format_class):
    street = Street.objects.get(name="寸滩街道")
    EnterpriseFactory(
        street=street,
        registered_capital=Decimal("653700.00"),
        founded_on=dt.date(2010, 1, 31),
        employees=9,
        rd_staff=3,
        listing="star",
        address="江北区\t港城路 8 号",
    )
    EnterpriseFactory(street=None, industry="", contact_phone="")
    before = snapshot()

    exported = format_class().export_data(EnterpriseResource().export())
    data = exported if isinstance(exported, bytes) else exported.encode("utf-8")
    outcome = import_bytes(EnterpriseResource, data)

    assert not outcome.refused, outcome.messages()
    assert outcome.skipped == 2
    assert snapshot() == before


def test_export_neutralises_formulas_and_import_restores_them():
    EnterpriseFactory(contact_person="=HYPERLINK(\"http://x\")", contact_phone="+86 23 6700",
                      legal_representative="-", address="@home")  # fmt: skip
    exported = XLSX().export_data(EnterpriseResource().export())

    sheet = load_workbook(io.BytesIO(exported)).active
    row = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, len(HEADERS) + 1)}
    assert row["联系人"].value == '\'=HYPERLINK("http://x")'
    assert row["联系人"].data_type == "s"  # text, not a formula
    assert row["联系电话"].value == "'+86 23 6700"
    assert row["法定代表人"].value == "'-"
    assert row["地址"].value == "'@home"

    before = snapshot()
    outcome = import_bytes(EnterpriseResource, exported)
    assert outcome.skipped == 1
    assert snapshot() == before


def test_registration_list_imports_and_round_trips():
    firm = EnterpriseFactory(uscc=CODE_A)
    headers = TechFirmRegistrationResource.headers()
    rows = [[CODE_A.lower(), "旧名称也可以", "2024500105000001", dt.date(2024, 3, 1), ""]]
    outcome = import_bytes(TechFirmRegistrationResource, xlsx_bytes(headers, rows))
    assert not outcome.refused, outcome.messages()
    registration = TechFirmRegistration.objects.get()
    assert (registration.enterprise, registration.removed_on) == (firm, None)

    rows[0][4] = "2024-02-01"
    assert _refused(TechFirmRegistrationResource, xlsx_bytes(headers, rows)) == [
        "第 2 行「出库日期」：出库日期不能早于入库日期"
    ]
    before = snapshot()
    exported = CSV().export_data(TechFirmRegistrationResource().export()).encode()
    assert firm.name in exported.decode()
    assert import_bytes(TechFirmRegistrationResource, exported).skipped == 1
    assert snapshot() == before


def test_certificate_list_derives_expiry_and_checks_number():
    EnterpriseFactory(uscc=CODE_A)
    headers = HighTechCertificateResource.headers()
    rows = [[CODE_A, "", "gr202450000123", "2024-11-01", "重新认定"]]
    outcome = import_bytes(HighTechCertificateResource, csv_bytes(headers, rows))
    assert not outcome.refused, outcome.messages()
    certificate = HighTechCertificate.objects.get()
    assert certificate.number == "GR202450000123"
    assert certificate.expires_on == dt.date(2027, 11, 1)
    assert certificate.kind == "renewal"

    rows[0][2] = "GR2024500001"
    messages = _refused(HighTechCertificateResource, csv_bytes(headers, rows))
    assert messages[0].startswith("第 2 行「证书编号」：证书编号应为 GR")
    rows[0][2], rows[0][4] = "GR202450000124", "复审"
    messages = _refused(HighTechCertificateResource, csv_bytes(headers, rows))
    assert messages == ["第 2 行「认定类型」：不是可选值，可选：首次认定、重新认定"]


def test_annual_figures_match_on_enterprise_and_year():
    firm = AnnualFiguresFactory(year=2024).enterprise
    headers = AnnualFiguresResource.headers()
    rows = [
        [firm.uscc, 2024, "1200", "90", 80, 20, 1, 2, 3, 0, ""],
        [firm.uscc, "2025", 1500.5, "120.25", 90, 25, "", "", "", "", ""],
    ]
    outcome = import_bytes(AnnualFiguresResource, xlsx_bytes(headers, rows))
    assert not outcome.refused, outcome.messages()
    assert (outcome.new, outcome.updated) == (1, 1)
    y2025 = AnnualFigures.objects.get(enterprise=firm, year=2025)
    assert (y2025.revenue, y2025.rd_expenditure) == (Decimal("15005000.00"), Decimal("1202500.00"))
    assert y2025.invention_patents == 0

    before = snapshot()
    exported = XLSX().export_data(AnnualFiguresResource().export())
    assert import_bytes(AnnualFiguresResource, exported).skipped == 2
    assert snapshot() == before


def test_orm_writer_matches_the_postgresql_writer():
    """SQLite (development) uses the ORM path; it must classify and record the same way."""
    firm = EnterpriseFactory(uscc=CODE_A, employees=5)
    rows = [
        {"uscc": CODE_A, "name": firm.name, "employees": 6},
        {"uscc": CODE_B, "name": "新企业", "employees": 1},
    ]
    kinds = writers._write_orm(
        model=Enterprise, rows=rows, key=["uscc"], acting_user_id=None, reason="test"
    )
    assert kinds == {(CODE_A,): writers.UPDATE, (CODE_B,): writers.NEW}
    assert (
        Enterprise.objects.get(uscc=CODE_A).history.order_by("-history_id")[0].history_type == "~"
    )
    again = writers._write_orm(
        model=Enterprise, rows=rows, key=["uscc"], acting_user_id=None, reason="test"
    )
    assert again == {}


def test_registrations_and_certificates_export_their_enterprise():
    registration = TechFirmRegistrationFactory()
    certificate = HighTechCertificateFactory(enterprise=registration.enterprise)
    dataset = HighTechCertificateResource().export()
    assert dataset.headers == HighTechCertificateResource.headers()
    assert dataset[0][:3] == (registration.enterprise.uscc, registration.enterprise.name,
                              certificate.number)  # fmt: skip


# ------------------------------------------------------------------------- admin preview
# (the admin of every official list: tests/test_official_lists_in_admin.py)


def xlsx_format_index(model) -> int:
    """The position of the xlsx reader among the import formats of the model's admin."""
    from django.contrib.admin import site

    formats = site._registry[model].get_import_formats()
    return next(i for i, f in enumerate(formats) if f().get_extension() == "xlsx")


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="boss", password="x")
    client.force_login(user)
    client.user = user
    return client


def test_admin_import_preview_shows_the_chinese_errors(staff_client):
    rows = enterprise_rows()
    rows[1][0] = BAD_CODE
    upload = io.BytesIO(xlsx_bytes(HEADERS, rows))
    upload.name = "list.xlsx"

    response = staff_client.post(
        "/admin/enterprises/enterprise/import/",
        {"import_file": upload, "format": xlsx_format_index(Enterprise), "resource": 0},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "第 3 行「统一社会信用代码」：校验位错误" in content
    assert "confirm_form" not in response.context or not response.context["confirm_form"]
    assert not Enterprise.objects.exists()


def test_admin_import_preview_then_confirm(staff_client):
    from django.contrib.admin import site

    upload = io.BytesIO(csv_bytes(HEADERS, enterprise_rows(), "gb18030"))
    upload.name = "list.csv"
    formats = site._registry[Enterprise].get_import_formats()
    csv_index = next(i for i, f in enumerate(formats) if f().get_extension() == "csv")

    preview = staff_client.post(
        "/admin/enterprises/enterprise/import/",
        {"import_file": upload, "format": csv_index, "resource": 0},
    )
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_validation_errors()
    assert result.totals["new"] == 2
    assert not Enterprise.objects.exists()  # a preview saves nothing

    confirm = preview.context["confirm_form"]
    response = staff_client.post(
        "/admin/enterprises/enterprise/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert Enterprise.objects.count() == 2
    assert Enterprise.history.filter(history_user=staff_client.user).count() == 2
