"""Each status change reaches a real SMTP server, in Chinese, through a real Celery worker."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import transaction

from loans import services
from tests.conftest import body_of
from tests.loans.conftest import ensure_seed
from tests.loans.factories import BankOfficerFactory, eligible_enterprise
from tests.portal.factories import EnterpriseUserFactory, StaffFactory


def wait_for(inbox, predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in inbox.messages if predicate(m)]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError([str(m["Subject"]) for m in inbox.messages])


def subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.django_db(transaction=True)
def test_every_step_emails_the_firm_and_the_bank_in_chinese(celery_worker, smtp_server):
    ensure_seed()
    enterprise = eligible_enterprise()
    firm = EnterpriseUserFactory(enterprise=enterprise, email="cfo@yunfan.example.cn")
    officer = BankOfficerFactory(email="credit@bank.example.cn")
    staff = StaffFactory()
    name = enterprise.name

    def step(call, status, *, to):
        with transaction.atomic():
            call()
        found = wait_for(smtp_server, lambda m: name in subject(m) and subject(m).endswith(status))
        recipients = {r for m in found for r in m["X-Envelope-To"].split(", ")}
        assert set(to) <= recipients, (status, recipients)
        return found[0]

    loan = services.loan_application_create(
        enterprise=enterprise,
        acting_user=firm,
        requested_amount=Decimal("1200000"),
        term_months=24,
        purpose="研发投入",
    )
    message = step(
        lambda: services.loan_application_submit(application=loan, acting_user=firm),
        "已提交",
        to=[firm.email],
    )
    assert "120 万元" in body_of(message)
    message = step(
        lambda: services.loan_application_forward(
            application=loan, acting_user=staff, bank=officer.bank, note="材料齐全"
        ),
        "已推荐至银行",
        to=[firm.email, officer.email],
    )
    assert "材料齐全" in body_of(message) and officer.bank.name in body_of(message)
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
    message = step(
        lambda: services.loan_disburse(
            application=loan, acting_user=officer, disbursed_on=dt.date.today()
        ),
        "已放款",
        to=[firm.email],
    )
    assert "状态为：已放款" in body_of(message)
    assert f"/loans/{loan.pk}/" in body_of(message)


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
def test_every_status_email_is_chinese(mailoutbox, status, label):
    from loans.models import LoanStatusChange
    from tests.loans.factories import loan_in

    loan = loan_in(status)
    EnterpriseUserFactory(enterprise=loan.enterprise, email="boss@firm.example.cn")
    change = LoanStatusChange.objects.create(
        application=loan, from_status="submitted", to_status=status, note="说明文字"
    )
    assert services.loan_status_email_send(change_id=change.pk) >= 1
    [message] = mailoutbox
    assert message.subject == f"{loan.enterprise.name}的贷款申请：{label}"
    assert f"当前状态为：{label}。" in message.body and "说明文字" in message.body
    assert services.loan_status_email_send(change_id=change.pk + 1000) == 0  # gone: no email
