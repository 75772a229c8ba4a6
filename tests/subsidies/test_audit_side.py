"""The auditor's side: the claim's documents (the R&D ledger) for the assigned firm only, both
bases computed side by side, and the subsidy paid on the basis its policy version names."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from subsidies import eligibility, services
from subsidies.models import ClaimAttachment, RDAudit, SubsidyClaim
from tests.subsidies.flow import PDF, advance, audit_and_complete, pdf, rd_claim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = SubsidyClaim.Status

# 4,000,000 in the first five categories and 1,500,000 of other costs: the tax basis allows
# 444,444.44 of other costs, the high-tech basis 1,000,000.
FIRST_FIVE, OTHER = D("4000000"), D("1500000")
TAX_TOTAL, HIGH_TECH_TOTAL = D("4444444.44"), D("5000000.00")


def _assigned(actors, basis: str = "tax") -> RDAudit:
    claim = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    claim.policy.rd_basis = basis
    claim.policy.cap = None
    claim.policy.save()
    return services.rd_audit_assign(claim=claim, firm=actors.firm, acting_user=actors.handler)


def _document(audit: RDAudit) -> ClaimAttachment:
    return audit.claim.attachments.get()


def test_the_assigned_auditor_opens_the_claims_ledger(client, actors):
    audit = _assigned(actors)
    client.force_login(actors.auditor)
    page = client.get(reverse("subsidies:audit_detail", args=[audit.pk]))
    document = _document(audit)
    url = reverse("subsidies:audit_document", args=[audit.pk, document.pk])
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"


def test_another_firms_auditor_and_others_get_404(client, actors):
    audit = _assigned(actors)
    url = reverse("subsidies:audit_document", args=[audit.pk, _document(audit).pk])
    for user in (actors.other_auditor, actors.member, actors.other_member, actors.operator):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_document_of_another_claim_is_404_through_ones_own_audit(client, actors):
    audit = _assigned(actors)
    from tests.enterprises.factories import EnterpriseFactory

    other_claim = SubsidyClaim.objects.create(
        programme=audit.claim.programme,
        year=audit.claim.year,
        policy=audit.claim.policy,
        enterprise=EnterpriseFactory(),
    )
    other_document = ClaimAttachment.objects.create(
        claim=other_claim, title="研发费用辅助账", file=pdf("ledger.pdf")
    )
    client.force_login(actors.auditor)
    url = reverse("subsidies:audit_document", args=[audit.pk, other_document.pk])
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("subsidies:audit_document", args=[audit.pk, 987654321])).status_code
        == 404
    )


def _record(audit: RDAudit, actors) -> RDAudit:
    return services.rd_audit_record(
        audit=audit,
        acting_user=actors.auditor,
        personnel=FIRST_FIVE,
        direct_inputs=D(0),
        depreciation=D(0),
        amortisation=D(0),
        design_fees=D(0),
        other=OTHER,
        report=pdf("report.pdf"),
    )


def test_the_audit_page_shows_both_bases_with_their_caps(client, actors):
    audit = _record(_assigned(actors, basis="high_tech"), actors)
    assert (audit.tax_eligible_total, audit.high_tech_eligible_total) == (
        TAX_TOTAL,
        HIGH_TECH_TOTAL,
    )
    client.force_login(actors.auditor)
    page = client.get(reverse("subsidies:audit_detail", args=[audit.pk])).content.decode()
    assert 'data-basis="tax"' in page and 'data-basis="high_tech"' in page
    assert "4,444,444.44" in page and "5,000,000.00" in page
    assert "444,444.44" in page and "1,000,000.00" in page  # the caps on other costs
    assert 'id="paid-basis" data-basis="high_tech"' in page


@pytest.mark.parametrize(("basis", "total"), [("tax", TAX_TOTAL), ("high_tech", HIGH_TECH_TOTAL)])
def test_the_subsidy_pays_on_the_basis_its_policy_names(actors, basis, total):
    audit = _record(_assigned(actors, basis=basis), actors)
    services.rd_audit_complete(audit=audit, acting_user=actors.auditor)
    claim = SubsidyClaim.objects.get(pk=audit.claim_id)
    rate = claim.policy.rate
    assert claim.eligible_amount == (total * rate).quantize(D("0.01"))
    assert claim.computation["facts"]["basis"] == basis
    assert claim.computation["facts"]["audited_eligible"] == str(total)


def test_the_policys_basis_wins_over_the_audits_mark(actors):
    """An audit marked on one basis, under a policy naming the other: the policy decides."""
    audit = _record(_assigned(actors, basis="tax"), actors)
    services.rd_audit_complete(audit=audit, acting_user=actors.auditor)
    audit.refresh_from_db()
    policy = audit.claim.policy
    policy.rd_basis = "high_tech"
    result = eligibility.rd_subsidy(policy=policy, audit=audit)
    assert result.facts["audited_eligible"] == str(HIGH_TECH_TOTAL)
    assert result.amount == (HIGH_TECH_TOTAL * policy.rate).quantize(D("0.01"))


def test_the_default_basis_is_the_tax_basis_as_before(actors):
    claim = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    assert claim.policy.rd_basis == "tax"
    audit_and_complete(actors, claim)
    claim.refresh_from_db()
    assert claim.computation["facts"]["basis"] == "tax"
