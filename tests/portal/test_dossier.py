"""The enterprise dossier (一企一档): who may open it, search (an exact code goes straight to
the firm), the whole record on one page newest first with links only where the reader may
follow them, certificates' expiry marked, the xlsx (formula-neutralised), the admin lists'
link, and a query count that holds as records grow."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from enterprises.models import HighTechCertificate
from loans.models import LoanStatus
from portal.accounts.roles import Role
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import IncubatorFactory, TenancyFactory
from tests.loans.factories import BankOfficerFactory, CreditEvaluationFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.subsidies.factories import RDAuditFactory, SubsidyClaimFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("dossier:search")
TODAY = dt.date.today()


def detail(firm):
    return reverse("dossier:detail", args=[firm.pk])


@pytest.fixture
def staff(client):
    user = StaffFactory(roles=(Role.BUREAU_STAFF,))
    client.force_login(user)
    return user


def fill(firm, n: int) -> None:
    """`n` records of every kind for `firm`."""
    for i in range(n):
        TechFirmRegistrationFactory(enterprise=firm, registered_on=dt.date(2020 + i, 3, 1))
        HighTechCertificateFactory(enterprise=firm, issued_on=dt.date(2015 + i, 11, 1))
        AnnualFiguresFactory(enterprise=firm, year=2010 + i)
        TenancyFactory(
            enterprise=firm,
            incubator=IncubatorFactory(),
            moved_in_on=dt.date(2010 + i, 1, 1),
            moved_out_on=dt.date(2010 + i, 6, 1),
        )
        loan_in(LoanStatus.REPAID, enterprise=firm, submitted_on=dt.date(2021, 1, 1 + i))
        SubsidyClaimFactory(enterprise=firm, year=2000 + i)
        RDAuditFactory(claim__enterprise=firm, claim__year=2030 + i)
        ServiceVisitFactory(enterprise=firm, visited_on=dt.date(2025, 1, 1 + i))
        ServiceRequestFactory(enterprise=firm, registered_on=dt.date(2025, 2, 1 + i))


def test_exact_code_goes_straight_to_the_firm(client, staff):
    firm = EnterpriseFactory()
    EnterpriseFactory()
    typed = " " + firm.uscc.lower() + " "
    response = client.get(SEARCH, {"q": typed})
    assert response.status_code == 302 and response["Location"] == detail(firm)


def test_search_by_part_of_name_or_code_lists_firms(client, staff):
    one = EnterpriseFactory(name="重庆星河光电科技有限公司")
    other = EnterpriseFactory(name="重庆云帆软件有限公司")
    found = client.get(SEARCH, {"q": "星河"}).context["found"]
    assert found == [one]
    assert client.get(SEARCH, {"q": other.uscc[-8:]}).context["found"] == [other]


@pytest.mark.parametrize("q", ["x" * 101, "%", "'; drop table", "Z" * 18, "\x00"])
def test_bad_search_answers_a_page(client, staff, q):
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    if len(q) > 100 or "\x00" in q:
        assert response.context["error"]


def test_only_staff_who_may_view_enterprises_open_it(client):
    firm = EnterpriseFactory()
    no_view = StaffFactory(roles=())
    for user in (EnterpriseUserFactory(enterprise=firm), BankOfficerFactory(), no_view):
        client.force_login(user)
        for url in (SEARCH, detail(firm), reverse("dossier:export", args=[firm.pk])):
            assert client.get(url).status_code == 403
    client.logout()
    assert client.get(detail(firm)).status_code == 302  # to the login page
    client.force_login(StaffFactory(roles=(Role.BUREAU_STAFF,)))
    assert client.get(reverse("dossier:detail", args=[987654321])).status_code == 404


def test_the_whole_record_newest_first_with_links_and_expiry(client, staff):
    firm = EnterpriseFactory()
    fill(firm, 1)
    HighTechCertificateFactory(enterprise=firm, issued_on=TODAY - dt.timedelta(days=3 * 365))
    response = client.get(detail(firm))
    assert response.status_code == 200
    events = response.context["dossier"].events
    kinds = {str(event.kind) for event in events}
    assert len(kinds) == 8  # registration, certificate, tenancy, loan, claim, audit, visit, request
    days = [event.day for event in events]
    assert days == sorted(days, reverse=True)
    states = {c["certificate"].number: c["state"] for c in response.context["dossier"].certificates}
    assert sorted(states.values()) == ["expired", "expiring"]
    page = response.content.decode()
    assert 'data-certificate-state="expiring"' in page
    loan = firm.loan_applications.get()
    assert reverse("admin:loans_loanapplication_change", args=[loan.pk]) in page
    assert "1,000,000.00" in page  # the loan's amount through |yuan


def test_no_link_to_a_record_the_reader_may_not_view(client):
    firm = EnterpriseFactory()
    fill(firm, 1)
    reader = StaffFactory(roles=())
    reader.user_permissions.add(Permission.objects.get(codename="view_enterprise"))
    client.force_login(reader)
    page = client.get(detail(firm)).content.decode()
    loan = firm.loan_applications.get()
    assert reverse("admin:loans_loanapplication_change", args=[loan.pk]) not in page
    assert firm.name in page


@pytest.mark.parametrize("n", [1, 4])
def test_query_count_holds_as_records_grow(client, staff, n, django_assert_max_num_queries):
    firm = EnterpriseFactory()
    fill(firm, n)
    # session, user, the firm, its permissions (user, groups), one query per kind of record
    # (registrations, certificates, figures, tenancies, loans, claims, audits, visits,
    # requests), the menu's work-queue count
    with django_assert_max_num_queries(17):
        assert client.get(detail(firm)).status_code == 200
    with django_assert_max_num_queries(17):
        assert client.get(reverse("dossier:export", args=[firm.pk])).status_code == 200


def test_xlsx_has_the_record_and_runs_no_formula(client, staff):
    firm = EnterpriseFactory(name='=HYPERLINK("http://x.example","y")')
    fill(firm, 1)
    response = client.get(reverse("dossier:export", args=[firm.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    identity = book.worksheets[0]
    assert identity["B2"].value == "'" + firm.name
    timeline = book.worksheets[1]
    assert timeline.max_row == 1 + 9  # the audit's claim is one more claim
    amounts = [row[4] for row in timeline.iter_rows(min_row=2, values_only=True) if row[4]]
    assert Decimal(str(max(amounts))) == Decimal("1000000")


def test_admin_lists_link_to_the_dossier(client, staff):
    firm = EnterpriseFactory()
    fill(firm, 1)
    CreditEvaluationFactory(enterprise=firm)
    link = detail(firm)
    for name in (
        "enterprises_enterprise", "enterprises_techfirmregistration",
        "enterprises_hightechcertificate", "enterprises_annualfigures", "incubators_tenancy",
        "loans_loanapplication", "subsidies_subsidyclaim", "subsidies_rdaudit",
        "enterprises_servicevisit", "enterprises_servicerequest", "loans_creditevaluation",
    ):  # fmt: skip
        page = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert link in page, name
    # Staff who may not view enterprises get no column that would answer 403.
    reader = StaffFactory(roles=())
    reader.user_permissions.add(Permission.objects.get(codename="view_loanapplication"))
    client.force_login(reader)
    page = client.get(reverse("admin:loans_loanapplication_changelist")).content.decode()
    assert "dossier-link" not in page


def test_certificate_states_follow_the_dates():
    assert HighTechCertificate.expiry_for(dt.date(2024, 11, 1)) == dt.date(2027, 11, 1)
