"""Every write of subsidies: claims and their workflow, sign-offs, public notice and
objections, R&D audits, payment batches and the high-tech recognition pipeline.

Each step is one service on the workflow mechanism of `common.workflow`: it locks the row
alone, asks the table of `subsidies.workflows.claims` whether the step exists and the user
is one of its actors, adds the process's own rules, saves through `save_with_audit`, writes
the status-change record and the notifications of the next actors (an outbox, sent after
commit). Refusals are ValidationError (bad input or a step the table lacks, keyed by argument
names where a form has the field) or PermissionDenied (wrong actor); nothing is saved in
either case.
"""

from subsidies.services.audits import rd_audit_assign, rd_audit_complete, rd_audit_record
from subsidies.services.base import acts_for_claimant
from subsidies.services.calls import (
    application_window_add,
    claim_window_check,
    policy_call_notify,
    policy_versions_copy_to_next_year,
)
from subsidies.services.claims import (
    NEEDS_DOCUMENTS,
    objection_record,
    subsidy_claim_approve,
    subsidy_claim_attach,
    subsidy_claim_check_new,
    subsidy_claim_draft,
    subsidy_claim_end_notice,
    subsidy_claim_notices_end,
    subsidy_claim_publish_notice,
    subsidy_claim_refusals,
    subsidy_claim_reject,
    subsidy_claim_return,
    subsidy_claim_sign,
    subsidy_claim_submit,
    subsidy_claim_take_up,
)
from subsidies.services.finance import (
    TREASURY_HEADERS,
    payee_of,
    payees_without_account,
    payment_batch_add,
    payment_batch_create,
    payment_batch_export,
    payment_batch_file_name,
    payment_batch_mark_paid,
    payment_batch_remove,
    payment_batch_xlsx,
)
from subsidies.services.notices import (
    notice_publish,
    notice_tell_ended,
    objection_answer,
    objection_file,
)
from subsidies.services.recognition import (
    high_tech_application_pass_preliminary,
    high_tech_application_recognise,
    high_tech_application_recommend,
    high_tech_application_reject,
)

__all__ = [
    "TREASURY_HEADERS",
    "NEEDS_DOCUMENTS",
    "acts_for_claimant",
    "application_window_add",
    "claim_window_check",
    "policy_call_notify",
    "policy_versions_copy_to_next_year",
    "high_tech_application_pass_preliminary",
    "high_tech_application_recognise",
    "high_tech_application_recommend",
    "high_tech_application_reject",
    "notice_publish",
    "notice_tell_ended",
    "objection_answer",
    "objection_file",
    "objection_record",
    "payment_batch_add",
    "payment_batch_create",
    "payment_batch_export",
    "payment_batch_mark_paid",
    "payment_batch_remove",
    "payment_batch_file_name",
    "payment_batch_xlsx",
    "payee_of",
    "payees_without_account",
    "rd_audit_assign",
    "rd_audit_complete",
    "rd_audit_record",
    "subsidy_claim_approve",
    "subsidy_claim_attach",
    "subsidy_claim_check_new",
    "subsidy_claim_refusals",
    "subsidy_claim_draft",
    "subsidy_claim_end_notice",
    "subsidy_claim_notices_end",
    "subsidy_claim_publish_notice",
    "subsidy_claim_reject",
    "subsidy_claim_return",
    "subsidy_claim_sign",
    "subsidy_claim_submit",
    "subsidy_claim_take_up",
]
