"""Demo data of the loans app: two partner banks with officers, the fund's contributions,
credit evaluations of the registered firms, and applications in every state of the workflow.

The failing loans sit at the second bank, whose circuit breaker is therefore on; the
`bank` login's bank stays open for the demo's applications.

Idempotent and reproducible (fixed random seed): banks and officers are matched on their
names, evaluations are made only for firms that have none, fund contributions and loans only
when none exist. Loans are written with their whole status timeline (who, when, from, to),
as the services would have left them; dates are placed relative to today.
"""

from __future__ import annotations

import datetime as dt
import random
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
    LoanStatusChange,
    Repayment,
)
from loans.workflow import TRANSITIONS, Actor
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


def seed(*, admin: User, today: dt.date | None = None, password_hash: str) -> dict[str, int]:
    """Create whatever part of the loans demo is missing; returns counts of what was made."""
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
    plan = [status for status, n in PLAN.items() for _ in range(n)]
    for enterprise, status in zip(candidates, plan, strict=False):
        # The failing loans are all at the second bank: its circuit breaker is on (staff see
        # why in the admin), while the `bank` login's bank takes applications.
        failing = status in (S.OVERDUE, S.DEFAULTED, S.COMPENSATION_CLAIMED, S.COMPENSATED)
        _make_loan(
            enterprise=enterprise,
            status=status,
            bank=banks[1] if failing else rng.choice(banks),
            officers=officers,
            admin=admin,
            rng=rng,
            today=today,
            fund=fund,
        )
        counts["loans"] += 1
    for bank in banks:
        loan_services.bank_circuit_breaker_refresh(bank=bank, acting_user=admin)
    return counts


def _no_quota() -> Any:
    class Nothing:
        quota = Decimal(0)

    return Nothing()


def _make_loan(
    *,
    enterprise: Enterprise,
    status: str,
    bank: Bank,
    officers: dict[int, User],
    admin: User,
    rng: random.Random,
    today: dt.date,
    fund: CompensationFund | None,
) -> LoanApplication:
    evaluation = loan_services.latest_evaluation(enterprise.pk)
    assert evaluation is not None
    path = PATHS[status]
    lent = S.DISBURSED in path
    quota = evaluation.quota
    amount = min(quota, Decimal(rng.choice((50, 100, 150, 200, 300, 500)) * 10000))
    term = rng.choice((12, 12, 24, 36))
    # Older loans for the ones that got further; the ones still under review are recent.
    submitted_on = today - dt.timedelta(days=rng.randint(400, 1400) if lent else rng.randint(1, 40))
    loan = LoanApplication(
        enterprise=enterprise,
        preferred_bank=bank,
        evaluation=evaluation,
        quota=quota,
        requested_amount=amount,
        term_months=term,
        purpose=rng.choice(PURPOSES),
        status=status,
        submitted_on=None if status == S.DRAFT else submitted_on,
        bank=bank if S.FORWARDED in path else None,
    )
    if S.APPROVED in path:
        loan.approved_amount = amount
        loan.approved_term_months = term
        loan.annual_rate_pct = Decimal(rng.choice(("3.45", "3.60", "3.85")))
    if lent:
        loan.disbursed_on = submitted_on + dt.timedelta(days=rng.randint(10, 25))
    if status == S.REPAID:
        loan.repaid_principal = amount
    if S.DEFAULTED in path:
        loan.principal_loss = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
    save_with_audit(loan, acting_user=admin, reason="demo data")
    officer = officers[bank.pk]
    moment = timezone.make_aware(dt.datetime.combine(submitted_on, dt.time(9, 30)))
    previous = ""
    for step, target in enumerate(path):
        actor = TRANSITIONS.get((previous, target)) if previous else Actor.ENTERPRISE
        who = officer if actor == Actor.BANK else (admin if actor != Actor.ENTERPRISE else None)
        change = LoanStatusChange(
            application=loan,
            from_status=previous,
            to_status=target,
            actor=who,
            note=NOTES.get(target, "") if target == status or target == S.FORWARDED else "",
        )
        save_with_audit(change, acting_user=admin)
        # auto_now_add: place the timeline in the past after saving.
        at = moment + dt.timedelta(days=step * 5)
        LoanStatusChange.objects.filter(pk=change.pk).update(at=at)
        previous = target
    if status == S.REPAID and loan.disbursed_on:
        repayment = Repayment(
            loan=loan,
            paid_on=min(today, loan.disbursed_on + dt.timedelta(days=30 * term)),
            principal=amount,
            interest=(amount * (loan.annual_rate_pct or 0) / 100 * term / 12).quantize(
                Decimal("0.01")
            ),
            recorded_by=officer,
        )
        save_with_audit(repayment, acting_user=officer)
    if status in (S.COMPENSATION_CLAIMED, S.COMPENSATED) and fund is not None:
        eligible, due = loan_services.compensation_for(
            principal_loss=loan.principal_loss or Decimal(0), quota=loan.quota
        )
        claim = CompensationClaim(
            loan=loan,
            fund=fund,
            principal_loss=loan.principal_loss,
            eligible_loss=eligible,
            amount=due,
            filed_by=officer,
            status=CompensationClaim.Status.FILED,
        )
        save_with_audit(claim, acting_user=officer)
        if status == S.COMPENSATED:
            fund = CompensationFund.objects.get(pk=fund.pk)
            fund.balance -= due
            save_with_audit(fund, acting_user=admin, reason="compensation paid")
            claim.status = CompensationClaim.Status.PAID
            claim.decided_by = admin
            claim.decided_at = timezone.now()
            claim.paid_on = today
            save_with_audit(claim, acting_user=admin)
            payment = CompensationPayment(
                claim=claim, fund=fund, amount=due, paid_on=today, recorded_by=admin
            )
            save_with_audit(payment, acting_user=admin, reason="compensation paid")
    return loan
