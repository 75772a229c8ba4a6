"""Each step of a loan reaches a real SMTP server, in Chinese, through a real Celery worker:
the outbox rows the step wrote are sent after commit, each to the person it tells."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import transaction

from common.models import Notification
from loans import services
from tests.conftest import body_of
from tests.loans.conftest import ensure_seed
from tests.loans.factories import BankOfficerFactory, eligible_enterprise
from tests.portal.factories import EnterpriseUserFactory, StaffFactory


def wait_for(inbox, predicate, timeout=20.0, count=1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in inbox.messages if predicate(m)]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError([str(m["Subject"]) for m in inbox.messages])


def subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.django_db(transaction=True)
def test_every_step_emails_the_people_it_tells_in_chinese(celery_worker, smtp_server):
    ensure_seed()
    enterprise = eligible_enterprise()
    firm = EnterpriseUserFactory(enterprise=enterprise, email="cfo@yunfan.example.cn")
    colleague = EnterpriseUserFactory(enterprise=enterprise, email="boss@yunfan.example.cn")
    officer = BankOfficerFactory(email="credit@bank.example.cn")
    staff = StaffFactory(email="handler@kjj.example.cn")
    name = enterprise.name

    def step(call, status, *, to):
        with transaction.atomic():
            call()
        found = wait_for(
            smtp_server,
            lambda m: (
                name in subject(m) and subject(m).endswith(status) and m["X-Envelope-To"] in to
            ),
            count=len(to),
        )
        return {m["X-Envelope-To"]: m for m in found}

    loan = services.loan_application_create(
        enterprise=enterprise,
        acting_user=firm,
        requested_amount=Decimal("1200000"),
        term_months=24,
        purpose="研发投入",
    )
    sent = step(
        lambda: services.loan_application_submit(application=loan, acting_user=firm),
        "已提交",
        to=[colleague.email, staff.email],  # not the person who submitted it
    )
    assert "120 万元" in body_of(sent[colleague.email])
    assert "待您办理" in subject(sent[staff.email])  # the bureau now hears of it, to act
    assert f"/admin/loans/loanapplication/{loan.pk}/change/" in body_of(sent[staff.email])
    sent = step(
        lambda: services.loan_application_forward(
            application=loan, acting_user=staff, bank=officer.bank, note="材料齐全"
        ),
        "已推荐至银行",
        to=[firm.email, colleague.email, officer.email],
    )
    assert "材料齐全" in body_of(sent[officer.email])
    assert f"/loans/bank/{loan.pk}/" in body_of(sent[officer.email])
    step(
        lambda: services.loan_approve(
            application=loan,
            acting_user=officer,
            amount=Decimal("1000000"),
            annual_rate_pct=Decimal("3.45"),
            term_months=24,
        ),
        "银行已审批通过",
        to=[firm.email],
    )
    sent = step(
        lambda: services.loan_disburse(
            application=loan, acting_user=officer, disbursed_on=dt.date.today()
        ),
        "已放款",
        to=[firm.email],
    )
    body = body_of(sent[firm.email])
    assert "已放款" in body and f"/loans/{loan.pk}/" in body
    # Every row of the outbox ended sent, none failed or left waiting.
    deadline = time.monotonic() + 20
    while Notification.objects.exclude(status=Notification.Status.SENT).exists():
        assert time.monotonic() < deadline, list(Notification.objects.values("status", "email"))
        time.sleep(0.1)


CHINESE_STATUS = {
    "submitted": "已提交",
    "returned": "已退回补充材料",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "forwarded": "已推荐至银行",
    "approved": "银行已审批通过",
    "declined": "银行未予批准",
    "disbursed": "已放款",
    "repaid": "已结清",
    "overdue": "逾期",
    "defaulted": "已违约",
    "compensation_claimed": "已申请代偿",
    "compensated": "已代偿",
}


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "label"), list(CHINESE_STATUS.items()))
def test_every_step_notice_names_the_state_in_chinese(fund, status, label):
    from loans.workflows import LOAN
    from tests.loans.world import World, loan_step

    world = World()
    loan = world.loan(LOAN.sources(status)[0])
    maker = next(user for user in world.roles.values() if LOAN.may(user, loan, status))
    loan_step(loan, status, maker)
    rows = Notification.objects.filter(kind=LOAN.name, recipient=world.roles["firm_colleague"])
    [row] = rows
    assert row.subject.endswith(f"：{label}")
    assert loan.enterprise.name in row.subject
    assert label in row.body and "http" in row.body
