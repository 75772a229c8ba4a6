"""The enterprise's loan pages and the bank desk: scoping (404 for others' records), forms
with bad input, attachments, and query counts that do not grow with rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loans import services
from loans.models import LoanApplication, LoanStatus
from tests.common.test_uploads import PDF, PNG, xlsx_bytes
from tests.loans.factories import (
    BankFactory,
    BankOfficerFactory,
    eligible_enterprise,
    loan_in,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

S = LoanStatus
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


@pytest.fixture
def firm_user(client):
    user = EnterpriseUserFactory(enterprise=eligible_enterprise())
    client.force_login(user)
    return user


def form_data(**overrides):
    return {"requested_amount": "100", "term_months": "12", "purpose": "购置研发设备"} | overrides


# ------------------------------------------------------------------------- enterprise


def test_home_explains_the_quota_indicator_by_indicator(client):
    from tests.enterprises.factories import AnnualFiguresFactory, TechFirmRegistrationFactory

    user = EnterpriseUserFactory()
    TechFirmRegistrationFactory(enterprise=user.enterprise)
    AnnualFiguresFactory(enterprise=user.enterprise, invention_patents=3)
    client.force_login(user)
    response = client.post(reverse("loans:evaluate"))
    assert response.status_code == 302
    page = client.get(reverse("loans:home")).content.decode()
    assert "发明专利" in page and "研发投入占营业收入比例" in page and "高端人才" in page
    evaluation = user.enterprise.credit_evaluations.get()
    assert f'<strong id="quota">{evaluation.quota / 10000:.0f}</strong>' in page
    assert "AAA" in page and "85.00" in page  # the grade table: how the score becomes a quota


def test_apply_with_attachments_submits(client, firm_user):
    files = [
        SimpleUploadedFile("财务报表.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("明细.xlsx", xlsx_bytes()),
    ]
    response = client.post(reverse("loans:apply"), form_data(attachments=files))
    loan = LoanApplication.objects.get()
    assert response.status_code == 302, response.content.decode()[:3000]
    assert loan.status == S.SUBMITTED
    assert loan.requested_amount == Decimal("1000000.00")
    assert sorted(a.original_name for a in loan.attachments.all()) == ["明细.xlsx", "财务报表.pdf"]
    attachment = loan.attachments.get(original_name="财务报表.pdf")
    url = reverse("loans:attachment_download", args=[loan.pk, attachment.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    client.force_login(EnterpriseUserFactory())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("data", "files", "field"),
    [
        (form_data(requested_amount="300.01"), [], "requested_amount"),
        (form_data(requested_amount="0"), [], "requested_amount"),
        (form_data(requested_amount="-1"), [], "requested_amount"),
        (form_data(term_months="5"), [], "term_months"),
        (form_data(term_months="37"), [], "term_months"),
        (form_data(), [SimpleUploadedFile("报表.pdf", PNG)], "attachments"),
        (form_data(), [SimpleUploadedFile("报表.docx", PDF)], "attachments"),
    ],
)
def test_bad_input_is_refused_at_the_field(client, firm_user, data, files, field):
    response = client.post(reverse("loans:apply"), {**data, "attachments": files})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not LoanApplication.objects.exists()


def test_oversized_attachment_is_refused(client, firm_user, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("大.pdf", PDF.ljust(2048, b" "))
    response = client.post(reverse("loans:apply"), form_data(attachments=[big]))
    assert response.context["form"].errors["attachments"]
    assert not LoanApplication.objects.exists()


def test_withdraw_then_timeline(client, firm_user):
    loan = loan_in(S.FORWARDED, enterprise=firm_user.enterprise)
    response = client.post(
        reverse("loans:application_withdraw", args=[loan.pk]), {"note": "资金已落实"}
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == S.WITHDRAWN
    page = client.get(reverse("loans:application_detail", args=[loan.pk])).content.decode()
    assert "资金已落实" in page


def test_other_firms_application_answers_404(client, firm_user):
    other = loan_in(S.SUBMITTED)
    assert client.get(reverse("loans:application_detail", args=[other.pk])).status_code == 404
    response = client.post(reverse("loans:application_withdraw", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == S.SUBMITTED


def test_bank_officer_and_staff_do_not_reach_the_enterprise_pages(client):
    for user in (BankOfficerFactory(), StaffFactory()):
        client.force_login(user)
        assert client.get(reverse("loans:home")).status_code == 404


@pytest.mark.parametrize("rows", [1, 15])
def test_enterprise_pages_query_count_does_not_grow(client, firm_user, rows,
                                                    django_assert_max_num_queries):  # fmt: skip
    enterprise = firm_user.enterprise
    for _ in range(rows):
        loan_in(S.REJECTED, enterprise=enterprise, submitted_on=None)
    loan = loan_in(S.DISBURSED, enterprise=enterprise)
    # session, user, enterprise, latest evaluation with its model, the model's indicators,
    # its grades, applications with banks, whether it may apply (registration, open
    # application, latest evaluation), the work queue's count
    with django_assert_max_num_queries(11):
        assert client.get(reverse("loans:home")).status_code == 200
    # session, user, enterprise, the loan with firm and banks, its changes with actors,
    # attachments, repayments
    with django_assert_max_num_queries(8):
        url = reverse("loans:application_detail", args=[loan.pk])
        assert client.get(url).status_code == 200


# --------------------------------------------------------------------------- bank desk


@pytest.fixture
def officer(client):
    user = BankOfficerFactory()
    client.force_login(user)
    return user


def test_desk_lists_only_loans_forwarded_to_the_officers_bank(client, officer):
    own = loan_in(S.FORWARDED, bank=officer.bank)
    other = loan_in(S.FORWARDED)
    waiting = loan_in(S.SUBMITTED)
    page = client.get(reverse("loans:bank_desk")).content.decode()
    assert own.enterprise.name in page
    assert other.enterprise.name not in page and waiting.enterprise.name not in page
    assert client.get(reverse("loans:bank_loan_detail", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("loans:bank_loan_action", args=[other.pk, "decline"]), {"decline-note": "x"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == S.FORWARDED


def test_desk_approve_disburse_repay(client, officer):
    loan = loan_in(S.FORWARDED, bank=officer.bank, quota=Decimal("2000000"))
    approve = reverse("loans:bank_loan_action", args=[loan.pk, "approve"])
    data = {
        "approve-amount": "200.01",
        "approve-annual_rate_pct": "3.45",
        "approve-term_months": "12",
    }
    response = client.post(approve, data)
    assert response.status_code == 400
    assert "200" in str(response.context["forms"]["approve"].errors["amount"])
    response = client.post(approve, {**data, "approve-amount": "150"})
    assert response.status_code == 302
    disburse = reverse("loans:bank_loan_action", args=[loan.pk, "disburse"])
    assert (
        client.post(disburse, {"disburse-disbursed_on": dt.date.today().isoformat()}).status_code
        == 302
    )
    repay = reverse("loans:bank_loan_action", args=[loan.pk, "repayment"])
    response = client.post(
        repay,
        {"repayment-paid_on": dt.date.today().isoformat(), "repayment-principal": "150",
         "repayment-interest": "1.2"},
    )  # fmt: skip
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.approved_amount) == (S.REPAID, Decimal("1500000.00"))


def test_desk_overdue_default_claim(client, officer, fund):
    loan = loan_in(S.DISBURSED, bank=officer.bank)
    url = lambda action: reverse("loans:bank_loan_action", args=[loan.pk, action])  # noqa: E731
    assert client.post(url("overdue"), {"overdue-note": "逾期30天"}).status_code == 302
    response = client.post(url("default"), {"default-principal_loss": "100.01"})
    assert response.status_code == 400  # more than the outstanding 100 万元
    assert client.post(url("default"), {"default-principal_loss": "60"}).status_code == 302
    assert client.post(url("claim"), {"claim-note": ""}).status_code == 302
    loan.refresh_from_db()
    assert loan.status == S.COMPENSATION_CLAIMED
    assert loan.compensation_claim.amount == Decimal("480000.00")


def test_action_not_allowed_now_is_refused_with_a_message(client, officer):
    loan = loan_in(S.FORWARDED, bank=officer.bank)
    url = reverse("loans:bank_loan_action", args=[loan.pk, "disburse"])
    response = client.post(url, {"disburse-disbursed_on": dt.date.today().isoformat()})
    assert response.status_code == 400
    loan.refresh_from_db()
    assert loan.status == S.FORWARDED


def test_desk_refuses_other_users(client):
    for user in (
        EnterpriseUserFactory(),
        StaffFactory(),
        BankOfficerFactory(link_status="pending"),
    ):
        client.force_login(user)
        assert client.get(reverse("loans:bank_desk")).status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_desk_query_count_does_not_grow(client, officer, rows, django_assert_max_num_queries):
    for _ in range(rows):
        loan_in(S.FORWARDED, bank=officer.bank)
    loan = loan_in(S.DISBURSED, bank=officer.bank)
    services.loan_repayment_record(
        application=loan, acting_user=officer, paid_on=dt.date.today(), principal=Decimal(1)
    )
    # session, user, bank (decorator), bank (view), the book, count and page of loans,
    # the menu's count of the work queue
    with django_assert_max_num_queries(8):
        assert client.get(reverse("loans:bank_desk")).status_code == 200
    # session, user, bank twice, the loan with firm and banks, changes with actors,
    # attachments, repayments, instalments, claim documents
    with django_assert_max_num_queries(11):
        assert client.get(reverse("loans:bank_loan_detail", args=[loan.pk])).status_code == 200


def test_bank_sees_attachments_of_its_loans_only(client, officer):
    loan = loan_in(S.FORWARDED, bank=officer.bank)
    attachment = loan.attachments.create(
        original_name="a.pdf", file=SimpleUploadedFile("a.pdf", PDF)
    )
    url = reverse("loans:attachment_download", args=[loan.pk, attachment.pk])
    assert client.get(url).status_code == 200
    client.force_login(BankOfficerFactory(bank=BankFactory()))
    assert client.get(url).status_code == 404


def test_returned_application_is_completed_and_submitted_again(client, firm_user):
    loan = loan_in(S.SUBMITTED, enterprise=firm_user.enterprise)
    services.loan_application_return(
        application=loan, acting_user=StaffFactory(), note="请补充 2025 年审计报告"
    )
    url = reverse("loans:application_edit", args=[loan.pk])
    page = client.get(url).content.decode()
    assert "请补充 2025 年审计报告" in page
    response = client.post(
        url,
        form_data(
            requested_amount="80",
            attachments=[SimpleUploadedFile("审计报告.pdf", PDF)],
        ),
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.requested_amount) == (S.SUBMITTED, Decimal("800000.00"))
    assert loan.attachments.get().original_name == "审计报告.pdf"
    assert [c.to_status for c in loan.status_changes.all()][-2:] == [S.RETURNED, S.SUBMITTED]


def test_forwarded_application_cannot_be_edited(client, firm_user):
    loan = loan_in(S.FORWARDED, enterprise=firm_user.enterprise)
    url = reverse("loans:application_edit", args=[loan.pk])
    assert client.post(url, form_data(requested_amount="10")).status_code == 302
    loan.refresh_from_db()
    assert loan.requested_amount == Decimal("1000000.00")
    other = loan_in(S.RETURNED)
    assert client.get(reverse("loans:application_edit", args=[other.pk])).status_code == 404
