"""Third-party R&D audits: staff assign a firm, the firm's auditor records the expenditure
by category (the basis' cap applied) and hands the audit in, which makes the claim audited."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.money import format_yuan
from common.workflow import require_step
from subsidies.models import (
    AuditFirm,
    RDAudit,
    SubsidyClaim,
)
from subsidies.services.base import (
    Status,
    _compute,
    _lock,
    _require_auditor,
    _step,
    _user,
)
from subsidies.workflows.claims import CLAIM

if TYPE_CHECKING:
    from common.types import User

# -------------------------------------------------------------------------------- audits


@transaction.atomic
def rd_audit_assign(*, claim: SubsidyClaim, firm: AuditFirm, acting_user: User) -> RDAudit:
    """Staff assign an R&D claim under review to an audit firm (one audit per claim); the
    firm's auditors are told. The audit computes both bases; it is marked with the one the
    claim's policy version pays on."""
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.AUDIT_ASSIGNED, acting_user)
    if not locked.is_rd:
        raise ValidationError(_("Only R&D investment claims are audited."))
    if not firm.active:
        raise ValidationError({"firm": _("This audit firm no longer takes audits.")})
    if RDAudit.objects.filter(claim=locked).exists():
        raise ValidationError(_("This claim already has its audit."))
    basis = locked.policy.rd_basis if locked.policy is not None else RDAudit.Basis.TAX
    audit = RDAudit(claim=locked, firm=firm, basis=basis, assigned_by=_user(acting_user))
    save_with_audit(audit, acting_user=acting_user, reason="assigned")
    _step(
        locked,
        Status.AUDIT_ASSIGNED,
        acting_user=acting_user,
        note=_("Audit assigned to %(firm)s.") % {"firm": firm.name},
    )
    return audit


def _lock_audit(audit: RDAudit, acting_user: User) -> RDAudit:
    locked = (
        RDAudit.objects.select_for_update(of=("self",))
        .select_related("claim", "firm")
        .get(pk=audit.pk)
    )
    _require_auditor(acting_user, locked)
    if locked.is_completed or locked.claim.status != Status.AUDIT_ASSIGNED:
        raise ValidationError(_("This audit is completed and can no longer change."))
    return locked


@transaction.atomic
def rd_audit_record(
    *,
    audit: RDAudit,
    acting_user: User,
    personnel: Decimal,
    direct_inputs: Decimal,
    depreciation: Decimal,
    amortisation: Decimal,
    design_fees: Decimal,
    other: Decimal,
    findings: str = "",
    report: UploadedFile | None = None,
) -> RDAudit:
    """An auditor of the assigned firm records the audited expenditure by category; both
    bases' caps on "other related costs" are applied, side by side. Repeatable until
    completed."""
    locked = _lock_audit(audit, acting_user)
    amounts = {
        "personnel": personnel,
        "direct_inputs": direct_inputs,
        "depreciation": depreciation,
        "amortisation": amortisation,
        "design_fees": design_fees,
        "other": other,
    }
    errors = {
        name: _("An amount cannot be negative.")
        for name, value in amounts.items()
        if value is None or value < 0
    }
    if errors:
        raise ValidationError(errors)
    for name, value in amounts.items():
        setattr(locked, name, value)
    if locked.claim.policy is not None:
        locked.basis = locked.claim.policy.rd_basis
    locked.findings = findings.strip()
    if report is not None:
        locked.report = report
    locked.recorded_at = timezone.now()
    locked.apply_cap()
    save_with_audit(locked, acting_user=acting_user, reason="recorded")
    return locked


@transaction.atomic
def rd_audit_complete(*, audit: RDAudit, acting_user: User) -> RDAudit:
    """The auditor hands the audit in: figures and report are final, the claim is audited
    and its eligible amount is the policy rate × the audited expenditure, capped; the
    claim's handler is told it waits for their signature."""
    locked = _lock_audit(audit, acting_user)
    if locked.recorded_at is None or locked.eligible_total <= 0:
        raise ValidationError(_("Record the audited expenditure first."))
    if not locked.report:
        raise ValidationError({"report": _("Upload the audit report first.")})
    locked.completed_at = timezone.now()
    save_with_audit(locked, acting_user=acting_user, reason="completed")
    claim = _lock(locked.claim)
    claim.audit = locked
    require_step(CLAIM, claim, Status.AUDITED, acting_user)
    _compute(claim)
    _step(
        claim,
        Status.AUDITED,
        acting_user=acting_user,
        note=_("Audited eligible R&D expenditure: %(amount)s yuan.")
        % {"amount": format_yuan(locked.eligible_total)},
    )
    return locked
