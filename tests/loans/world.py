"""The people of one loan and the services that make each step, for the table walks and the
notification tests."""

import datetime as dt
from decimal import Decimal

from common.workflow import require_step
from loans import services
from loans.models import CompensationClaim, LoanStatus
from loans.workflows import CLAIM, LOAN
from tests.loans.factories import (
    BankFactory,
    BankOfficerFactory,
    CompensationClaimFactory,
    eligible_enterprise,
    loan_in,
)
from tests.portal.factories import EnterpriseUserFactory
from tests.workflow_roles import every_role

S = LoanStatus
C = CompensationClaim.Status


class World:
    """Every role of the portal (tests.workflow_roles.every_role) around one loan: the bank
    officer works at the loan's bank; a colleague at the firm hears of what the firm's user
    does; two more people are refused everything: an officer of another bank and a
    switched-off account of the firm. Each loan `make` builds has a firm of its own (one open
    application per firm), so the firm's accounts move to it."""

    def __init__(self) -> None:
        # The loans' bank; its breaker never trips, however many of its loans fall overdue.
        self.bank = BankFactory(npl_threshold_pct=100)
        firm = eligible_enterprise()
        self.roles = every_role(enterprise=firm)
        self.roles["other_bank_officer"] = self.roles["bank_officer"]
        self.roles["bank_officer"] = BankOfficerFactory(bank=self.bank)
        self.roles["firm_colleague"] = EnterpriseUserFactory(enterprise=firm)
        self.roles["inactive_user"] = EnterpriseUserFactory(enterprise=firm, is_active=False)

    def firm_for_next_loan(self):
        """A fresh eligible firm (one open application per firm) with this world's accounts."""
        firm = eligible_enterprise()
        for role in ("firm", "firm_colleague", "inactive_user"):
            user = self.roles[role]
            user.enterprise = firm
            user.save(update_fields=["enterprise"])
        return firm

    def loan(self, state: str):
        return loan_in(
            state, bank=self.bank, preferred_bank=self.bank, enterprise=self.firm_for_next_loan()
        )

    def claim(self, state: str):
        loan_state = S.COMPENSATED if state == C.PAID else S.COMPENSATION_CLAIMED
        return CompensationClaimFactory(loan=self.loan(loan_state), status=state)


def _unreachable(workflow, obj, target, user):
    """No service makes a step to a state no step of the table leads to: the table refuses."""
    assert not workflow.sources(target), f"{workflow.name}: a service should make {target}"
    require_step(workflow, obj, target, user)


def loan_step(loan, target: str, user):
    """Call the service that makes the step to `target`, with valid input."""
    if target == S.SUBMITTED:
        return services.loan_application_submit(application=loan, acting_user=user)
    if target == S.WITHDRAWN:
        return services.loan_application_withdraw(application=loan, acting_user=user)
    if target == S.RETURNED:
        return services.loan_application_return(application=loan, acting_user=user, note="补材料")
    if target == S.REJECTED:
        return services.loan_application_reject(application=loan, acting_user=user, note="不符合")
    if target == S.FORWARDED:
        return services.loan_application_forward(
            application=loan, acting_user=user, bank=loan.preferred_bank or BankFactory()
        )
    if target == S.APPROVED:
        return services.loan_approve(
            application=loan,
            acting_user=user,
            amount=Decimal("800000"),
            annual_rate_pct=Decimal("3.45"),
            term_months=12,
        )
    if target == S.DECLINED:
        return services.loan_decline(application=loan, acting_user=user, note="风险较高")
    if target == S.DISBURSED:
        return services.loan_disburse(
            application=loan, acting_user=user, disbursed_on=dt.date.today()
        )
    if target == S.REPAID:
        return services.loan_repayment_record(
            application=loan,
            acting_user=user,
            paid_on=dt.date.today(),
            principal=loan.outstanding_principal or Decimal("1000"),
        )
    if target == S.OVERDUE:
        return services.loan_mark_overdue(application=loan, acting_user=user)
    if target == S.DEFAULTED:
        return services.loan_mark_defaulted(
            application=loan, acting_user=user, principal_loss=Decimal("500000")
        )
    if target == S.COMPENSATION_CLAIMED:
        return services.compensation_claim_file(application=loan, acting_user=user)
    if target == S.COMPENSATED:
        # The fund pays an approved claim (set up here as staff would have left it).
        claim = CompensationClaimFactory(loan=loan, status=C.APPROVED)
        return services.compensation_claim_pay(claim=claim, acting_user=user)
    return _unreachable(LOAN, loan, target, user)


def claim_step(claim, target: str, user):
    if target == C.APPROVED:
        return services.compensation_claim_approve(claim=claim, acting_user=user)
    if target == C.PAID:
        return services.compensation_claim_pay(claim=claim, acting_user=user)
    return _unreachable(CLAIM, claim, target, user)
