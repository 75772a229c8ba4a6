"""The claim workflow through its services: every transition × every role, bad input
refused with nothing changed, budget and sign-off rules, payment batches."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enterprises.models import HighTechCertificate
from portal.accounts.roles import Role
from subsidies import services
from subsidies.models import (
    HighTechApplication,
    PaymentBatch,
    Programme,
    RDAudit,
    SignOff,
    SubsidyClaim,
)
from tests.enterprises.factories import HighTechCertificateFactory
from tests.portal.factories import StaffFactory
from tests.subsidies.factories import YEAR, policy
from tests.subsidies.flow import NOTICE, advance, pdf, rd_claim, rent_claim, rent_ready, sign_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
S = SubsidyClaim.Status
D = Decimal


@pytest.fixture
def rent(actors):
    rent_ready(actors)
    return rent_claim(actors)


def test_rent_claim_goes_the_whole_way_and_keeps_its_record(actors, rent):
    assert rent.eligible_amount == D("24000.00")
    assert rent.computation["policy"]["amount"] == "20.00"
    advance(actors, rent, S.APPROVED)
    batch = services.payment_batch_create(number="2026-01", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[rent], acting_user=actors.finance)
    content = services.payment_batch_export(batch=batch, acting_user=actors.finance)
    assert content[:2] == b"PK"
    services.payment_batch_mark_paid(
        batch=batch, paid_on=dt.date.today(), acting_user=actors.finance
    )
    rent.refresh_from_db()
    assert rent.status == S.PAID and rent.paid_on == dt.date.today()
    assert [c.to_status for c in rent.status_changes.all()] == [
        S.DRAFT,
        S.SUBMITTED,
        S.UNDER_REVIEW,
        S.HANDLER_SIGNED,
        S.SECTION_HEAD_SIGNED,
        S.SIGNED_OFF,
        S.IN_NOTICE,
        S.NOTICE_ENDED,
        S.APPROVED,
        S.IN_BATCH,
        S.PAID,
    ]
    assert rent.handler == actors.handler
    assert [s.signed_by for s in rent.sign_offs.all()] == [
        actors.handler,
        actors.head,
        actors.deputy,
    ]
    assert rent.history.count() > 5


def test_rd_claim_is_computed_from_the_audit(actors):
    claim = rd_claim(actors)
    assert claim.eligible_amount is None
    advance(actors, claim, S.AUDITED)
    # 4,000,000 + other 100,000 (within 10/90) at 10%
    assert claim.eligible_amount == D("410000.00")
    assert claim.audit.eligible_total == D("4100000.00")
    assert claim.computation["facts"]["basis"] == "tax"


def test_editing_the_policy_later_leaves_the_claim_as_computed(actors, rent):
    rule = rent.policy
    rule.amount = D("25")
    rule.save()
    rent.refresh_from_db()
    assert rent.eligible_amount == D("24000.00")
    assert rent.computation["policy"]["amount"] == "20.00"


# ------------------------------------------------------------------- steps out of order
# Every step × every role is walked from the table in test_workflow.py.


def _call(name, actors, claim, user):
    calls = {
        "submit": lambda: services.subsidy_claim_submit(claim=claim, acting_user=user),
        "take_up": lambda: services.subsidy_claim_take_up(claim=claim, acting_user=user),
        "return": lambda: services.subsidy_claim_return(
            claim=claim, reason="补材料", acting_user=user
        ),
        "reject": lambda: services.subsidy_claim_reject(
            claim=claim, reason="不符合", acting_user=user
        ),
        "sign_handler": lambda: services.subsidy_claim_sign(
            claim=claim, stage=SignOff.Stage.HANDLER, acting_user=user
        ),
        "publish": lambda: services.subsidy_claim_publish_notice(
            claim=claim, starts_on=NOTICE[0], ends_on=NOTICE[1], acting_user=user
        ),
        "approve": lambda: services.subsidy_claim_approve(
            claim=claim, approved_amount=claim.eligible_amount, acting_user=user
        ),
    }
    return calls[name]()


@pytest.mark.parametrize(
    ("service", "start"),
    [
        ("submit", S.UNDER_REVIEW),
        ("take_up", S.DRAFT),
        ("return", S.IN_NOTICE),
        ("reject", S.APPROVED),
        ("sign_handler", S.SUBMITTED),
        ("publish", S.UNDER_REVIEW),
        ("approve", S.SIGNED_OFF),
        ("approve", S.IN_NOTICE),
    ],
)
def test_a_transition_out_of_order_is_refused(actors, rent, service, start):
    advance(actors, rent, start)
    user = actors.member if service == "submit" else actors.handler
    with pytest.raises(ValidationError):
        _call(service, actors, rent, user)
    rent.refresh_from_db()
    assert rent.status == start


def test_finance_alone_handles_batches(actors, rent):
    advance(actors, rent, S.APPROVED)
    for user in (actors.handler, actors.member, actors.auditor):
        with pytest.raises(PermissionDenied):
            services.payment_batch_create(number="X", acting_user=user)
    assert not PaymentBatch.objects.exists()


# ---------------------------------------------------------------------------- bad input


def test_a_second_claim_of_the_same_programme_and_year_is_refused(actors, rent):
    with pytest.raises(ValidationError, match="already has"):
        rent_claim(actors, months=(1, 3))
    assert SubsidyClaim.objects.count() == 1


def test_after_a_rejection_the_claimant_may_claim_again(actors, rent):
    advance(actors, rent, S.SUBMITTED)
    services.subsidy_claim_reject(claim=rent, reason="材料不实", acting_user=actors.handler)
    assert rent_claim(actors, months=(1, 6)).eligible_amount == D("12000.00")


def test_a_claim_nothing_is_due_for_is_refused(actors):
    policy(Programme.HTE_NEW)
    with pytest.raises(ValidationError, match="certificate"):
        services.subsidy_claim_draft(
            programme=Programme.HTE_NEW,
            year=YEAR,
            enterprise=actors.enterprise,
            acting_user=actors.member,
        )
    assert not SubsidyClaim.objects.exists()


def test_a_programme_year_without_policy_is_refused(actors):
    with pytest.raises(ValidationError, match="no"):
        services.subsidy_claim_draft(
            programme=Programme.RENT,
            year=1999 + 30,
            enterprise=actors.enterprise,
            rent_month_from=1,
            rent_month_to=2,
            acting_user=actors.member,
        )


def test_submitting_without_documents_is_refused(actors):
    rent_ready(actors)
    claim = services.subsidy_claim_draft(
        programme=Programme.RENT,
        year=YEAR,
        enterprise=actors.enterprise,
        rent_month_from=1,
        rent_month_to=2,
        acting_user=actors.member,
    )
    with pytest.raises(ValidationError, match="documents"):
        services.subsidy_claim_submit(claim=claim, acting_user=actors.member)


def test_rent_months_overlapping_a_paid_claim_are_refused(actors, rent):
    """A paid claim of months 1–12 (imported from the ledger as another row) blocks any
    other claim for the same months, even one the unique key would let through."""
    advance(actors, rent, S.SUBMITTED)
    services.subsidy_claim_reject(claim=rent, reason="重报", acting_user=actors.handler)
    SubsidyClaim.objects.filter(pk=rent.pk).update(
        status=S.PAID, paid_on=dt.date(YEAR + 1, 2, 1), approved_amount=D("24000")
    )
    with pytest.raises(ValidationError, match="overlap"):
        rent_claim(actors, months=(6, 8))


def test_approval_above_eligible_or_differing_without_reason_is_refused(actors, rent):
    advance(actors, rent, S.NOTICE_ENDED)
    with pytest.raises(ValidationError, match="exceed"):
        services.subsidy_claim_approve(
            claim=rent, approved_amount=D("24000.01"), acting_user=actors.handler
        )
    with pytest.raises(ValidationError, match="differs"):
        services.subsidy_claim_approve(
            claim=rent, approved_amount=D("20000"), acting_user=actors.handler
        )
    services.subsidy_claim_approve(
        claim=rent, approved_amount=D("20000"), reason="面积核减", acting_user=actors.handler
    )
    rent.refresh_from_db()
    assert (rent.approved_amount, rent.approval_reason) == (D("20000.00"), "面积核减")


def test_approval_over_the_yearly_budget_is_refused_with_the_figures(actors, rent, english):
    policy(Programme.RENT, yearly_budget=D("30000"))
    other = actors.__class__()
    rent_ready(other)
    second = rent_claim(other)
    advance(actors, rent, S.APPROVED)
    advance(other, second, S.NOTICE_ENDED)
    with pytest.raises(ValidationError) as caught:
        services.subsidy_claim_approve(
            claim=second, approved_amount=second.eligible_amount, acting_user=other.handler
        )
    assert "30,000.00" in str(caught.value) and "6,000.00" in str(caught.value)
    second.refresh_from_db()
    assert second.status == S.NOTICE_ENDED


def test_approval_waits_for_the_notice_and_the_answers(actors, rent, time_machine):
    advance(actors, rent, S.SIGNED_OFF)
    time_machine.move_to(dt.datetime(YEAR + 1, 1, 6, 10))
    services.subsidy_claim_publish_notice(
        claim=rent, starts_on=NOTICE[0], ends_on=NOTICE[1], acting_user=actors.handler
    )
    with pytest.raises(ValidationError, match="notice"):
        services.subsidy_claim_approve(
            claim=rent, approved_amount=rent.eligible_amount, acting_user=actors.handler
        )
    objection = services.objection_record(
        claim=rent,
        received_on=dt.date(YEAR + 1, 1, 6),
        content="面积有误",
        acting_user=actors.handler,
    )
    with pytest.raises(ValidationError, match="notice period"):
        services.objection_record(
            claim=rent,
            received_on=dt.date(YEAR + 1, 1, 12),
            content="迟到",
            acting_user=actors.handler,
        )
    # The last day of the notice: the system does not end it yet; the next day it does.
    time_machine.move_to(dt.datetime(YEAR + 1, 1, 11, 22, tzinfo=TZ))
    assert services.subsidy_claim_notices_end() == 0
    time_machine.move_to(dt.datetime(YEAR + 1, 1, 12, 0, 10, tzinfo=TZ))
    assert services.subsidy_claim_notices_end() == 1
    time_machine.move_to(dt.datetime(YEAR + 1, 1, 12, 10))
    with pytest.raises(ValidationError, match="objection"):
        services.subsidy_claim_approve(
            claim=rent, approved_amount=rent.eligible_amount, acting_user=actors.handler
        )
    services.objection_answer(
        objection=objection, answer="经核实面积无误", acting_user=actors.handler
    )
    services.subsidy_claim_approve(
        claim=rent, approved_amount=rent.eligible_amount, acting_user=actors.handler
    )
    rent.refresh_from_db()
    assert rent.status == S.APPROVED


def test_a_notice_shorter_than_five_days_is_refused(actors, rent):
    advance(actors, rent, S.SIGNED_OFF)
    with pytest.raises(ValidationError, match="at least"):
        services.subsidy_claim_publish_notice(
            claim=rent,
            starts_on=NOTICE[0],
            ends_on=NOTICE[0] + dt.timedelta(days=3),
            acting_user=actors.handler,
        )


def test_returning_or_rejecting_needs_a_reason(actors, rent):
    advance(actors, rent, S.SUBMITTED)
    for service in (services.subsidy_claim_return, services.subsidy_claim_reject):
        with pytest.raises(ValidationError):
            service(claim=rent, reason="  ", acting_user=actors.handler)
    rent.refresh_from_db()
    assert rent.status == S.SUBMITTED


def test_a_returned_claim_loses_its_signatures_and_is_resubmitted(actors, rent):
    advance(actors, rent, S.UNDER_REVIEW)
    services.subsidy_claim_sign(claim=rent, stage=SignOff.Stage.HANDLER, acting_user=actors.handler)
    services.subsidy_claim_return(claim=rent, reason="补充租赁发票", acting_user=actors.handler)
    assert not rent.sign_offs.exists()
    services.subsidy_claim_attach(claim=rent, title="发票", file=pdf(), acting_user=actors.member)
    services.subsidy_claim_submit(claim=rent, acting_user=actors.member)
    rent.refresh_from_db()
    assert rent.status == S.SUBMITTED and rent.decision_reason == ""


# ------------------------------------------------------------------------------ sign-offs


def test_sign_offs_go_in_order_once_each_by_different_people(actors, rent):
    """The state says whose signature is due: a signer who means another stage is refused,
    and a person holding two signatures gives one of them per claim."""
    both = StaffFactory(roles=[Role.BUREAU_STAFF, Role.SECTION_HEAD])  # handler and head
    advance(actors, rent, S.UNDER_REVIEW)
    with pytest.raises(ValidationError, match="must sign first"):
        services.subsidy_claim_sign(
            claim=rent, stage=SignOff.Stage.SECTION_HEAD, acting_user=actors.head
        )
    services.subsidy_claim_sign(claim=rent, stage=SignOff.Stage.HANDLER, acting_user=both)
    rent.refresh_from_db()
    assert rent.status == S.HANDLER_SIGNED
    with pytest.raises(ValidationError, match="already signed"):
        services.subsidy_claim_sign(
            claim=rent, stage=SignOff.Stage.HANDLER, acting_user=actors.handler
        )
    with pytest.raises(ValidationError, match="another stage"):
        services.subsidy_claim_sign(claim=rent, stage=SignOff.Stage.SECTION_HEAD, acting_user=both)
    with pytest.raises(PermissionDenied):
        services.subsidy_claim_sign(claim=rent, acting_user=actors.finance)
    assert rent.sign_offs.count() == 1
    services.subsidy_claim_sign(
        claim=rent, stage=SignOff.Stage.SECTION_HEAD, acting_user=actors.head
    )
    with pytest.raises(PermissionDenied):
        services.subsidy_claim_sign(claim=rent, acting_user=actors.head)
    services.subsidy_claim_sign(claim=rent, acting_user=actors.deputy)
    rent.refresh_from_db()
    assert rent.status == S.SIGNED_OFF
    assert [c.to_status for c in rent.status_changes.all()][-3:] == [
        S.HANDLER_SIGNED,
        S.SECTION_HEAD_SIGNED,
        S.SIGNED_OFF,
    ]


def test_an_rd_claim_is_signed_only_after_its_audit(actors):
    claim = rd_claim(actors)
    advance(actors, claim, S.UNDER_REVIEW)
    with pytest.raises(ValidationError):
        sign_all(actors, claim)
    assert not claim.sign_offs.exists()


# --------------------------------------------------------------------------------- audits


def _record(audit, user, **amounts):
    values = {
        "personnel": D("900000"),
        "direct_inputs": D(0),
        "depreciation": D(0),
        "amortisation": D(0),
        "design_fees": D(0),
        "other": D("500000"),
        **amounts,
    }
    return services.rd_audit_record(audit=audit, acting_user=user, **values)


@pytest.mark.parametrize(
    ("basis", "allowed", "total"),
    [
        (RDAudit.Basis.TAX, D("100000.00"), D("1000000.00")),
        (RDAudit.Basis.HIGH_TECH, D("225000.00"), D("1125000.00")),
    ],
)
def test_the_auditor_records_both_bases_and_the_policys_is_paid_on(actors, basis, allowed, total):
    claim = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    claim.policy.rd_basis = basis
    claim.policy.save()
    audit = services.rd_audit_assign(claim=claim, firm=actors.firm, acting_user=actors.handler)
    assert audit.basis == basis
    audit = _record(audit, actors.auditor)
    # Both bases side by side, whichever the policy pays on.
    assert (audit.tax_other_allowed, audit.tax_eligible_total) == (
        D("100000.00"),
        D("1000000.00"),
    )
    assert (audit.high_tech_other_allowed, audit.high_tech_eligible_total) == (
        D("225000.00"),
        D("1125000.00"),
    )
    assert (audit.other_allowed, audit.eligible_total) == (allowed, total)


def test_another_firms_auditor_cannot_write(actors):
    claim = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    audit = services.rd_audit_assign(claim=claim, firm=actors.firm, acting_user=actors.handler)
    for user in (actors.other_auditor, actors.member, actors.handler):
        with pytest.raises(PermissionDenied):
            _record(audit, user)
        with pytest.raises(PermissionDenied):
            services.rd_audit_complete(audit=audit, acting_user=user)
    audit.refresh_from_db()
    assert audit.recorded_at is None


def test_an_audit_is_handed_in_with_figures_and_report_and_then_frozen(actors):
    claim = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    audit = services.rd_audit_assign(claim=claim, firm=actors.firm, acting_user=actors.handler)
    with pytest.raises(ValidationError, match="Record"):
        services.rd_audit_complete(audit=audit, acting_user=actors.auditor)
    _record(audit, actors.auditor)
    with pytest.raises(ValidationError, match="report"):
        services.rd_audit_complete(audit=audit, acting_user=actors.auditor)
    with pytest.raises(ValidationError, match="negative"):
        _record(audit, actors.auditor, personnel=D("-1"))
    _record(audit, actors.auditor, report=pdf("report.pdf"))
    services.rd_audit_complete(audit=audit, acting_user=actors.auditor)
    with pytest.raises(ValidationError, match="completed"):
        _record(audit, actors.auditor, personnel=D("1"))
    claim.refresh_from_db()
    assert claim.status == S.AUDITED and claim.eligible_amount == D("100000.00")


def test_only_rd_claims_are_audited(actors, rent):
    advance(actors, rent, S.UNDER_REVIEW)
    with pytest.raises(ValidationError):
        services.rd_audit_assign(claim=rent, firm=actors.firm, acting_user=actors.handler)


# -------------------------------------------------------------------------------- batches


def test_nothing_in_an_exported_batch_can_change(actors, rent):
    advance(actors, rent, S.APPROVED)
    batch = services.payment_batch_create(number="2026-02", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[rent], acting_user=actors.finance)
    with pytest.raises(ValidationError, match="cannot become"):
        services.payment_batch_mark_paid(
            batch=batch, paid_on=dt.date.today(), acting_user=actors.finance
        )
    services.payment_batch_export(batch=batch, acting_user=actors.finance)
    with pytest.raises(ValidationError, match="nothing in it can change"):
        services.payment_batch_remove(batch=batch, claim=rent, acting_user=actors.finance)
    other = actors.__class__()
    rent_ready(other)
    later = advance(other, rent_claim(other), S.APPROVED)
    with pytest.raises(ValidationError, match="nothing in it can change"):
        services.payment_batch_add(batch=batch, claims=[later], acting_user=actors.finance)
    rent.refresh_from_db()
    assert rent.status == S.IN_BATCH
    with pytest.raises(ValidationError, match="future"):
        services.payment_batch_mark_paid(
            batch=batch, paid_on=dt.date.today() + dt.timedelta(days=1), acting_user=actors.finance
        )


def test_a_claim_not_approved_cannot_enter_a_batch(actors, rent):
    advance(actors, rent, S.NOTICE_ENDED)
    batch = services.payment_batch_create(number="2026-03", acting_user=actors.finance)
    with pytest.raises(ValidationError):
        services.payment_batch_add(batch=batch, claims=[rent], acting_user=actors.finance)
    assert not batch.claims.exists()


def test_finance_cannot_approve_a_claim_in_a_batch_again(actors, rent, english):
    """The table lets finance move a claim in a batch back to "approved" (taking it out);
    that is not an approval: the amount, the day and the batch stay as they were."""
    advance(actors, rent, S.APPROVED)
    batch = services.payment_batch_create(number="2026-05", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[rent], acting_user=actors.finance)
    before = rent.status_changes.count()
    with pytest.raises(ValidationError, match="public notice has ended"):
        services.subsidy_claim_approve(
            claim=rent, approved_amount=D("1.00"), reason="改", acting_user=actors.finance
        )
    rent.refresh_from_db()
    assert (rent.status, rent.payment_batch_id) == (S.IN_BATCH, batch.pk)
    assert (rent.approved_amount, rent.approval_reason) == (D("24000.00"), "")
    assert rent.status_changes.count() == before


def test_an_empty_batch_is_not_exported(actors):
    batch = services.payment_batch_create(number="2026-04", acting_user=actors.finance)
    with pytest.raises(ValidationError, match="empty"):
        services.payment_batch_export(batch=batch, acting_user=actors.finance)


# ------------------------------------------------------------------ high-tech recognition


@pytest.mark.parametrize(
    ("kind", "programme", "amount"),
    [
        (HighTechCertificate.Kind.NEW, Programme.HTE_NEW, D("500000")),
        (HighTechCertificate.Kind.RENEWAL, Programme.HTE_RENEWAL, D("200000")),
    ],
)
def test_recognition_drafts_the_reward_for_the_enterprise_to_confirm(
    actors, kind, programme, amount
):
    policy(programme)
    application = services.high_tech_application_recommend(
        enterprise=actors.enterprise,
        year=YEAR,
        batch_number=2,
        recommended_on=dt.date(YEAR, 5, 1),
        acting_user=actors.handler,
    )
    services.high_tech_application_pass_preliminary(
        application=application, acting_user=actors.handler
    )
    certificate = HighTechCertificateFactory(
        enterprise=actors.enterprise, kind=kind, issued_on=dt.date(YEAR, 12, 1)
    )
    claim = services.high_tech_application_recognise(
        application=application, certificate=certificate, acting_user=actors.handler
    )
    application.refresh_from_db()
    assert application.status == HighTechApplication.Status.RECOGNISED
    assert (claim.programme, claim.status, claim.eligible_amount) == (programme, S.DRAFT, amount)
    assert claim.certificate == certificate
    services.subsidy_claim_submit(claim=claim, acting_user=actors.member)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_recognition_needs_the_enterprises_certificate_of_that_year(actors):
    application = services.high_tech_application_recommend(
        enterprise=actors.enterprise,
        year=YEAR,
        batch_number=1,
        recommended_on=dt.date(YEAR, 5, 1),
        acting_user=actors.handler,
    )
    services.high_tech_application_pass_preliminary(
        application=application, acting_user=actors.handler
    )
    others = HighTechCertificateFactory(issued_on=dt.date(YEAR, 12, 1))
    old = HighTechCertificateFactory(
        enterprise=actors.enterprise, issued_on=dt.date(YEAR - 1, 12, 1)
    )
    for certificate in (others, old):
        with pytest.raises(ValidationError):
            services.high_tech_application_recognise(
                application=application, certificate=certificate, acting_user=actors.handler
            )
    application.refresh_from_db()
    assert application.status == HighTechApplication.Status.PRELIMINARY_PASSED


def test_a_recommendation_once_a_year_and_not_by_the_enterprise(actors):
    kwargs = {
        "enterprise": actors.enterprise,
        "year": YEAR,
        "batch_number": 1,
        "recommended_on": dt.date(YEAR, 5, 1),
    }
    with pytest.raises(PermissionDenied):
        services.high_tech_application_recommend(**kwargs, acting_user=actors.member)
    services.high_tech_application_recommend(**kwargs, acting_user=actors.handler)
    with pytest.raises(ValidationError):
        services.high_tech_application_recommend(**kwargs, acting_user=actors.handler)


def test_a_certificate_is_rewarded_once(actors):
    policy(Programme.HTE_NEW)
    HighTechCertificateFactory(enterprise=actors.enterprise, issued_on=dt.date(YEAR, 3, 1))
    claim = services.subsidy_claim_draft(
        programme=Programme.HTE_NEW,
        year=YEAR,
        enterprise=actors.enterprise,
        acting_user=actors.handler,
    )
    assert claim.certificate is not None
    application = HighTechApplication.objects.create(
        enterprise=actors.enterprise,
        year=YEAR,
        batch_number=1,
        recommended_on=dt.date(YEAR, 1, 5),
        status=HighTechApplication.Status.PRELIMINARY_PASSED,
    )
    assert (
        services.high_tech_application_recognise(
            application=application, certificate=claim.certificate, acting_user=actors.handler
        )
        is None
    )
    assert SubsidyClaim.objects.count() == 1


def test_a_carrier_claims_through_its_operator(actors):
    from tests.incubators.factories import TenancyFactory

    policy(Programme.CARRIER_HTE)
    tenancy = TenancyFactory(incubator=actors.incubator, moved_in_on=dt.date(YEAR - 1, 1, 1))
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(YEAR, 4, 1))
    with pytest.raises(PermissionDenied):
        services.subsidy_claim_draft(
            programme=Programme.CARRIER_HTE,
            year=YEAR,
            incubator=actors.incubator,
            acting_user=actors.member,
        )
    claim = services.subsidy_claim_draft(
        programme=Programme.CARRIER_HTE,
        year=YEAR,
        incubator=actors.incubator,
        acting_user=actors.operator,
    )
    assert claim.eligible_amount == D("100000.00") and claim.enterprise is None
    services.subsidy_claim_submit(claim=claim, acting_user=actors.operator)
