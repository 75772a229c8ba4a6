"""Every write of the loans app, by topic; import them from here (`from loans import services`).

Each service is atomic and keyword-only, takes the acting user, checks that user's right,
validates, and records who did it in the audit trail (django-simple-history). Workflow
services lock the row, check the step against its table (loans.workflows) and make it with
common.workflow.move: the status-change record and the notifications of the next actors are
written in the same transaction (the outbox) and sent after commit, so that no email leaves
for a change that was rolled back.
"""

from loans.services.applications import (
    MAX_RATE_PCT,
    latest_evaluation,
    loan_application_create,
    loan_application_forward,
    loan_application_refusals,
    loan_application_reject,
    loan_application_return,
    loan_application_submit,
    loan_application_update,
    loan_application_withdraw,
    loan_approve,
    loan_decline,
    loan_disburse,
    loan_fall_overdue,
    loan_first_unpaid_instalment,
    loan_mark_defaulted,
    loan_mark_overdue,
    loan_repayment_record,
    loans_fall_overdue,
)
from loans.services.banks import bank_circuit_breaker_refresh, bank_npl_ratio, bank_save
from loans.services.base import (
    CENT,
    is_enterprise_user_of,
    is_officer_of,
    today,
)
from loans.services.compensation import (
    compensation_claim_approve,
    compensation_claim_documents_add,
    compensation_claim_file,
    compensation_claim_pay,
    compensation_for,
    fund_contribution_record,
    the_fund,
)
from loans.services.evaluation import (
    active_credit_model,
    credit_evaluation_create,
    credit_evaluation_run,
    credit_inputs,
    credit_score,
)

__all__ = [
    "CENT",
    "MAX_RATE_PCT",
    "active_credit_model",
    "bank_circuit_breaker_refresh",
    "bank_npl_ratio",
    "bank_save",
    "compensation_claim_approve",
    "compensation_claim_documents_add",
    "compensation_claim_file",
    "compensation_claim_pay",
    "compensation_for",
    "credit_evaluation_create",
    "credit_evaluation_run",
    "credit_inputs",
    "credit_score",
    "fund_contribution_record",
    "is_enterprise_user_of",
    "is_officer_of",
    "latest_evaluation",
    "loan_application_create",
    "loan_application_refusals",
    "loan_application_forward",
    "loan_application_reject",
    "loan_application_return",
    "loan_application_submit",
    "loan_application_update",
    "loan_application_withdraw",
    "loan_approve",
    "loan_decline",
    "loan_disburse",
    "loan_fall_overdue",
    "loan_first_unpaid_instalment",
    "loan_mark_defaulted",
    "loan_mark_overdue",
    "loan_repayment_record",
    "loans_fall_overdue",
    "the_fund",
    "today",
]
