"""Claimant pages and the auditor desk: own records only (others 404), constant queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from subsidies.models import Programme, RDAudit, SubsidyClaim
from tests.portal.factories import EnterpriseUserFactory
from tests.subsidies.conftest import Actors
from tests.subsidies.factories import YEAR, AuditorFactory, policy
from tests.subsidies.flow import PDF, advance, pdf, rd_claim, rent_claim, rent_ready

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
D = Decimal


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_policy_page_is_public_and_shows_what_a_firm_may_claim(client, actors):
    rule = policy(Programme.RENT, year=dt.date.today().year)
    response = client.get(reverse("subsidies:policies"))
    assert response.status_code == 200 and rule.document_number in response.content.decode()
    assert response.context["opportunities"] is None
    _login(client, actors.member)
    response = client.get(reverse("subsidies:policies"))
    assert response.context["opportunities"] is not None


def test_a_claimant_lists_its_own_claims_only(client, actors):
    rent_ready(actors)
    mine = rent_claim(actors)
    other = Actors()
    rent_ready(other)
    theirs = rent_claim(other)
    _login(client, actors.member)
    response = client.get(reverse("subsidies:my_claims"))
    assert list(response.context["claims"]) == [mine]
    assert client.get(reverse("subsidies:claim_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("subsidies:claim_submit", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("subsidies:claim_attach", args=[theirs.pk])).status_code == 404
    attachment = theirs.attachments.get()
    url = reverse("subsidies:attachment_download", args=[theirs.pk, attachment.pk])
    assert client.get(url).status_code == 404
    url = reverse("subsidies:attachment_download", args=[mine.pk, attachment.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("rows", [3, 15])
def test_claim_list_query_count_does_not_grow(client, actors, django_assert_max_num_queries, rows):
    for year in range(2000, 2000 + rows):
        rule = policy(Programme.HTE_NEW, year=year)
        SubsidyClaim.objects.create(
            programme=Programme.HTE_NEW, year=year, policy=rule, enterprise=actors.enterprise
        )
    _login(client, actors.member)
    # session, user, the claims with policy and claimant (joined), their sign-offs; then
    # whether the firm may apply to each programme open now: the active programmes and the
    # draft's checks for each (bounded by the eight programmes of the seeded data, not by
    # the claims; tests/subsidies/test_claims_can_apply.py holds it equal at two sizes)
    with django_assert_max_num_queries(60):
        response = client.get(reverse("subsidies:my_claims"))
    assert response.status_code == 200


def test_the_claim_page_shows_amount_policy_version_and_who_has_yet_to_sign(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.UNDER_REVIEW)
    from subsidies import services

    services.subsidy_claim_sign(claim=claim, stage=1, acting_user=actors.handler)
    _login(client, actors.member)
    body = client.get(reverse("subsidies:claim_detail", args=[claim.pk])).content.decode()
    assert "24,000.00" in body and claim.policy.document_number in body
    assert "signed on" in body and body.count("not yet signed") == 2
    # Outside the bureau no officer is named (as in the timeline); the bureau sees who signed.
    assert actors.handler.display_name not in body
    _login(client, actors.handler)
    body = client.get(reverse("subsidies:claim_detail", args=[claim.pk])).content.decode()
    assert f"signed by {actors.handler.display_name}" in body


def test_an_enterprise_applies_with_a_document_then_submits(client, actors):
    rent_ready(actors)
    _login(client, actors.member)
    response = client.post(
        reverse("subsidies:claim_apply"),
        {
            "programme": "rent",
            "year": YEAR,
            "rent_month_from": 1,
            "rent_month_to": 3,
            "document_title": "租赁合同",
            "document": pdf(),
        },
    )
    claim = SubsidyClaim.objects.get()
    assert response.status_code == 302 and claim.eligible_amount == D("6000.00")
    client.post(reverse("subsidies:claim_submit", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_applying_with_a_bad_file_or_nothing_due_saves_nothing(client, actors):
    from django.core.files.uploadedfile import SimpleUploadedFile

    policy(Programme.RENT)
    _login(client, actors.member)
    data = {"programme": "rent", "year": YEAR, "rent_month_from": 1, "rent_month_to": 3,
            "document_title": "合同"}  # fmt: skip
    fake = SimpleUploadedFile("lease.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(reverse("subsidies:claim_apply"), {**data, "document": fake})
    assert response.status_code == 200 and response.context["form"].errors["document"]
    response = client.post(reverse("subsidies:claim_apply"), {**data, "document": pdf()})
    assert response.status_code == 200
    assert "registered tech firm" in str(response.context["form"].errors)
    assert not SubsidyClaim.objects.exists()


def test_a_carrier_operator_applies_for_the_carrier_reward(client, actors):
    from tests.enterprises.factories import HighTechCertificateFactory
    from tests.incubators.factories import TenancyFactory

    policy(Programme.CARRIER_HTE)
    tenancy = TenancyFactory(incubator=actors.incubator, moved_in_on=dt.date(YEAR - 1, 1, 1))
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(YEAR, 4, 1))
    _login(client, actors.operator)
    form = client.get(reverse("subsidies:claim_apply")).context["form"]
    assert [c[0] for c in form.fields["programme"].choices] == ["carrier_hte", "carrier_listing"]
    response = client.post(
        reverse("subsidies:claim_apply"), {"programme": "carrier_hte", "year": YEAR}
    )
    assert response.status_code == 302
    claim = SubsidyClaim.objects.get()
    assert (claim.incubator, claim.eligible_amount) == (actors.incubator, D("100000.00"))
    client.post(reverse("subsidies:claim_submit", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_other_roles_cannot_apply(client, actors):
    for user in (actors.auditor, actors.handler):
        _login(client, user)
        assert client.get(reverse("subsidies:claim_apply")).status_code == 404


# ----------------------------------------------------------------------------- auditor desk


def _assigned(actors, basis: str = "tax") -> RDAudit:
    from subsidies import services

    claim = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    claim.policy.rd_basis = basis
    claim.policy.save()
    return services.rd_audit_assign(claim=claim, firm=actors.firm, acting_user=actors.handler)


def test_the_auditor_records_with_the_cap_and_hands_in(client, actors):
    audit = _assigned(actors, basis="high_tech")
    _login(client, actors.auditor)
    url = reverse("subsidies:audit_detail", args=[audit.pk])
    response = client.post(
        url,
        {
            "basis": "high_tech",
            "personnel": "800000",
            "direct_inputs": "0",
            "depreciation": "0",
            "amortisation": "0",
            "design_fees": "0",
            "other": "300000",
            "findings": "其他费用超限部分已剔除",
            "report": pdf("report.pdf"),
        },
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert (audit.other_allowed, audit.eligible_total) == (D("200000.00"), D("1000000.00"))
    client.post(reverse("subsidies:audit_complete", args=[audit.pk]))
    audit.refresh_from_db()
    assert audit.is_completed and audit.claim.status == S.AUDITED
    assert audit.claim.eligible_amount == D("100000.00")
    report = client.get(reverse("subsidies:audit_report", args=[audit.pk]))
    assert b"".join(report.streaming_content) == PDF
    # handed in: the page no longer takes figures
    assert client.post(url, {"basis": "tax"}).status_code == 404


def test_another_firms_audit_is_404(client, actors):
    audit = _assigned(actors)
    _login(client, actors.other_auditor)
    for name in ("audit_detail", "audit_complete", "audit_report"):
        method = client.post if name == "audit_complete" else client.get
        assert method(reverse(f"subsidies:{name}", args=[audit.pk])).status_code == 404
    assert list(client.get(reverse("subsidies:audits")).context["audits"]) == []
    for user in (actors.member, actors.handler):
        _login(client, user)
        assert client.get(reverse("subsidies:audits")).status_code == 404


@pytest.mark.parametrize("rows", [2, 8])
def test_auditor_desk_query_count_does_not_grow(client, django_assert_max_num_queries, rows):
    from subsidies import services

    first = Actors()
    auditor = AuditorFactory(audit_firm=first.firm)
    for _ in range(rows):
        actors = Actors()
        actors.firm = first.firm
        _assigned(actors)
    assert RDAudit.objects.filter(firm=first.firm).count() == rows
    _login(client, auditor)
    # session, user, the audits with claim, enterprise and policy (joined)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("subsidies:audits"))
    assert response.status_code == 200
    assert services  # the audits were assigned through the service


def test_a_member_waiting_for_approval_sees_no_claims(client):
    user = EnterpriseUserFactory(link_status="pending")
    _login(client, user)
    assert client.get(reverse("subsidies:my_claims")).status_code == 404


@pytest.mark.parametrize("programmes", [1, 6])
def test_policy_page_query_count_does_not_grow_with_policies(
    client, django_assert_max_num_queries, programmes
):
    from subsidies.models import ApplicationWindow, SubsidyPolicy

    SubsidyPolicy.objects.all().delete()  # the seeded versions, if a flush left them
    this_year = dt.date.today().year
    for code in list(Programme)[:programmes]:
        version = policy(code, year=this_year, effective_until=None)
        policy(code, year=this_year - 1)  # last year's: not listed
        for month in (1, 6):
            ApplicationWindow.objects.create(
                policy=version,
                opens_on=dt.date(this_year, month, 1),
                closes_on=dt.date(this_year, month, 20),
            )
    # this year's published versions, their windows, the official calendar (the working
    # days left of an open call): one query each; none per policy
    with django_assert_max_num_queries(3):
        response = client.get(reverse("subsidies:policies"))
    assert len(response.context["policies"]) == programmes


@pytest.mark.parametrize(("steps", "resubmitted"), [(S.SUBMITTED, 0), (S.APPROVED, 3)])
def test_claim_page_query_count_does_not_grow_with_its_history(
    client, actors, django_assert_max_num_queries, steps, resubmitted
):
    from subsidies import services

    rent_ready(actors)
    claim = rent_claim(actors)
    for _ in range(resubmitted):  # the claimant's own steps are shown by its name
        advance(actors, claim, S.SUBMITTED)
        services.subsidy_claim_return(claim=claim, reason="补充", acting_user=actors.handler)
    advance(actors, claim, steps)
    _login(client, actors.member)
    # session, user, the claim with its relations, then its timeline with actors and their
    # organisations, signatures with signers, documents and objections: one query each
    with django_assert_max_num_queries(8):
        response = client.get(reverse("subsidies:claim_detail", args=[claim.pk]))
    assert response.status_code == 200


def test_claim_page_explains_the_computation_in_chinese_not_in_keys():
    from subsidies.models import SubsidyClaim
    from subsidies.selectors import claim_facts_display

    claim = SubsidyClaim(
        computation={
            "facts": {"audited_eligible": "4444444.44", "basis": "tax", "firms": ["甲", "乙"]}
        }
    )
    with translation.override("zh-hans"):
        lines = claim_facts_display(claim)
    assert lines == [
        ("经审计的可计入研发费用（元）", "4,444,444.44"),
        ("归集口径", "税前加计扣除口径"),
        ("培育的企业", "甲、乙"),
    ]


@pytest.mark.django_db
def test_public_policy_page_says_who_qualifies_and_how_to_apply(client):
    from importlib import import_module

    from django.apps import apps

    from tests.subsidies.factories import policy

    texts = import_module("subsidies.migrations.0003_policy_texts")
    rent = policy("rent", qualification="", how_to_apply="")
    described = policy("hte_new", qualification="局里写好的条件", how_to_apply="")
    texts.forwards(apps, None)

    rent.refresh_from_db()
    described.refresh_from_db()
    assert "入库科技型企业" in rent.qualification and "租赁合同" in rent.how_to_apply
    assert described.qualification == "局里写好的条件"  # staff's own text is kept
    page = client.get(reverse("subsidies:policy_detail", args=[rent.pk])).content.decode()
    assert "申请条件" in page
    assert rent.how_to_apply in page
