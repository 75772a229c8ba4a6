"""Official lists of the loans app (DESIGN §5): partner banks and the loan ledger.

The ledger brings in the loans that predate the portal. Its rows are history: they are
checked for form (codes, dates, amounts, choices, the bank and firm they name, dates in
order) but not re-judged by today's rules (registration, quota, circuit breaker). A row is
matched on enterprise + bank + application date, so importing a file twice changes nothing.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from common.importing import messages as msg
from common.importing.columns import (
    CellError,
    Choice,
    Column,
    Date,
    Integer,
    Parser,
    Reference,
    Text,
    WanAmount,
)
from common.importing.resources import ImportOutcome, LedgerResource
from common.lib import money
from enterprises.resources import EnterpriseReference
from loans.lib.scoring import MAX_QUOTA
from loans.models import CLOSED_STATUSES, Bank, LoanApplication, LoanStatus

S = LoanStatus
LEDGER_STATUS_LABELS = {
    "申请中": S.FORWARDED,
    "已放款": S.DISBURSED,
    "已结清": S.REPAID,
    "逾期": S.OVERDUE,
    "已代偿": S.COMPENSATED,
    "未获批": S.DECLINED,
}
# How portal statuses read in the ledger's six words when exported.
EXPORT_LABELS = {
    S.SUBMITTED: "申请中",
    S.RETURNED: "申请中",
    S.FORWARDED: "申请中",
    S.APPROVED: "申请中",
    S.DISBURSED: "已放款",
    S.REPAID: "已结清",
    S.OVERDUE: "逾期",
    S.DEFAULTED: "逾期",
    S.COMPENSATION_CLAIMED: "逾期",
    S.COMPENSATED: "已代偿",
    S.DECLINED: "未获批",
    S.REJECTED: "未获批",
    S.WITHDRAWN: "未获批",
}
LENT = (S.DISBURSED, S.REPAID, S.OVERDUE, S.COMPENSATED)
MAX_RATE = Decimal(24)

AMOUNT_RANGE = "贷款金额应大于 0 且不超过 500 万元"
DISBURSED_MISSING = "状态为已放款、已结清、逾期或已代偿时必须填写放款日期"
DISBURSED_UNEXPECTED = "状态为申请中或未获批时不应有放款日期"
DISBURSED_BEFORE = "放款日期不能早于申请日期"
RATE = "年利率应为大于 0 且不超过 24 的数字"
SECOND_OPEN = "同一企业只能有一笔申请中、已放款或逾期的贷款（另见第 {other} 行）"


class LedgerStatus(Choice):
    def render(self, value: Any) -> str:
        return EXPORT_LABELS.get(value, "")


class Percent(Parser):
    """A percentage such as 4.35 (up to two decimals), text or number."""

    def parse(self, raw: Any) -> Decimal:
        text = repr(raw) if isinstance(raw, float) else str(raw).strip().rstrip("%")
        try:
            value = Decimal(text) if isinstance(raw, float) else money.decimal_from_text(text)
        except (InvalidOperation, money.AmountError):
            raise CellError(RATE) from None
        if not value.is_finite() or not 0 < value <= MAX_RATE:
            raise CellError(RATE)
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise CellError(RATE)
        return value.quantize(Decimal("0.01"))

    def render(self, value: Any) -> str:
        return "" if value is None else f"{value:f}"


class BankResource(LedgerResource):
    columns = (
        Column("银行名称", "name", Text()),
        Column("联系人", "contact_person", Text()),
        Column("联系电话", "contact_phone", Text()),
    )
    natural_key = ("name",)

    class Meta:
        model = Bank
        fields: tuple[str, ...] = ()


class LoanLedgerResource(LedgerResource):
    columns = (
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("企业名称", None, Text(max_length=200), export_path="enterprise__name"),
        Column("合作银行", "bank", Reference(Bank, "name"), required=True),
        Column("申请日期", "submitted_on", Date(), required=True),
        Column("放款日期", "disbursed_on", Date()),
        Column("贷款金额(万元)", "requested_amount", WanAmount(), export_path="ledger_amount"),
        Column("期限(月)", "term_months", Integer(), export_path="ledger_term"),
        Column("年利率(%)", "annual_rate_pct", Percent()),
        Column("状态", "status", LedgerStatus(LEDGER_STATUS_LABELS)),
    )
    natural_key = ("enterprise", "bank", "submitted_on")
    change_reason = "imported from the loan ledger"

    class Meta:
        model = LoanApplication
        fields: tuple[str, ...] = ()

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        amount = values["requested_amount"]
        if not 0 < amount <= MAX_QUOTA:
            errors["requested_amount"] = AMOUNT_RANGE
        submitted_on, disbursed_on = values["submitted_on"], values["disbursed_on"]
        if submitted_on > self.today:
            errors["submitted_on"] = msg.FUTURE_DATE
        if values["status"] in LENT:
            if disbursed_on is None:
                errors["disbursed_on"] = DISBURSED_MISSING
        elif disbursed_on is not None:
            errors["disbursed_on"] = DISBURSED_UNEXPECTED
        if disbursed_on is not None and "disbursed_on" not in errors:
            if disbursed_on < submitted_on:
                errors["disbursed_on"] = DISBURSED_BEFORE
            elif disbursed_on > self.today:
                errors["disbursed_on"] = msg.FUTURE_DATE
        return errors

    def derive(self, values: dict[str, Any]) -> None:
        lent = values["status"] in LENT
        values["source"] = LoanApplication.Source.LEDGER
        values["approved_amount"] = values["requested_amount"] if lent else None
        values["approved_term_months"] = values["term_months"] if lent else None
        repaid = values["status"] == S.REPAID
        values["repaid_principal"] = values["requested_amount"] if repaid else Decimal(0)

    def _check_keys(self, parsed: list, columns: tuple, outcome: ImportOutcome) -> None:
        super()._check_keys(parsed, columns, outcome)
        # The database holds one open application per firm; say so row by row instead.
        first_open: dict[Any, int] = {}
        for number, values in parsed:
            if values["status"] in CLOSED_STATUSES:
                continue
            other = first_open.setdefault(values["enterprise"], number)
            if other != number:
                outcome.add_error(number, "状态", SECOND_OPEN.format(other=other))

    def get_queryset(self) -> QuerySet:
        return self._ledger_rows(LoanApplication.objects.all())

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        """The loan book: applications that reached a bank, in the ledger's columns."""
        if queryset is not None:
            queryset = self._ledger_rows(queryset)
        return super().export(queryset, **kwargs)

    @staticmethod
    def _ledger_rows(queryset: QuerySet) -> QuerySet:
        # 贷款金额 and 期限 are what the bank approved, or what was asked while undecided.
        return (
            queryset.filter(bank__isnull=False, submitted_on__isnull=False)
            .exclude(status=S.DRAFT)
            .annotate(
                ledger_amount=Coalesce("approved_amount", "requested_amount"),
                ledger_term=Coalesce("approved_term_months", "term_months"),
            )
            .order_by("pk")
        )
