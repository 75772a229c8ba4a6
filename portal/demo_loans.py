"""Demo data of the loans app: two partner banks with officers, the fund's contributions,
credit evaluations of the registered firms, and applications in every state of the workflow.

The failing loans sit at the second bank, whose circuit breaker is therefore on; the
`bank` login's bank stays open for the demo's applications.

Every loan is made by the services, step by step, by the people the workflow names (the
firm's account, the `staff` and `finance` logins, the bank's officer), so its records,
amounts, the fund's balance and the notifications are what the services write. The steps
are taken in waves (every loan's first step, then every loan's second...), so that every
application reaches its bank before the second bank's breaker trips. The services date
everything today; the loans are then placed in the past (`_place_in_time`): the same
loans, their steps spread over the months they would have taken.

Idempotent and reproducible (fixed random seed): banks and officers are matched on their
names, evaluations are made only for firms that have none, fund contributions and loans only
when none exist.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from common.audit import save_with_audit
from enterprises.models import Enterprise
from loans import services as loan_services
from loans.models import (
    Bank,
    CompensationClaim,
    CompensationFund,
    CompensationPayment,
    CreditEvaluation,
    FundContribution,
    LoanApplication,
    LoanStatus,
    Repayment,
)
from portal.accounts.models import User
from portal.accounts.roles import Role

SEED = 500105
S = LoanStatus
BANKS = (
    ("重庆农村商业银行江北支行", "何静", "023-67851234", "bank"),
    ("中国建设银行重庆江北支行", "邓超", "023-67769876", "bank_ccb"),
)
# The path from draft to each status, following the workflow table.
PATHS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.DRAFT,),
    S.SUBMITTED: (S.DRAFT, S.SUBMITTED),
    S.RETURNED: (S.DRAFT, S.SUBMITTED, S.RETURNED),
    S.REJECTED: (S.DRAFT, S.SUBMITTED, S.REJECTED),
    S.WITHDRAWN: (S.DRAFT, S.SUBMITTED, S.WITHDRAWN),
    S.FORWARDED: (S.DRAFT, S.SUBMITTED, S.FORWARDED),
    S.DECLINED: (S.DRAFT, S.SUBMITTED, S.FORWARDED, S.DECLINED),
    S.APPROVED: (S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED),
    S.DISBURSED: (S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED, S.DISBURSED),
    S.REPAID: (S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED, S.DISBURSED, S.REPAID),
    S.OVERDUE: (S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED, S.DISBURSED, S.OVERDUE),
    S.DEFAULTED: (
        S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED, S.DISBURSED, S.OVERDUE, S.DEFAULTED,
    ),
    S.COMPENSATION_CLAIMED: (
        S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED, S.DISBURSED, S.OVERDUE, S.DEFAULTED,
        S.COMPENSATION_CLAIMED,
    ),
    S.COMPENSATED: (
        S.DRAFT, S.SUBMITTED, S.FORWARDED, S.APPROVED, S.DISBURSED, S.OVERDUE, S.DEFAULTED,
        S.COMPENSATION_CLAIMED, S.COMPENSATED,
    ),
}  # fmt: skip
# How many loans of each status: most are lent and repaid, a few fail.
PLAN = {
    S.DRAFT: 1, S.SUBMITTED: 3, S.RETURNED: 1, S.REJECTED: 1, S.WITHDRAWN: 1, S.FORWARDED: 2,
    S.DECLINED: 2, S.APPROVED: 1, S.DISBURSED: 8, S.REPAID: 10, S.OVERDUE: 1, S.DEFAULTED: 1,
    S.COMPENSATION_CLAIMED: 1, S.COMPENSATED: 1,
}  # fmt: skip
NOTES = {
    S.RETURNED: "请补充 2025 年度审计报告",
    S.REJECTED: "企业存在未结清的不良贷款记录",
    S.WITHDRAWN: "已获得其他融资",
    S.FORWARDED: "材料齐全，推荐放款",
    S.DECLINED: "企业经营现金流不足，暂不批准",
    S.OVERDUE: "本金逾期 30 天",
    S.DEFAULTED: "经催收无果，确认违约",
}
PURPOSES = ("研发设备采购", "补充流动资金", "新产品中试", "研发人员薪酬", "专利产业化")
# Days between a step and the one before it, when the loan is placed in the past.
GAPS = {
    S.SUBMITTED: (0, 0),
    S.RETURNED: (2, 6),
    S.REJECTED: (3, 8),
    S.WITHDRAWN: (1, 10),
    S.FORWARDED: (2, 6),
    S.DECLINED: (5, 15),
    S.APPROVED: (5, 15),
    S.DISBURSED: (3, 12),
    S.OVERDUE: (90, 240),
    S.DEFAULTED: (60, 120),
    S.COMPENSATION_CLAIMED: (7, 20),
    S.COMPENSATED: (15, 40),
}


def _officer(bank: Bank, username: str, password_hash: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=f"{username}@kjj.example.cn", password=password_hash)
    if user.organisation_kind != User.OrganisationKind.BANK or user.bank_id != bank.pk:
        user.organisation_kind = User.OrganisationKind.BANK
        user.bank = bank
        user.enterprise = None
        user.link_status = User.LinkStatus.APPROVED
        user.first_name = user.first_name or bank.contact_person[1:]
        user.last_name = user.last_name or bank.contact_person[:1]
        user._change_reason = "demo data"  # type: ignore[attr-defined]
        user.save()
    user.groups.add(Group.objects.get(name=Role.BANK_OFFICER.value))
    return user


@dataclass
class Cast:
    """The people who make the demo loans' steps, as the workflow names them."""

    admin: User
    staff: User
    finance: User
    officers: dict[int, User]
    applicants: dict[int, User]

    def applicant(self, enterprise: Enterprise) -> User:
        """An approved account of the firm: its own, or one without a login made for it."""
        if enterprise.pk not in self.applicants:
            user = (
                enterprise.users.filter(link_status=User.LinkStatus.APPROVED, is_active=True)  # type: ignore[attr-defined]
                .order_by("pk")
                .first()
            )
            self.applicants[enterprise.pk] = user or _contact_for(enterprise, self.admin)
        return self.applicants[enterprise.pk]


def _contact_for(enterprise: Enterprise, admin: User) -> User:
    """An account without a login (and without a role) that stands for a firm in the demo;
    its address is the firm's, so the firm's notices have somewhere to go."""
    username = f"demo-firm-{enterprise.pk}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email=enterprise.contact_email,
            organisation_kind=User.OrganisationKind.ENTERPRISE,
            enterprise=enterprise,
            link_status=User.LinkStatus.APPROVED,
            link_decided_by=admin,
        )
        user.set_unusable_password()
        user._history_user = admin  # type: ignore[attr-defined]
        user._change_reason = "demo data"  # type: ignore[attr-defined]
        user.save()
    return user


def _bureau_login(username: str, admin: User) -> User:
    return User.objects.filter(username=username, is_active=True).first() or admin


def seed(*, admin: User, today: dt.date | None = None, password_hash: str) -> dict[str, int]:
    """Create whatever part of the loans demo is missing; returns counts of what was made.

    Side effects: banks and their officers, fund contributions, credit evaluations, and the
    loans through the services (with accounts without a login for the applying firms that
    have none, and the notifications the steps write), placed in the past.
    """
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    counts = {"banks": 0, "evaluations": 0, "loans": 0}
    banks: list[Bank] = []
    officers: dict[int, User] = {}
    for name, person, phone, username in BANKS:
        bank = Bank.objects.filter(name=name).first()
        if bank is None:
            bank = Bank(name=name, contact_person=person, contact_phone=phone)
            save_with_audit(bank, acting_user=admin, reason="demo data")
            counts["banks"] += 1
        banks.append(bank)
        officers[bank.pk] = _officer(bank, username, password_hash)

    fund = CompensationFund.objects.order_by("pk").first()
    if fund is not None and not FundContribution.objects.exists():
        for year in range(2019, today.year + 1):
            loan_services.fund_contribution_record(
                fund=fund,
                acting_user=admin,
                total=Decimal("5000000"),
                contributed_on=dt.date(year, 3, 1),
                note=f"{year} 年度市、区两级注资",
            )

    firms = list(
        Enterprise.objects.registered_on(today)
        .filter(annual_figures__isnull=False)
        .distinct()
        .order_by("uscc")
    )
    evaluated = set(CreditEvaluation.objects.values_list("enterprise_id", flat=True))
    for enterprise in firms:
        if enterprise.pk not in evaluated:
            loan_services.credit_evaluation_create(enterprise=enterprise, acting_user=admin)
            counts["evaluations"] += 1

    if LoanApplication.objects.exists():
        return counts
    candidates = [
        e for e in firms if (loan_services.latest_evaluation(e.pk) or _no_quota()).quota > 0
    ]
    # The demo enterprise login's firm stays free to apply in the demo.
    demo_firm_ids = set(
        User.objects.filter(username="enterprise").values_list("enterprise_id", flat=True)
    )
    candidates = [e for e in candidates if e.pk not in demo_firm_ids]
    rng.shuffle(candidates)
    cast = Cast(
        admin=admin,
        staff=_bureau_login("staff", admin),
        finance=_bureau_login("finance", admin),
        officers=officers,
        applicants={},
    )
    plan = [status for status, n in PLAN.items() for _ in range(n)]
    loans: list[tuple[LoanApplication, tuple[str, ...]]] = []
    for enterprise, status in zip(candidates, plan, strict=False):
        # The failing loans are all at the second bank: its circuit breaker is on (staff see
        # why in the admin), while the `bank` login's bank takes applications.
        failing = status in (S.OVERDUE, S.DEFAULTED, S.COMPENSATION_CLAIMED, S.COMPENSATED)
        bank = banks[1] if failing else rng.choice(banks)
        loans.append((_draft(enterprise, bank, cast, rng), PATHS[status]))
        counts["loans"] += 1
    # In waves: every application is forwarded before any loan falls overdue.
    for index in range(1, max(len(path) for _loan, path in loans)):
        for loan, path in loans:
            if index < len(path):
                _take_step(loan, path[index], cast, rng)
    for loan, path in loans:
        _place_in_time(loan, path, rng, today)
    for bank in banks:
        loan_services.bank_circuit_breaker_refresh(bank=bank, acting_user=admin)
    return counts


def _no_quota() -> Any:
    class Nothing:
        quota = Decimal(0)

    return Nothing()


def _draft(enterprise: Enterprise, bank: Bank, cast: Cast, rng: random.Random) -> LoanApplication:
    evaluation = loan_services.latest_evaluation(enterprise.pk)
    assert evaluation is not None
    amount = min(evaluation.quota, Decimal(rng.choice((50, 100, 150, 200, 300, 500)) * 10000))
    return loan_services.loan_application_create(
        enterprise=enterprise,
        acting_user=cast.applicant(enterprise),
        requested_amount=amount,
        term_months=rng.choice((12, 12, 24, 36)),
        purpose=rng.choice(PURPOSES),
        preferred_bank=bank,
    )


def _take_step(loan: LoanApplication, target: str, cast: Cast, rng: random.Random) -> None:
    """Make the step to `target` through its service, as the person the table names."""
    loan.refresh_from_db()
    firm = cast.applicant(loan.enterprise)
    officer = cast.officers[(loan.bank_id or loan.preferred_bank_id) or 0]
    note = NOTES.get(target, "")
    steps: dict[str, Callable[[], Any]] = {
        S.SUBMITTED: lambda: loan_services.loan_application_submit(
            application=loan, acting_user=firm
        ),
        S.RETURNED: lambda: loan_services.loan_application_return(
            application=loan, acting_user=cast.staff, note=note
        ),
        S.REJECTED: lambda: loan_services.loan_application_reject(
            application=loan, acting_user=cast.staff, note=note
        ),
        S.WITHDRAWN: lambda: loan_services.loan_application_withdraw(
            application=loan, acting_user=firm, note=note
        ),
        S.FORWARDED: lambda: loan_services.loan_application_forward(
            application=loan, acting_user=cast.staff, bank=loan.preferred_bank, note=note
        ),
        S.APPROVED: lambda: loan_services.loan_approve(
            application=loan,
            acting_user=officer,
            amount=loan.requested_amount,
            annual_rate_pct=Decimal(rng.choice(("3.45", "3.60", "3.85"))),
            term_months=loan.term_months,
        ),
        S.DECLINED: lambda: loan_services.loan_decline(
            application=loan, acting_user=officer, note=note
        ),
        S.DISBURSED: lambda: loan_services.loan_disburse(
            application=loan, acting_user=officer, disbursed_on=loan_services.today()
        ),
        S.REPAID: lambda: loan_services.loan_repayment_record(
            application=loan,
            acting_user=officer,
            paid_on=loan_services.today(),
            principal=loan.outstanding_principal,
            interest=(
                loan.lent_amount
                * (loan.annual_rate_pct or 0)
                / 100
                * (loan.approved_term_months or loan.term_months)
                / 12
            ).quantize(Decimal("0.01")),
        ),
        S.OVERDUE: lambda: loan_services.loan_mark_overdue(
            application=loan, acting_user=officer, note=note
        ),
        S.DEFAULTED: lambda: loan_services.loan_mark_defaulted(
            application=loan,
            acting_user=officer,
            principal_loss=(loan.outstanding_principal * Decimal("0.6")).quantize(Decimal("0.01")),
            note=note,
        ),
        S.COMPENSATION_CLAIMED: lambda: loan_services.compensation_claim_file(
            application=loan, acting_user=officer
        ),
        S.COMPENSATED: lambda: _compensate(loan, cast),
    }
    steps[target]()


def _compensate(loan: LoanApplication, cast: Cast) -> None:
    claim = CompensationClaim.objects.get(loan=loan)
    claim = loan_services.compensation_claim_approve(claim=claim, acting_user=cast.staff)
    loan_services.compensation_claim_pay(claim=claim, acting_user=cast.finance)


def _place_in_time(
    loan: LoanApplication, path: tuple[str, ...], rng: random.Random, today: dt.date
) -> None:
    """Move the dates the services set today into the past: the loans that got further are
    older; each step follows the one before it by a plausible gap (GAPS)."""
    lent = S.DISBURSED in path
    start = today - dt.timedelta(days=rng.randint(400, 1400) if lent else rng.randint(1, 40))
    day_of: dict[str, dt.date] = {S.DRAFT: start - dt.timedelta(days=rng.randint(0, 3))}
    day = start
    for target in path[1:]:
        if target == S.REPAID:
            term = loan.approved_term_months or loan.term_months
            day = min(today, day_of[S.DISBURSED] + dt.timedelta(days=30 * term))
        else:
            low, high = GAPS[target]
            day = min(today, day + dt.timedelta(days=rng.randint(low, high)))
        day_of[target] = day
    moments = {
        status: timezone.make_aware(dt.datetime.combine(on, dt.time(9, 30)))
        for status, on in day_of.items()
    }
    LoanApplication.objects.filter(pk=loan.pk).update(
        submitted_on=day_of.get(S.SUBMITTED), disbursed_on=day_of.get(S.DISBURSED)
    )
    for change in loan.status_changes.all():
        type(change).objects.filter(pk=change.pk).update(created_at=moments[change.to_status])
    if S.REPAID in day_of:
        Repayment.objects.filter(loan=loan).update(paid_on=day_of[S.REPAID])
    claim = CompensationClaim.objects.filter(loan=loan).first()
    if claim is not None:
        filed = moments[S.COMPENSATION_CLAIMED]
        paid = day_of.get(S.COMPENSATED)
        decided = filed + (moments[S.COMPENSATED] - filed) / 2 if paid else None
        CompensationClaim.objects.filter(pk=claim.pk).update(
            filed_at=filed, decided_at=decided, paid_on=paid
        )
        CompensationPayment.objects.filter(claim=claim).update(paid_on=paid)
        when = {
            CompensationClaim.Status.FILED: filed,
            CompensationClaim.Status.APPROVED: decided,
            CompensationClaim.Status.PAID: moments.get(S.COMPENSATED),
        }
        for change in claim.status_changes.all():
            type(change).objects.filter(pk=change.pk).update(created_at=when[change.to_status])
