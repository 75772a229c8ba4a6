"""Claims brought to a given stage through the real services."""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from subsidies import services
from subsidies.models import Programme, SignOff, SubsidyClaim
from tests.enterprises.factories import TechFirmRegistrationFactory
from tests.incubators.factories import TenancyFactory
from tests.subsidies.factories import YEAR, policy

S = SubsidyClaim.Status
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "lease.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def rent_ready(actors, area: Decimal = Decimal("100")) -> None:
    """The enterprise is a registered tech firm renting `area` m² all year."""
    policy(Programme.RENT)
    TechFirmRegistrationFactory(enterprise=actors.enterprise, registered_on=dt.date(YEAR - 1, 1, 1))
    TenancyFactory(
        incubator=actors.incubator,
        enterprise=actors.enterprise,
        area=area,
        moved_in_on=dt.date(YEAR - 1, 1, 1),
    )


def rent_claim(actors, months=(1, 12)) -> SubsidyClaim:
    claim = services.subsidy_claim_draft(
        programme=Programme.RENT,
        year=YEAR,
        enterprise=actors.enterprise,
        rent_month_from=months[0],
        rent_month_to=months[1],
        acting_user=actors.member,
    )
    services.subsidy_claim_attach(
        claim=claim, title="租赁合同", file=pdf(), acting_user=actors.member
    )
    return claim


def rd_claim(actors) -> SubsidyClaim:
    policy(Programme.RD_INVESTMENT)
    claim = services.subsidy_claim_draft(
        programme=Programme.RD_INVESTMENT,
        year=YEAR,
        enterprise=actors.enterprise,
        acting_user=actors.member,
    )
    services.subsidy_claim_attach(
        claim=claim, title="研发费用明细", file=pdf(), acting_user=actors.member
    )
    return claim


def audit_and_complete(actors, claim, first_five=Decimal("4000000"), other=Decimal("100000")):
    audit = services.rd_audit_assign(claim=claim, firm=actors.firm, acting_user=actors.handler)
    services.rd_audit_record(
        audit=audit,
        acting_user=actors.auditor,
        personnel=first_five,
        direct_inputs=Decimal(0),
        depreciation=Decimal(0),
        amortisation=Decimal(0),
        design_fees=Decimal(0),
        other=other,
        findings="符合加计扣除口径",
        report=pdf("report.pdf"),
    )
    return services.rd_audit_complete(audit=audit, acting_user=actors.auditor)


SIGNERS = (
    (S.HANDLER_SIGNED, SignOff.Stage.HANDLER, "handler"),
    (S.SECTION_HEAD_SIGNED, SignOff.Stage.SECTION_HEAD, "head"),
    (S.SIGNED_OFF, SignOff.Stage.DEPUTY_DIRECTOR, "deputy"),
)


def sign_all(actors, claim) -> None:
    for _state, stage, who in SIGNERS:
        services.subsidy_claim_sign(claim=claim, stage=stage, acting_user=getattr(actors, who))


NOTICE = (dt.date(YEAR + 1, 1, 5), dt.date(YEAR + 1, 1, 11))


def advance(actors, claim: SubsidyClaim, to: str) -> SubsidyClaim:
    """Walk `claim` along the main path until it reaches `to`."""

    def at(status):
        claim.refresh_from_db()
        return claim.status == status

    steps = [
        (
            S.SUBMITTED,
            lambda: services.subsidy_claim_submit(claim=claim, acting_user=actors.member),
        ),
        (
            S.UNDER_REVIEW,
            lambda: services.subsidy_claim_take_up(claim=claim, acting_user=actors.handler),
        ),
    ]
    if claim.is_rd:
        steps += [
            (S.AUDITED, lambda: audit_and_complete(actors, claim)),
        ]
    steps += [
        (
            state,
            lambda stage=stage, who=who: services.subsidy_claim_sign(
                claim=claim, stage=stage, acting_user=getattr(actors, who)
            ),
        )
        for state, stage, who in SIGNERS
    ]
    steps += [
        (
            S.IN_NOTICE,
            lambda: services.subsidy_claim_publish_notice(
                claim=claim, starts_on=NOTICE[0], ends_on=NOTICE[1], acting_user=actors.handler
            ),
        ),
        (S.NOTICE_ENDED, lambda: services.subsidy_claim_end_notice(claim=claim)),
        (
            S.APPROVED,
            lambda: services.subsidy_claim_approve(
                claim=claim, approved_amount=claim.eligible_amount, acting_user=actors.handler
            ),
        ),
    ]
    # Start after the last step the claim has already reached (a returned claim starts over).
    reached = [state for state, _step in steps]
    claim.refresh_from_db()
    start = reached.index(claim.status) + 1 if claim.status in reached else 0
    for _reached, step in steps[start:]:
        if at(to):
            return claim
        step()
    claim.refresh_from_db()
    assert claim.status == to, (claim.status, to)
    return claim
