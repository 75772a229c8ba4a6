"""The bank desk: pages, search, the bank's book, the approvable line, claim documents; bad
input (other banks' ids, bad files, bad search) and query counts at several sizes."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loans import services
from loans.models import CompensationClaimDocument, LoanStatus
from loans.views import BANK_DESK_PAGE_SIZE
from tests.common.test_uploads import PDF, PNG
from tests.loans.factories import BankFactory, BankOfficerFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

S = LoanStatus
pytestmark = pytest.mark.django_db
DESK = reverse("loans:bank_desk")


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
def officer(client):
    user = BankOfficerFactory()
    client.force_login(user)
    return user


def listed(response):
    return [loan.pk for loan in response.context["page"].object_list]


def test_desk_pages_through_every_loan(client, officer):
    loans = [loan_in(S.FORWARDED, bank=officer.bank) for _ in range(BANK_DESK_PAGE_SIZE + 3)]
    first = client.get(DESK)
    second = client.get(DESK, {"page": 2})
    assert len(listed(first)) == BANK_DESK_PAGE_SIZE and len(listed(second)) == 3
    assert set(listed(first)) | set(listed(second)) == {loan.pk for loan in loans}
    assert 'rel="next"' in first.content.decode()
    # A page that is not a number, or past the end, is a page that exists.
    assert listed(client.get(DESK, {"page": "abc"})) == listed(first)
    assert listed(client.get(DESK, {"page": 999})) == listed(second)


def test_desk_counts_a_few_pages_ahead_not_every_loan(client, officer, monkeypatch):
    """A bank with tens of thousands of loans: the desk counts two pages past the page shown
    and says so ("3+"), and each page reaches further, so every loan can be paged to."""
    monkeypatch.setattr("loans.views.BANK_DESK_PAGE_SIZE", 2)
    loans = {loan_in(S.FORWARDED, bank=officer.bank).pk for _ in range(9)}
    first = client.get(DESK)
    assert "第 1 页，共 3+ 页" in first.content.decode()
    assert 'rel="next"' in first.content.decode()
    third = client.get(DESK, {"page": 3})
    assert "第 3 页，共 5 页" in third.content.decode()  # counted to the end: 9 loans
    seen = set()
    for page in range(1, 6):
        seen |= set(listed(client.get(DESK, {"page": page})))
    assert seen == loans


def test_desk_searches_name_code_and_number(client, officer):
    one = loan_in(S.FORWARDED, bank=officer.bank)
    two = loan_in(S.FORWARDED, bank=officer.bank)
    elsewhere = loan_in(S.FORWARDED)
    assert listed(client.get(DESK, {"q": one.enterprise.name})) == [one.pk]
    assert listed(client.get(DESK, {"q": two.enterprise.uscc.lower()})) == [two.pk]
    # By number: that loan; any other row found only because its firm's name or code holds
    # the same digits (the factories' sequence numbers and random codes can).
    by_number = listed(client.get(DESK, {"q": str(two.pk)}))
    assert two.pk in by_number
    for loan in (one, elsewhere):
        incidental = str(two.pk) in loan.enterprise.name + loan.enterprise.uscc
        assert (loan.pk in by_number) == (incidental and loan.bank == officer.bank)
    # Another bank's loan is never found, by name, code or number.
    for q in (elsewhere.enterprise.name, elsewhere.enterprise.uscc, str(elsewhere.pk)):
        assert elsewhere.pk not in listed(client.get(DESK, {"q": q}))
    for q in (elsewhere.enterprise.name, elsewhere.enterprise.uscc):
        assert listed(client.get(DESK, {"q": q})) == []
    assert listed(client.get(DESK, {"q": one.enterprise.name, "status": S.DISBURSED})) == []


@pytest.mark.parametrize(
    "params", [{"q": "x" * 101}, {"status": "bogus"}, {"q": "%_'\"<script>"}, {"q": "\x00"}]
)
def test_bad_search_answers_a_page_not_an_error(client, officer, params):
    loan = loan_in(S.FORWARDED, bank=officer.bank)
    response = client.get(DESK, params)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()
    if "q" in params and len(params["q"]) > 100:  # too long: said so, every loan shown
        assert response.context["form"].errors["q"]
        assert listed(response) == [loan.pk]


def test_book_shows_outstanding_overdue_and_ratio_against_threshold(client, officer):
    bank = officer.bank
    bank.npl_threshold_pct = Decimal("20.00")
    bank.save()
    loan_in(S.DISBURSED, bank=bank)  # 100 万元 outstanding
    loan_in(S.OVERDUE, bank=bank, repaid_principal=Decimal("500000.00"))  # 50 万元 overdue
    loan_in(S.REPAID, bank=bank)  # paid off: not in the book
    loan_in(S.OVERDUE)  # another bank's
    book = client.get(DESK).context["book"]
    assert book["outstanding"] == Decimal("1500000.00")
    assert (book["overdue"], book["overdue_loans"]) == (Decimal("500000.00"), 1)
    assert book["npl_ratio_pct"] == Decimal("33.33")
    assert book["above_threshold"] is True
    assert book["npl_ratio_pct"] == services.bank_npl_ratio(bank)  # the breaker's own figure
    page = client.get(DESK).content.decode()
    assert 'data-book="ratio" data-above="1"' in page
    assert '<dd data-book="outstanding">150（' in page


def test_approvable_line_only_while_the_bank_may_approve(client, officer):
    forwarded = loan_in(S.FORWARDED, bank=officer.bank)
    disbursed = loan_in(S.DISBURSED, bank=officer.bank)
    detail = lambda loan: client.get(  # noqa: E731
        reverse("loans:bank_loan_detail", args=[loan.pk])
    ).content.decode()
    assert 'id="max-approvable"' in detail(forwarded)
    assert 'id="max-approvable"' not in detail(disbursed)


@pytest.mark.parametrize("rows", [0, 10, 60])
def test_desk_query_count_holds_at_every_size(client, officer, rows, django_assert_max_num_queries):
    for _ in range(rows):
        loan_in(S.DISBURSED, bank=officer.bank)
    # session, user, bank (decorator), bank (view), the book, the count, the page with firms,
    # the menu's count of the officer's work queue
    with django_assert_max_num_queries(8):
        assert client.get(DESK, {"q": "重庆"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(DESK, {"page": 2}).status_code == 200


# ----------------------------------------------------------------- claim documents


def claim_action(loan, action):
    return reverse("loans:bank_loan_action", args=[loan.pk, action])


def test_claim_filed_with_documents_downloadable_by_bank_and_staff_only(client, officer, fund):
    loan = loan_in(S.DEFAULTED, bank=officer.bank)
    response = client.post(
        claim_action(loan, "claim"),
        {"claim-note": "", "claim-documents": [SimpleUploadedFile("判决书.pdf", PDF)]},
    )
    assert response.status_code == 302
    document = CompensationClaimDocument.objects.get(claim__loan=loan)
    url = reverse("loans:claim_document_download", args=[document.pk])
    assert client.get(url).status_code == 200
    assert url in client.get(reverse("loans:bank_loan_detail", args=[loan.pk])).content.decode()
    staff = StaffFactory()
    assert staff.has_perm("loans.view_compensationclaim")
    client.force_login(staff)
    assert client.get(url).status_code == 200
    no_claims = StaffFactory(roles=())
    no_claims.user_permissions.add(Permission.objects.get(codename="view_enterprise"))
    for outsider in (
        BankOfficerFactory(bank=BankFactory()),
        EnterpriseUserFactory(enterprise=loan.enterprise),
        no_claims,
    ):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_bad_claim_file_is_refused_and_nothing_is_filed(client, officer, fund):
    loan = loan_in(S.DEFAULTED, bank=officer.bank)
    response = client.post(
        claim_action(loan, "claim"),
        {"claim-documents": [SimpleUploadedFile("ruling.pdf", b"MZ not a pdf at all")]},
    )
    assert response.status_code == 400
    assert response.context["forms"]["claim"].errors["documents"]
    loan.refresh_from_db()
    assert loan.status == S.DEFAULTED and not CompensationClaimDocument.objects.exists()


def test_documents_added_later_until_paid_and_never_to_another_banks_claim(client, officer, fund):
    loan = loan_in(S.DEFAULTED, bank=officer.bank)
    services.compensation_claim_file(application=loan, acting_user=officer)
    response = client.post(
        claim_action(loan, "documents"),
        {"documents-documents": [SimpleUploadedFile("催收记录.png", PNG)]},
    )
    assert response.status_code == 302
    assert CompensationClaimDocument.objects.filter(claim__loan=loan).count() == 1
    assert client.post(claim_action(loan, "documents"), {}).status_code == 400  # no file
    other = loan_in(S.DEFAULTED)
    services.compensation_claim_file(
        application=other, acting_user=BankOfficerFactory(bank=other.bank)
    )
    response = client.post(
        claim_action(other, "documents"),
        {"documents-documents": [SimpleUploadedFile("x.pdf", PDF)]},
    )
    assert response.status_code == 404
    claim = loan.compensation_claim
    claim.status = claim.Status.PAID
    claim.save()
    response = client.post(
        claim_action(loan, "documents"),
        {"documents-documents": [SimpleUploadedFile("late.pdf", PDF)]},
    )
    assert response.status_code == 400
    assert CompensationClaimDocument.objects.filter(claim__loan=loan).count() == 1


def test_documents_on_a_loan_without_claim_are_refused(client, officer):
    loan = loan_in(S.DISBURSED, bank=officer.bank)
    response = client.post(
        claim_action(loan, "documents"),
        {"documents-documents": [SimpleUploadedFile("x.pdf", PDF)]},
    )
    assert response.status_code == 400
    assert not CompensationClaimDocument.objects.exists()


@pytest.mark.parametrize("term", [6, 36])
def test_loan_page_query_count_holds_with_the_schedule(
    client, officer, term, django_assert_max_num_queries
):
    import datetime as dt

    loan = loan_in(S.APPROVED, bank=officer.bank, approved_term_months=term)
    services.loan_disburse(application=loan, acting_user=officer, disbursed_on=dt.date.today())
    assert loan.instalments.count() == term  # the approved term, not the one applied for
    # session, user, bank twice, the loan with firm and banks, changes with actors,
    # attachments, repayments, instalments, claim documents, the work-queue count
    with django_assert_max_num_queries(11):
        response = client.get(reverse("loans:bank_loan_detail", args=[loan.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("<tr><td>") >= term
