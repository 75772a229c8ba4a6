"""Every official list of DESIGN §5 in the admin, as the bureau's staff use it: upload, preview,
confirm; a bad row refused with the same lines `manage.py import` prints; export in every
format offered; an exported file imported again changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.admin import site
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone
from openpyxl import load_workbook

from common.importing.resources import LedgerResource
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    ServiceRequest,
    ServiceVisit,
    TechFirmRegistration,
)
from incubators.models import Incubator, Recognition, Tenancy
from incubators.resources import IncubatorResource
from loans.models import Bank, LoanApplication
from loans.resources import BankResource
from portal.accounts.roles import Role
from subsidies.models import SubsidyClaim
from tests.enterprises import test_resources as registry_lists
from tests.enterprises import test_service_desk_resources as desk_lists
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.enterprises.test_resources import csv_bytes, import_bytes, xlsx_bytes
from tests.incubators import test_resources as carrier_lists
from tests.incubators.factories import IncubatorFactory
from tests.loans import test_resources as loan_lists
from tests.portal.factories import StaffFactory
from tests.subsidies import test_resources as subsidy_lists

pytestmark = pytest.mark.django_db

CODE_A, CODE_B = registry_lists.CODE_A, registry_lists.CODE_B


@dataclass(frozen=True)
class OfficialList:
    """One list of DESIGN §5: where its admin is, a realistic file, and one bad row."""

    model: type[models.Model]  # the model whose changelist carries the import and export
    resource: str  # dotted path, as `manage.py import` takes it
    setup: Callable[[], object]  # what the list refers to (firms, carriers, banks)
    rows: Callable[[object], list[list]]
    spoil: Callable[[list[list]], None]  # makes exactly one row bad
    refusal: str  # the line the bad row gets
    counted: type[models.Model] | None = None  # one row of the list per row of this model

    @property
    def url(self) -> str:
        return f"/admin/{self.model._meta.app_label}/{self.model._meta.model_name}/"

    def resource_class(self) -> type[LedgerResource]:
        return site._registry[self.model].get_import_resource_classes(None)[0]

    def headers(self) -> list[str]:
        return self.resource_class().headers()

    def count(self) -> int:
        return (self.counted or self.model)._default_manager.count()


def _firms(*codes: str) -> None:
    for code in codes:
        EnterpriseFactory(uscc=code)


def _set(row: int, column: int, value: object) -> Callable[[list[list]], None]:
    def spoil(rows: list[list]) -> None:
        rows[row - 2][column] = value

    return spoil


def _carriers() -> None:
    _firms(carrier_lists.OPERATOR, carrier_lists.TENANT_A, carrier_lists.TENANT_B)
    headers = IncubatorResource.headers()
    outcome = import_bytes(IncubatorResource, xlsx_bytes(headers, carrier_lists.carrier_rows()))
    assert not outcome.refused, outcome.messages()


def _banks_and_firms() -> list[Enterprise]:
    data = xlsx_bytes(loan_lists.BANK_HEADERS, loan_lists.BANK_ROWS)
    assert not import_bytes(BankResource, data).refused
    return [EnterpriseFactory(name=f"重庆台账科技有限公司{i}") for i in range(4)]


def _claimants() -> None:
    _firms(subsidy_lists.FIRM_A, subsidy_lists.FIRM_B)
    operator = EnterpriseFactory(uscc=subsidy_lists.OPERATOR)
    IncubatorFactory(name="北滨创新孵化中心", operator=operator)


def _figures(_world: object) -> list[list]:
    return [
        [CODE_A, 2023, "1200", "90", 80, 20, 1, 2, 3, 0, ""],
        [CODE_A, "2024", 1500.5, "120.25", 90, 25, "", "", "", "", ""],
        [CODE_B, 2024, 300, 45.5, 30, 12, 0, 1, 0, 0, 2],
    ]


def _wrong_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def _bad_visit_date(rows: list[list]) -> None:
    rows[1][0] = timezone.localdate() + dt.timedelta(days=30)


def _same_bank_twice(rows: list[list]) -> None:
    rows[1][0] = rows[0][0]


LISTS = {
    "enterprise": OfficialList(
        Enterprise,
        "enterprises.resources.EnterpriseResource",
        setup=lambda: None,
        rows=lambda _w: registry_lists.enterprise_rows(),
        spoil=_set(3, 0, _wrong_check(CODE_B)),
        refusal="第 3 行「统一社会信用代码」：校验位错误",
    ),
    "techfirmregistration": OfficialList(
        TechFirmRegistration,
        "enterprises.resources.TechFirmRegistrationResource",
        setup=lambda: _firms(CODE_A, CODE_B),
        rows=lambda _w: [
            [CODE_A, "重庆云帆科技有限公司", "2024500105000001", dt.date(2024, 3, 1), ""],
            [CODE_B, "", "2023500105000002", "2023-05-01", "2024-01-01"],
        ],
        spoil=_set(3, 4, "2023-04-30"),
        refusal="第 3 行「出库日期」：出库日期不能早于入库日期",
    ),
    "hightechcertificate": OfficialList(
        HighTechCertificate,
        "enterprises.resources.HighTechCertificateResource",
        setup=lambda: _firms(CODE_A, CODE_B),
        rows=lambda _w: [
            [CODE_A, "重庆云帆科技有限公司", "GR202450000123", "2024-11-01", "重新认定"],
            [CODE_B, "", "GR202350000456", dt.date(2023, 10, 16), "首次认定"],
        ],
        spoil=_set(3, 4, "复审"),
        refusal="第 3 行「认定类型」：不是可选值，可选：首次认定、重新认定",
    ),
    "annualfigures": OfficialList(
        AnnualFigures,
        "enterprises.resources.AnnualFiguresResource",
        setup=lambda: _firms(CODE_A, CODE_B),
        rows=_figures,
        spoil=_set(4, 5, 31),
        refusal="第 4 行「研发人员数」：研发人员数不能多于从业人数",
    ),
    "incubator": OfficialList(
        Incubator,
        "incubators.resources.IncubatorResource",
        setup=lambda: _firms(carrier_lists.OPERATOR),
        rows=lambda _w: carrier_lists.carrier_rows(),
        spoil=_set(3, 2, "省级"),
        refusal="第 3 行「认定级别」：不是可选值，可选：区级、市级、国家级",
        counted=Recognition,
    ),
    # A code whose check character is wrong, in a tenancy list (issue 12: it once passed).
    "tenancy": OfficialList(
        Tenancy,
        "incubators.resources.TenancyResource",
        setup=_carriers,
        rows=lambda _w: carrier_lists.tenancy_rows(),
        spoil=_set(4, 1, _wrong_check(carrier_lists.TENANT_B)),
        refusal="第 4 行「统一社会信用代码」：校验位错误",
    ),
    "bank": OfficialList(
        Bank,
        "loans.resources.BankResource",
        setup=lambda: None,
        rows=lambda _w: [list(row) for row in loan_lists.BANK_ROWS],
        spoil=_same_bank_twice,
        refusal="第 3 行「银行名称」：与第 2 行重复",
    ),
    "loanledger": OfficialList(
        LoanApplication,
        "loans.resources.LoanLedgerResource",
        setup=_banks_and_firms,
        rows=loan_lists.ledger_rows,
        spoil=_set(3, 8, "已批准"),
        refusal="第 3 行「状态」：不是可选值",
    ),
    "subsidyledger": OfficialList(
        SubsidyClaim,
        "subsidies.resources.SubsidyLedgerResource",
        setup=_claimants,
        rows=lambda _w: subsidy_lists.rows(),
        spoil=_set(3, 8, "已完成"),
        refusal="第 3 行「状态」：不是可选值",
    ),
    "servicevisit": OfficialList(
        ServiceVisit,
        "enterprises.resources.ServiceVisitResource",
        setup=lambda: _firms(desk_lists.CODE_A, desk_lists.CODE_B),
        rows=lambda _w: desk_lists.visit_rows(),
        spoil=_bad_visit_date,
        refusal="第 3 行「走访日期」：不能晚于今天",
    ),
    "servicerequest": OfficialList(
        ServiceRequest,
        "enterprises.resources.ServiceRequestResource",
        setup=lambda: _firms(desk_lists.CODE_A, desk_lists.CODE_B),
        rows=lambda _w: desk_lists.request_rows(),
        spoil=_set(2, 7, ""),
        refusal="第 2 行「解决日期」：状态为「已解决」时必须填写解决日期",
    ),
}
every_list = pytest.mark.parametrize("name", list(LISTS))


def test_every_list_of_design_section_5_is_here():
    resources = {official.resource_class().__name__ for official in LISTS.values()}
    assert resources == {
        "EnterpriseResource",
        "TechFirmRegistrationResource",
        "HighTechCertificateResource",
        "AnnualFiguresResource",
        "IncubatorResource",
        "TenancyResource",
        "BankResource",
        "LoanLedgerResource",
        "SubsidyLedgerResource",
        "ServiceVisitResource",
        "ServiceRequestResource",
    }


@pytest.fixture
def staff(client):
    """A bureau staff account of the real role (not a superuser)."""
    user = StaffFactory(roles=(Role.BUREAU_STAFF,))
    client.force_login(user)
    return user


def format_index(formats: list, extension: str) -> int:
    return next(i for i, f in enumerate(formats) if f().get_extension() == extension)


def upload(client, official: OfficialList, data: bytes, extension: str = "xlsx"):
    file = io.BytesIO(data)
    file.name = f"list.{extension}"
    formats = site._registry[official.model].get_import_formats()
    return client.post(
        official.url + "import/",
        {"import_file": file, "format": format_index(formats, extension), "resource": 0},
    )


def confirm(client, official: OfficialList, preview):
    form = preview.context["confirm_form"]
    return client.post(
        official.url + "process_import/", {name: form[name].value() for name in form.fields}
    )


def export(client, official: OfficialList, extension: str):
    formats = site._registry[official.model].get_export_formats()
    prefix = official.resource_class().__name__.lower()
    return client.post(
        official.url + "export/",
        {
            "format": format_index(formats, extension),
            "resource": 0,
            **{f"{prefix}_{header}": "on" for header in official.headers()},
        },
    )


@every_list
def test_staff_preview_then_confirm_a_good_list(client, staff, name):
    official = LISTS[name]
    rows = official.rows(official.setup())
    before = official.count()

    preview = upload(client, official, xlsx_bytes(official.headers(), rows))

    assert preview.status_code == 200
    assert preview.context["confirm_form"]
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"]) == (len(rows), 0, 0)
    page = preview.content.decode()
    summary = re.search(r'<p class="import-summary">(.*?)</p>', page, re.S)
    assert summary and re.findall(r"\d+", summary[1]) == [str(len(rows)), "0", "0"]
    assert page.count('<tr class="new">') == len(rows)
    assert official.count() == before  # a preview saves nothing

    response = confirm(client, official, preview)

    assert response.status_code == 302
    assert official.count() == before + len(rows)
    assert official.model.history.filter(history_user=staff).exists()


@every_list
def test_a_bad_row_is_listed_as_the_command_lists_it_and_nothing_is_saved(
    client, staff, name, tmp_path: Path
):
    official = LISTS[name]
    rows = official.rows(official.setup())
    official.spoil(rows)
    data = xlsx_bytes(official.headers(), rows)
    before = official.count()

    preview = upload(client, official, data)

    assert preview.status_code == 200
    assert not preview.context.get("confirm_form")
    lines = [preview.context["refused_heading"], *preview.context["refused_lines"]]
    assert lines[0] == "文件未导入，共 1 处错误，没有保存任何数据："
    assert lines[1].startswith(official.refusal)
    page = preview.content.decode()
    assert f"<li>{lines[1]}</li>" in page
    assert "某些行验数据证失败" not in page and "validation-error-count" not in page
    assert official.count() == before
    # One validation: the command refuses the same file with the same lines.
    path = tmp_path / "list.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError) as refused:
        call_command("import", "--no-input", official.resource, str(path))
    assert str(refused.value).splitlines() == lines


@every_list
def test_export_in_every_format_and_import_it_back_unchanged(client, staff, name):
    official = LISTS[name]
    rows = official.rows(official.setup())
    assert confirm(client, official, upload(client, official, xlsx_bytes(official.headers(), rows)))
    history = official.model.history.count()

    for file_format in site._registry[official.model].get_export_formats():
        extension = file_format().get_extension()
        response = export(client, official, extension)
        assert response.status_code == 200, (extension, response.content[:300])
        assert response["Content-Disposition"].startswith("attachment")
        if extension in ("xlsx", "csv"):
            again = upload(client, official, response.content, extension)
            totals = again.context["result"].totals
            assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, len(rows))
            assert confirm(client, official, again).status_code == 302
        if extension == "xlsx":
            sheet = load_workbook(io.BytesIO(response.content)).active
            exported = list(sheet.iter_rows(values_only=True))
            assert list(exported[0]) == official.headers() and len(exported) == len(rows) + 1
    assert official.model.history.count() == history


def test_csv_in_gb18030_too(client, staff):
    official = LISTS["enterprise"]
    data = csv_bytes(official.headers(), registry_lists.enterprise_rows(), "gb18030")
    preview = upload(client, official, data, "csv")
    assert preview.context["result"].totals["new"] == 2


def test_a_role_that_only_reads_the_registry_exports_but_cannot_import(client):
    official = LISTS["enterprise"]
    EnterpriseFactory(uscc=make_uscc(990001))
    client.force_login(StaffFactory(roles=(Role.FINANCE,)))

    assert client.get(official.url + "import/").status_code == 403
    file = io.BytesIO(xlsx_bytes(official.headers(), registry_lists.enterprise_rows()))
    file.name = "list.xlsx"
    assert client.post(official.url + "import/", {"import_file": file}).status_code == 403
    assert export(client, official, "csv").status_code == 200
    assert not Enterprise.objects.filter(uscc=CODE_A).exists()


def test_a_list_that_no_longer_holds_at_confirm_is_refused_with_its_lines(client, staff):
    from django.contrib.messages import get_messages

    from enterprises.models import Street

    official = LISTS["enterprise"]
    preview = upload(client, official, xlsx_bytes(official.headers(), official.rows(None)))
    assert preview.context["confirm_form"]
    Street.objects.filter(name="鱼嘴镇").delete()  # between the preview and the confirm

    response = confirm(client, official, preview)

    assert response.status_code == 302 and response["Location"] == official.url + "import/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "文件未导入，共 1 处错误，没有保存任何数据：",
        "第 3 行「所属街道」：找不到「鱼嘴镇」",
    ]
    assert not Enterprise.objects.exists()
