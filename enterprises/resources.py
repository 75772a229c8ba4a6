"""Official lists of the enterprise registry (DESIGN §5), on the shared ledger framework.

Rows naming an enterprise are matched on 统一社会信用代码 alone. The 企业名称 beside it is
there for people reading the list: it is exported, but ignored on import, because official
lists often carry a former or abbreviated name and the code is what identifies a firm.
A row whose code fails the check is refused: the staff override is an admin decision with a
recorded reason, never something a file can do.
"""

import re
from typing import Any

from common.importing import messages as msg
from common.importing.columns import (
    USCC,
    CellError,
    Choice,
    Column,
    Date,
    Integer,
    Reference,
    Text,
    WanAmount,
    WordList,
)
from common.importing.resources import LedgerResource
from common.lib import bank as bank_lib
from common.lib import uscc as uscc_lib
from enterprises.models import (
    CERTIFICATE_NUMBER_RE,
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    Industry,
    Listing,
    RequestCategory,
    ServiceRequest,
    ServiceVisit,
    Street,
    TechFirmRegistration,
)


class EnterpriseReference(Reference):
    """An enterprise by its USCC. A registered code passes even when it fails the check
    (staff may have accepted it with a reason); an unknown one must at least be well formed."""

    def __init__(self) -> None:
        super().__init__(Enterprise, "uscc", key_parser=Text())

    def parse(self, raw: Any) -> str:
        text = str(raw)
        if text[:1] == "'":
            text = text[1:]
        return uscc_lib.normalise(text)

    def missing_message(self, key: str) -> str:
        try:
            uscc_lib.validate(key)
        except uscc_lib.USCCError as exc:
            return msg.USCC[exc.code]
        return msg.UNKNOWN_ENTERPRISE.format(key=key)


INDUSTRY_LABELS = {
    "信息技术": Industry.INFORMATION_TECHNOLOGY,
    "生物医药": Industry.BIOMEDICINE,
    "智能制造": Industry.SMART_MANUFACTURING,
    "节能环保": Industry.ENERGY_SAVING,
    "新材料": Industry.NEW_MATERIALS,
    "新能源": Industry.NEW_ENERGY,
    "现代服务业": Industry.MODERN_SERVICES,
    "其他": Industry.OTHER,
}
LISTING_LABELS = {
    "未上市": Listing.UNLISTED,
    "新三板挂牌": Listing.NEEQ,
    "北交所": Listing.BSE,
    "主板": Listing.MAIN_BOARD,
    "科创板": Listing.STAR,
    "创业板": Listing.CHINEXT,
}
CERTIFICATE_KIND_LABELS = {
    "首次认定": HighTechCertificate.Kind.NEW,
    "重新认定": HighTechCertificate.Kind.RENEWAL,
}
_CERTIFICATE_NUMBER = re.compile(CERTIFICATE_NUMBER_RE)


BANK_ACCOUNT = {
    "digits": "银行账号只能由数字组成",
    "length": f"银行账号应为 {bank_lib.MIN_DIGITS} 至 {bank_lib.MAX_DIGITS} 位数字",
}
BANK_ACCOUNT_AS_NUMBER = "银行账号超过 15 位，数字单元格已丢失末几位：请将该列设为文本后重新填写"
BANK_NAME_MISSING = "填写了银行账号，但未填写开户银行"
BANK_ACCOUNT_MISSING = "填写了开户银行，但未填写银行账号"


class BankAccount(Text):
    """A bank account number: digits only (spaces and hyphens between groups dropped).

    A spreadsheet keeps numbers to 15 significant digits, so an account typed into a number
    cell has lost its last digits: it is refused rather than paid to the wrong account.
    """

    def parse(self, raw: Any) -> str:
        if isinstance(raw, float | int) and not isinstance(raw, bool):
            if isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= 10**15):
                raise CellError(BANK_ACCOUNT_AS_NUMBER)
            raw = str(int(raw))
        try:
            return bank_lib.validate(super().parse(raw))
        except bank_lib.BankAccountError as exc:
            raise CellError(BANK_ACCOUNT[exc.code]) from None


def _bank_check(values: dict[str, Any]) -> dict[str, str]:
    """Both bank columns or neither (when the file has them)."""
    if "bank_account" not in values:
        return {}
    if values["bank_account"] and not values.get("bank_name"):
        return {"bank_name": BANK_NAME_MISSING}
    if values.get("bank_name") and not values["bank_account"]:
        return {"bank_account": BANK_ACCOUNT_MISSING}
    return {}


def _rd_staff_check(values: dict[str, Any]) -> dict[str, str]:
    rd_staff, employees = values.get("rd_staff"), values.get("employees")
    if rd_staff is not None and employees is not None and rd_staff > employees:
        return {"rd_staff": msg.RD_STAFF}
    return {}


class EnterpriseResource(LedgerResource):
    columns = (
        Column("统一社会信用代码", "uscc", USCC()),
        Column("企业名称", "name", Text()),
        Column("法定代表人", "legal_representative", Text()),
        Column("所属街道", "street", Reference(Street, "name")),
        Column("行业领域", "industry", Choice(INDUSTRY_LABELS)),
        Column("成立日期", "founded_on", Date()),
        Column("注册资本(万元)", "registered_capital", WanAmount()),
        Column("从业人数", "employees", Integer()),
        Column("研发人员数", "rd_staff", Integer()),
        Column("上市情况", "listing", Choice(LISTING_LABELS)),
        Column("联系人", "contact_person", Text()),
        Column("联系电话", "contact_phone", Text()),
        Column("地址", "address", Text()),
        # DESIGN §5: optional; a list without them leaves the registry's bank details alone.
        Column("开户银行", "bank_name", Text(), optional=True),
        Column("银行账号", "bank_account", BankAccount(), optional=True),
    )
    natural_key = ("uscc",)

    class Meta:
        model = Enterprise
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        errors = _rd_staff_check(values) | _bank_check(values)
        founded_on = values.get("founded_on")
        if founded_on and founded_on > self.today:
            errors["founded_on"] = msg.FUTURE_DATE
        return errors


class TechFirmRegistrationResource(LedgerResource):
    columns = (
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("企业名称", None, Text(max_length=200), export_path="enterprise__name"),
        Column("入库编号", "number", Text()),
        Column("入库日期", "registered_on", Date()),
        Column("出库日期", "removed_on", Date()),
    )
    natural_key = ("number",)

    class Meta:
        model = TechFirmRegistration
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        registered_on, removed_on = values["registered_on"], values["removed_on"]
        if removed_on and removed_on < registered_on:
            return {"removed_on": msg.REMOVED_BEFORE}
        return {}


class HighTechCertificateResource(LedgerResource):
    columns = (
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("企业名称", None, Text(max_length=200), export_path="enterprise__name"),
        Column("证书编号", "number", Text()),
        Column("发证日期", "issued_on", Date()),
        Column("认定类型", "kind", Choice(CERTIFICATE_KIND_LABELS)),
    )
    natural_key = ("number",)

    class Meta:
        model = HighTechCertificate
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        values["number"] = values["number"].upper()
        if not _CERTIFICATE_NUMBER.match(values["number"]):
            return {"number": msg.CERTIFICATE_NUMBER}
        return {}

    def derive(self, values: dict[str, Any]) -> None:
        values["expires_on"] = HighTechCertificate.expiry_for(values["issued_on"])


YEAR_NOT_ENDED = "年度尚未结束，只能导入 {last} 年及以前年度的数据"


class AnnualFiguresResource(LedgerResource):
    columns = (
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("年度", "year", Integer()),
        Column("营业收入(万元)", "revenue", WanAmount()),
        Column("研发投入(万元)", "rd_expenditure", WanAmount()),
        Column("从业人数", "employees", Integer()),
        Column("研发人员数", "rd_staff", Integer()),
        Column("发明专利数", "invention_patents", Integer()),
        Column("实用新型专利数", "utility_models", Integer()),
        Column("软件著作权数", "software_copyrights", Integer()),
        Column("高端人才数", "high_end_talent", Integer()),
        Column("新产品数", "new_products", Integer()),
    )
    natural_key = ("enterprise", "year")

    class Meta:
        model = AnnualFigures
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        errors = _rd_staff_check(values)
        # A year under way has no figures yet (AnnualFigures.clean keeps the same rule).
        year = values.get("year")
        if year is not None and year >= self.today.year:
            errors["year"] = YEAR_NOT_ENDED.format(last=self.today.year - 1)
        return errors


# ------------------------------------------------------------------------- service desk

HANDLING_LABELS = {
    "现场答复": ServiceRequest.Handling.ON_SITE,
    "转办部门": ServiceRequest.Handling.FORWARDED,
    "区内协调": ServiceRequest.Handling.COORDINATED,
}
REQUEST_STATUS_LABELS = {
    "办理中": ServiceRequest.Status.OPEN,
    "已解决": ServiceRequest.Status.RESOLVED,
    # Not in the bureau's paper ledger, which knows only the first two; the portal's own
    # export writes it for requests closed without resolution, so they import back as such.
    "已关闭": ServiceRequest.Status.CLOSED,
}
RESOLVED_ON_REQUIRED = "状态为「已解决」时必须填写解决日期"
RESOLVED_ON_UNEXPECTED = "尚未解决的诉求不应填写解决日期"
RESOLVED_BEFORE = "解决日期不能早于登记日期"


class RequestStatus(Choice):
    """办理中 covers both open and forwarded (the ledger tells them apart by 办理方式)."""

    def render(self, value: Any) -> str:
        if value == ServiceRequest.Status.FORWARDED:
            value = ServiceRequest.Status.OPEN
        return super().render(value)


class ServiceVisitResource(LedgerResource):
    columns = (
        Column("走访日期", "visited_on", Date()),
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("企业名称", None, Text(max_length=200), export_path="enterprise__name"),
        Column("走访人", "visitors", Text(), required=True),
    )
    natural_key = ("enterprise", "visited_on")

    class Meta:
        model = ServiceVisit
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        if values["visited_on"] > self.today:
            return {"visited_on": msg.FUTURE_DATE}
        return {}


class ServiceRequestResource(LedgerResource):
    """Requests matched on enterprise, registration date and description.

    A ledger row has no due date (the usual time limit applies), no department and no
    resolution note: those belong to requests handled in the portal, and an import leaves
    them as they are.
    """

    columns = (
        Column("登记日期", "registered_on", Date()),
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("企业名称", None, Text(max_length=200), export_path="enterprise__name"),
        # The bureau's own word list: a category not known yet is added, and named as new.
        Column("问题类别", "category", WordList(RequestCategory)),
        Column("问题描述", "description", Text()),
        Column("办理方式", "handling", Choice(HANDLING_LABELS)),
        Column("状态", "status", RequestStatus(REQUEST_STATUS_LABELS), required=True),
        Column("解决日期", "resolved_on", Date()),
    )
    natural_key = ("enterprise", "registered_on", "description")

    class Meta:
        model = ServiceRequest
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        # The portal keeps descriptions on one line; so does the natural key.
        values["description"] = " ".join(values["description"].split())
        registered_on, resolved_on = values["registered_on"], values["resolved_on"]
        errors: dict[str, str] = {}
        if registered_on > self.today:
            errors["registered_on"] = msg.FUTURE_DATE
        if values["status"] == ServiceRequest.Status.RESOLVED:
            if resolved_on is None:
                errors["resolved_on"] = RESOLVED_ON_REQUIRED
        elif resolved_on is not None:
            errors["resolved_on"] = RESOLVED_ON_UNEXPECTED
        if resolved_on is not None and "resolved_on" not in errors:
            if resolved_on < registered_on:
                errors["resolved_on"] = RESOLVED_BEFORE
            elif resolved_on > self.today:
                errors["resolved_on"] = msg.FUTURE_DATE
        if (
            values["status"] == ServiceRequest.Status.OPEN
            and values["handling"] == ServiceRequest.Handling.FORWARDED
        ):
            values["status"] = ServiceRequest.Status.FORWARDED
        return errors
