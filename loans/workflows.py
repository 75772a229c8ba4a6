"""The two loan processes as data (DESIGN §3a): a loan application and a compensation claim.

Each table says who may make each step; `next` says who acts in each state (their work queue,
and the email that tells them it waits), `tell` who is only informed. The services in
loans.services look every step up here (common.workflow.require_step) and make it with
common.workflow.move, which records it and writes the notifications in the same transaction.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.lib.money import format_wan_grouped
from common.workflow import SYSTEM, Permission, Relation, Workflow, register
from loans.models import CompensationClaim, LoanApplication
from loans.models import LoanStatus as S

# -- who acts on a loan

ENTERPRISE = Relation(
    key="enterprise", label=_("the applying enterprise"), kind="enterprise", path="enterprise_id"
)
BANK = Relation(
    key="bank", label=_("an officer of the bank the loan is with"), kind="bank", path="bank_id"
)
STAFF = Permission("loans.review_loanapplication", _("bureau staff reviewing loans"))
FINANCE = Permission("loans.pay_compensationclaim", _("bureau finance staff"))


def _loan_title(loan: LoanApplication) -> str:
    amount = loan.approved_amount or loan.requested_amount
    return f"{loan.enterprise.name}（{format_wan_grouped(amount)} 万元）"


LOAN = register(
    Workflow(
        name="loan_application",
        label=_("loan application"),
        model="loans.LoanApplication",
        states=S,
        steps={
            (S.DRAFT, S.SUBMITTED): (ENTERPRISE,),
            (S.RETURNED, S.SUBMITTED): (ENTERPRISE,),
            (S.DRAFT, S.WITHDRAWN): (ENTERPRISE,),
            (S.SUBMITTED, S.WITHDRAWN): (ENTERPRISE,),
            (S.RETURNED, S.WITHDRAWN): (ENTERPRISE,),
            (S.FORWARDED, S.WITHDRAWN): (ENTERPRISE,),
            (S.SUBMITTED, S.RETURNED): (STAFF,),
            (S.SUBMITTED, S.REJECTED): (STAFF,),
            (S.SUBMITTED, S.FORWARDED): (STAFF,),
            (S.FORWARDED, S.APPROVED): (BANK,),
            (S.FORWARDED, S.DECLINED): (BANK,),
            (S.APPROVED, S.DISBURSED): (BANK,),
            (S.DISBURSED, S.REPAID): (BANK,),
            # The bank reports it, or the daily job finds an instalment unpaid (its schedule).
            (S.DISBURSED, S.OVERDUE): (BANK, SYSTEM),
            (S.OVERDUE, S.REPAID): (BANK,),
            (S.OVERDUE, S.DEFAULTED): (BANK,),
            (S.DEFAULTED, S.COMPENSATION_CLAIMED): (BANK,),
            (S.COMPENSATION_CLAIMED, S.COMPENSATED): (FINANCE,),
        },
        next={
            S.DRAFT: (ENTERPRISE,),
            S.SUBMITTED: (STAFF,),
            S.RETURNED: (ENTERPRISE,),
            S.FORWARDED: (BANK,),
            S.APPROVED: (BANK,),
            S.DISBURSED: (BANK,),
            S.OVERDUE: (BANK,),
            S.DEFAULTED: (BANK,),
            S.COMPENSATION_CLAIMED: (FINANCE,),
        },
        # The firm hears of every step of its loan. The bank hears of a withdrawal of a loan
        # on its desk; of the payment of its compensation claim it hears through the claim.
        tell={
            S.SUBMITTED: (ENTERPRISE,),
            S.REJECTED: (ENTERPRISE,),
            S.WITHDRAWN: (ENTERPRISE, BANK),
            S.FORWARDED: (ENTERPRISE,),
            S.APPROVED: (ENTERPRISE,),
            S.DECLINED: (ENTERPRISE,),
            S.DISBURSED: (ENTERPRISE,),
            S.REPAID: (ENTERPRISE,),
            S.OVERDUE: (ENTERPRISE,),
            S.DEFAULTED: (ENTERPRISE,),
            S.COMPENSATION_CLAIMED: (ENTERPRISE,),
            S.COMPENSATED: (ENTERPRISE,),
        },
        record="loans.LoanStatusChange",
        record_fk="application",
        links={
            ENTERPRISE.key: lambda loan: reverse("loans:application_detail", args=[loan.pk]),
            BANK.key: lambda loan: reverse("loans:bank_loan_detail", args=[loan.pk]),
        },
        title=_loan_title,
        related=("enterprise",),  # what the title reads (the queue joins only this)
    )
)

# -- who acts on a compensation claim

CLAIM_BANK = Relation(
    key="bank", label=_("an officer of the bank that filed the claim"), kind="bank",
    path="loan__bank_id",
)  # fmt: skip
DECIDER = Permission(
    "loans.decide_compensationclaim", _("bureau staff deciding on compensation claims")
)
C = CompensationClaim.Status


def _claim_title(claim: CompensationClaim) -> str:
    return f"{claim.loan.enterprise.name}（{format_wan_grouped(claim.amount)} 万元）"


CLAIM = register(
    Workflow(
        name="compensation_claim",
        label=_("compensation claim"),
        model="loans.CompensationClaim",
        states=C,
        steps={
            (C.FILED, C.APPROVED): (DECIDER,),
            (C.APPROVED, C.PAID): (FINANCE,),
        },
        next={C.FILED: (DECIDER,), C.APPROVED: (FINANCE,)},
        tell={C.PAID: (CLAIM_BANK,)},
        record="loans.CompensationClaimStatusChange",
        record_fk="claim",
        links={
            CLAIM_BANK.key: lambda claim: reverse("loans:bank_loan_detail", args=[claim.loan_id])
        },
        title=_claim_title,
        related=("loan__enterprise",),  # what the title reads (the queue joins only this)
    )
)
