"""Every write of subsidies: claims and their workflow, sign-offs, public notice and
objections, R&D audits, payment batches and the high-tech recognition pipeline.

Each transition is one service: it locks the row (`select_for_update`), checks the actor's
right and the transition table (`SubsidyClaim.TRANSITIONS`), saves through
`save_with_audit`, writes a status-change record and, once committed, emails the claimant
(a Celery task). Refusals are ValidationError (bad input, keyed by argument names where a
form has the field) or PermissionDenied (wrong actor); nothing is saved in either case.
"""

from subsidies.services.audits import rd_audit_assign, rd_audit_complete, rd_audit_record
from subsidies.services.base import acts_for_claimant, claim_change_notify
from subsidies.services.claims import (
    NEEDS_DOCUMENTS,
    objection_answer,
    objection_record,
    subsidy_claim_approve,
    subsidy_claim_attach,
    subsidy_claim_draft,
    subsidy_claim_publish_notice,
    subsidy_claim_reject,
    subsidy_claim_return,
    subsidy_claim_sign,
    subsidy_claim_submit,
    subsidy_claim_take_up,
)
from subsidies.services.finance import (
    EXPORT_HEADERS,
    payment_batch_add,
    payment_batch_create,
    payment_batch_export,
    payment_batch_mark_paid,
    payment_batch_remove,
    payment_batch_xlsx,
)
from subsidies.services.recognition import (
    high_tech_application_pass_preliminary,
    high_tech_application_recognise,
    high_tech_application_recommend,
    high_tech_application_reject,
)

__all__ = [
    "EXPORT_HEADERS",
    "NEEDS_DOCUMENTS",
    "acts_for_claimant",
    "claim_change_notify",
    "high_tech_application_pass_preliminary",
    "high_tech_application_recognise",
    "high_tech_application_recommend",
    "high_tech_application_reject",
    "objection_answer",
    "objection_record",
    "payment_batch_add",
    "payment_batch_create",
    "payment_batch_export",
    "payment_batch_mark_paid",
    "payment_batch_remove",
    "payment_batch_xlsx",
    "rd_audit_assign",
    "rd_audit_complete",
    "rd_audit_record",
    "subsidy_claim_approve",
    "subsidy_claim_attach",
    "subsidy_claim_draft",
    "subsidy_claim_publish_notice",
    "subsidy_claim_reject",
    "subsidy_claim_return",
    "subsidy_claim_sign",
    "subsidy_claim_submit",
    "subsidy_claim_take_up",
]
