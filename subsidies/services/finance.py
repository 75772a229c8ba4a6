"""Payment batches of approved claims: finance open a batch, add or take out claims while
it is open, export it for the treasury (then it is frozen) and mark it paid.

The batch moves along `subsidies.workflows.claims.BATCH` (open → exported → paid); marking it
paid moves each of its claims to "paid" along the claim's workflow, so each claimant is told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from common import exports
from common.audit import save_with_audit
from common.lib.money import CENT, format_yuan
from common.workflow import lock, move, require_step
from enterprises.models import Enterprise
from subsidies.models import (
    ClaimPayment,
    PaymentBatch,
    PaymentBatchStatusChange,
    SubsidyClaim,
)
from subsidies.resources import PROGRAMME_LABELS
from subsidies.services.base import (
    Status,
    _lock,
    _require_finance,
    _step,
    _user,
)
from subsidies.workflows.claims import BATCH, CLAIM

# -------------------------------------------------------------------------------- finance


@transaction.atomic
def payment_batch_create(*, number: str, acting_user: Any) -> PaymentBatch:
    """Finance open a payment batch."""
    _require_finance(acting_user)
    number = number.strip()
    if not number:
        raise ValidationError({"number": _("Give the batch a number.")})
    if PaymentBatch.objects.filter(number=number).exists():
        raise ValidationError({"number": _("A batch with this number exists.")})
    batch = PaymentBatch(number=number, created_by=_user(acting_user))
    save_with_audit(batch, acting_user=acting_user, reason="created")
    # The first record; nobody is told (the one who opened it acts on it next).
    change = PaymentBatchStatusChange(
        batch=batch, to_status=PaymentBatch.Status.OPEN, acting_user=batch.created_by
    )
    save_with_audit(change, acting_user=acting_user)
    return batch


def _lock_batch(batch: PaymentBatch) -> PaymentBatch:
    return lock(BATCH, batch)


def _require_open(batch: PaymentBatch) -> None:
    if not batch.is_open:
        raise ValidationError(
            _("Batch %(number)s is %(status)s; nothing in it can change.")
            % {"number": batch.number, "status": batch.get_status_display()}
        )


@transaction.atomic
def payment_batch_add(
    *, batch: PaymentBatch, claims: Iterable[SubsidyClaim], acting_user: Any
) -> int:
    """Put approved claims in an open batch. Returns how many were added."""
    _require_finance(acting_user)
    locked_batch = _lock_batch(batch)
    _require_open(locked_batch)
    added = 0
    for claim in claims:
        locked = _lock(claim)
        require_step(CLAIM, locked, Status.IN_BATCH, acting_user)
        _require_unpaid(locked)
        locked.payment_batch = locked_batch
        _step(locked, Status.IN_BATCH, acting_user=acting_user, note=locked_batch.number)
        added += 1
    return added


@transaction.atomic
def payment_batch_remove(*, batch: PaymentBatch, claim: SubsidyClaim, acting_user: Any) -> None:
    """Take a claim out of a batch not yet exported; it is approved again."""
    _require_finance(acting_user)
    locked_batch = _lock_batch(batch)
    _require_open(locked_batch)
    locked = _lock(claim)
    if locked.payment_batch_id != locked_batch.pk:
        raise ValidationError(_("This claim is not in this batch."))
    require_step(CLAIM, locked, Status.APPROVED, acting_user)
    locked.payment_batch = None
    _step(locked, Status.APPROVED, acting_user=acting_user, note=locked_batch.number)


TREASURY_HEADERS = (
    "序号",
    "收款单位",
    "统一社会信用代码",
    "开户银行",
    "银行账号",
    "金额(元)",
    "补贴项目",
    "申请编号",
)
TREASURY_TOTAL = "合计"
# Yuan with thousands separators and two decimals, as the treasury reads amounts.
YUAN_FORMAT = "#,##0.00"
_AMOUNT_COLUMN = TREASURY_HEADERS.index("金额(元)") + 1
# 补贴项目 as the bureau's official lists name the programmes, whatever the admin's language.
PROGRAMME_NAMES: dict[str, str] = {str(code): label for label, code in PROGRAMME_LABELS.items()}


def payee_of(claim: SubsidyClaim) -> Enterprise:
    """Who the treasury pays for a claim: the enterprise, or for a carrier's award the
    carrier's operating company, whose registry entry holds the account."""
    payee = claim.incubator.operator if claim.incubator is not None else claim.enterprise
    assert payee is not None  # a claim has one claimant (a database constraint)
    return payee


def _batch_claims(batch: PaymentBatch) -> QuerySet[SubsidyClaim]:
    return batch.claims.select_related("enterprise", "incubator__operator").order_by("pk")


def payees_without_account(batch: PaymentBatch) -> list[Enterprise]:
    """The payees of a batch's claims whose registry entry lacks a bank or an account, in
    claim order, each once (no writes)."""
    missing: dict[int, Enterprise] = {}
    for claim in _batch_claims(batch):
        payee = payee_of(claim)
        if not payee.has_bank_account:
            missing.setdefault(payee.pk, payee)
    return list(missing.values())


def _require_accounts(batch: PaymentBatch) -> None:
    missing = payees_without_account(batch)
    if missing:
        raise ValidationError(
            _(
                "The treasury cannot pay a payee without a bank account: enter the bank and "
                "account number of %(payees)s in the registry, then export the batch."
            )
            % {"payees": "、".join(f"{p.name}（{p.uscc}）" for p in missing)}
        )


def payment_batch_file_name(batch: PaymentBatch) -> str:
    """付款清单-<batch number>-<YYYYMMDD>.xlsx, dated on the local day of the export (today
    for a batch not exported yet); characters a file name cannot hold become "_"."""
    day = timezone.localtime(batch.exported_at).date() if batch.exported_at else None
    day = day or timezone.localdate()
    number = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in batch.number)
    return f"付款清单-{number}-{day:%Y%m%d}.xlsx"


def payment_batch_xlsx(batch: PaymentBatch) -> bytes:
    """The treasury's file of a batch (DESIGN §5; no writes): one row per claim, then 合计.

    Amounts are numeric cells in yuan with two decimals; text goes through the export
    helper, so a payee called `=HYPERLINK(...)` reaches the treasury as text.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = exports.sheet_title(f"付款清单 {batch.number}")
    exports.append_row(sheet, TREASURY_HEADERS)
    total = Decimal("0.00")
    index = 0
    for index, claim in enumerate(_batch_claims(batch), start=1):
        payee = payee_of(claim)
        amount = (claim.approved_amount or Decimal(0)).quantize(CENT)
        total += amount
        exports.append_row(
            sheet,
            (
                index,
                payee.name,
                payee.uscc,
                payee.bank_name,
                payee.bank_account,
                amount,
                PROGRAMME_NAMES.get(claim.programme, claim.get_programme_display()),
                str(claim.pk),
            ),
        )
    exports.append_row(sheet, (TREASURY_TOTAL, None, None, None, None, total, None, None))
    for (amount_cell,) in sheet.iter_rows(
        min_row=2, max_row=index + 2, min_col=_AMOUNT_COLUMN, max_col=_AMOUNT_COLUMN
    ):
        amount_cell.number_format = YUAN_FORMAT
    for letter, width in zip("ABCDEFGH", (6, 36, 22, 28, 26, 16, 24, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    return exports.workbook_bytes(workbook)


@transaction.atomic
def payment_batch_export(*, batch: PaymentBatch, acting_user: Any) -> bytes:
    """Export an open batch for the treasury and return its sheet; from then on nothing in it
    can change (an exported batch's sheet is read again with `payment_batch_xlsx`)."""
    locked = _lock_batch(batch)
    require_step(BATCH, locked, PaymentBatch.Status.EXPORTED, acting_user)
    claims = locked.claims.all()
    if not claims.exists():
        raise ValidationError(_("The batch is empty."))
    _require_accounts(locked)
    # The treasury must not receive a claim paid before (its status set back since).
    paid = ClaimPayment.objects.filter(claim__payment_batch=locked).select_related("claim", "batch")
    if earlier := paid.first():
        raise _already_paid(earlier.claim, earlier)
    locked.exported_at = timezone.now()
    move(
        BATCH,
        locked,
        PaymentBatch.Status.EXPORTED,
        acting_user=acting_user,
        note=_("%(count)d claims, %(total)s yuan.")
        % {"count": claims.count(), "total": format_yuan(_total(locked))},
    )
    return payment_batch_xlsx(locked)


def _total(batch: PaymentBatch) -> Decimal:
    return sum((c.approved_amount or Decimal(0) for c in batch.claims.all()), Decimal("0.00"))


@transaction.atomic
def payment_batch_mark_paid(
    *, batch: PaymentBatch, paid_on: dt.date, acting_user: Any
) -> PaymentBatch:
    """The treasury paid an exported batch on `paid_on`: its claims are paid, each one's
    claimant told.

    Writes one payment row per claim (with the claim's step to "paid"); a claim that already
    has one, whatever path set its status back, refuses the whole batch, and the database's
    unique claim refuses it even if this check were gone.
    """
    locked = _lock_batch(batch)
    require_step(BATCH, locked, PaymentBatch.Status.PAID, acting_user)
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if locked.exported_at and paid_on < timezone.localtime(locked.exported_at).date():
        raise ValidationError({"paid_on": _("The payment date cannot be before the export.")})
    locked.paid_on = paid_on
    move(
        BATCH,
        locked,
        PaymentBatch.Status.PAID,
        acting_user=acting_user,
        note=_("Paid on %(day)s.") % {"day": paid_on.isoformat()},
    )
    for claim in locked.claims.order_by("pk"):
        claim = _lock(claim)
        require_step(CLAIM, claim, Status.PAID, acting_user)
        _payment_record(claim=claim, batch=locked, paid_on=paid_on, acting_user=acting_user)
        claim.paid_on = paid_on
        _step(claim, Status.PAID, acting_user=acting_user, note=locked.number)
    return locked


def _already_paid(claim: SubsidyClaim, payment: ClaimPayment) -> ValidationError:
    return ValidationError(
        _("%(claim)s was already paid on %(day)s in batch %(number)s; a claim is paid once.")
        % {"claim": claim, "day": payment.paid_on.isoformat(), "number": payment.batch.number}
    )


def _require_unpaid(claim: SubsidyClaim) -> None:
    payment = ClaimPayment.objects.select_related("batch").filter(claim=claim).first()
    if payment is not None:
        raise _already_paid(claim, payment)


def _payment_record(
    *, claim: SubsidyClaim, batch: PaymentBatch, paid_on: dt.date, acting_user: Any
) -> ClaimPayment:
    """The claim's one payment row; a second is refused by the database's unique claim,
    which this turns into a message."""
    payment = ClaimPayment(
        claim=claim,
        batch=batch,
        amount=claim.approved_amount or Decimal(0),
        paid_on=paid_on,
        recorded_by=_user(acting_user),
    )
    payment.full_clean(validate_unique=False)
    payment._history_user = _user(acting_user)  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise _already_paid(
            claim, ClaimPayment.objects.select_related("batch").get(claim=claim)
        ) from None
    return payment
